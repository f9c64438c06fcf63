"""Long text → pieces a TTS model speaks one at a time, as GPT-SoVITS's `text_split_method`.

A model trained on sentences of a few seconds drifts on a paragraph; split, each piece is
generated (in a batch) and the audio joined. The methods are GPT-SoVITS's, under names that
say what they do; its names cut0…cut5 work too:

    none         cut0  no split
    sentences    cut1  every `sentences_per_chunk` sentences
    length       cut2  sentences and clauses packed up to `max_chars` characters
    zh_period    cut3  at each Chinese full stop 。
    en_period    cut4  at each English period
    punctuation  cut5  at every punctuation mark

Marks stay with the piece they end (they shape its intonation); Spanish ¿ and ¡ open one and
stay with it. A mark between two digits is not a cut ("3.5", "1,234", "3:30"), nor a period
before an ordinal indicator ("3.º", "1.ª"). Pieces with fewer than `MIN_CHARS` letters,
digits or Han characters ("Yes.", "Dr.", "好。") join a neighbour: a model says them badly
alone.
"""

import re

from voxtune.errors import InputError

GPT_SOVITS_NAMES = {"cut0": "none", "cut1": "sentences", "cut2": "length", "cut3": "zh_period",
                    "cut4": "en_period", "cut5": "punctuation"}
SPLIT_METHODS = tuple(GPT_SOVITS_NAMES.values()) + tuple(GPT_SOVITS_NAMES)  # all accepted
MIN_CHARS = 5  # GPT-SoVITS's merge_short_text_in_array threshold

SENTENCE_MARKS = ".!?…。！？"
CLAUSE_MARKS = SENTENCE_MARKS + ",;:、，；："
_MARKS = {"sentences": SENTENCE_MARKS, "length": CLAUSE_MARKS, "zh_period": "。",
          "en_period": ".", "punctuation": CLAUSE_MARKS}
_CLOSERS = "\"'”’»›)）」』》]"  # closing quotes and brackets stay with the mark before them
# Words for cutting a clause too long for `max_chars`: one Han character, or a run of
# anything but spaces and Han (so "3.5" and "twenty-one" are never cut).
_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]|[^\s\u3400-\u4dbf\u4e00-\u9fff]+")

Span = tuple[int, int]  # [start, end) in the text


def split_text(text: str, method: str = "length", max_chars: int = 50,
               sentences_per_chunk: int = 4) -> list[str]:
    """`text` in pieces (stripped, none empty) by `method`; see the module doc for methods.

    `max_chars` bounds `length` pieces (a piece can pass it only by absorbing a short
    neighbour, or where one word is longer); `sentences_per_chunk` sets `sentences`."""
    name = GPT_SOVITS_NAMES.get(method, method)
    if name not in SPLIT_METHODS:
        raise InputError(f"text split method {method!r} is not one of: "
                         f"{', '.join(SPLIT_METHODS)}")
    if max_chars < 1 or sentences_per_chunk < 1:
        raise InputError(f"max_chars ({max_chars}) and sentences_per_chunk "
                         f"({sentences_per_chunk}) must be at least 1")
    if name == "none":
        spans = [(0, len(text))]
    else:
        spans = _merge_short(text, _pieces(text, _MARKS[name]))
        if name == "sentences":
            spans = [(spans[i][0], spans[min(i + sentences_per_chunk, len(spans)) - 1][1])
                     for i in range(0, len(spans), sentences_per_chunk)]
        elif name == "length":
            spans = _pack(text, spans, max_chars)
    return [text[start:end].strip() for start, end in _merge_short(text, spans)]


def _pieces(text: str, marks: str) -> list[Span]:
    """Spans ending after each run of `marks` (and closing quotes), except between digits or
    a digit and an ordinal indicator."""
    mark = f"[{re.escape(marks)}]+"
    boundary = re.compile(rf"(?:(?<!\d){mark}|{mark}(?![\dºª]))[{re.escape(_CLOSERS)}]*")
    starts = [0] + [match.end() for match in boundary.finditer(text)]
    return [(start, end) for start, end in zip(starts, starts[1:] + [len(text)], strict=True)
            if text[start:end].strip()]


def _pack(text: str, spans: list[Span], max_chars: int) -> list[Span]:
    """Consecutive spans joined while the piece stays within `max_chars`; a span longer than
    that is first cut into words."""
    units: list[Span] = []
    for start, end in spans:
        if len(text[start:end].strip()) <= max_chars:
            units.append((start, end))
        else:
            units += [(start + w.start(), start + w.end()) for w in _WORD.finditer(text[start:end])]
    packed: list[Span] = []
    for start, end in units:
        if packed and len(text[packed[-1][0]:end].strip()) <= max_chars:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed


def _merge_short(text: str, spans: list[Span]) -> list[Span]:
    """Short spans joined to the next one (the last to the one before); spans with nothing to
    say (only punctuation) dropped."""
    merged: list[Span] = []
    for start, end in spans:
        if merged and _weight(text, merged[-1]) < MIN_CHARS:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    if len(merged) > 1 and _weight(text, merged[-1]) < MIN_CHARS:
        last = merged.pop()
        merged[-1] = (merged[-1][0], last[1])
    return [span for span in merged if _weight(text, span)]


def _weight(text: str, span: Span) -> int:
    """Letters, digits and Han characters in the span: what will actually be spoken."""
    return sum(char.isalnum() for char in text[span[0]:span[1]])
