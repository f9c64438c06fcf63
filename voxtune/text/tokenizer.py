"""Text tokenizers: text → ids for the TTS language model, and back.

Two kinds share one interface (`encode`, `decode`, `vocab_size`, `save`, `unknown`):

- `PhonemeTokenizer` for small models trained from scratch: a fixed phoneme inventory
  (see `symbols.py`), so a few minutes of speech do not have to teach spelling.
  English and Spanish are split per IPA character (stress and length marks are symbols of
  their own): espeak-ng's output is already one character per sound plus marks, and 51
  symbols cover English, 5 more Spanish. Chinese is split per syllable into initial +
  final-with-tone ("zhang1" → zh, ang1): the final carries the tone, which belongs to the
  whole rhyme, and 23 initials + 200 toned finals cover every syllable, where whole
  syllables would need ~1500 rarely-seen ones. Spaces are symbols in every language, so
  `decode` is a plain concatenation and round trips exactly.
- `BackboneTokenizer` for large pretrained LMs: their own tokenizer, fed normalised
  graphemes, because that is the text they were trained to read.

Neither adds <bos>/<eos>: the model's prompt layout decides where sequences start and end.
A model folder carries its tokenizer (`save`), and `load_text_tokenizer` reads it back.
"""

import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pypinyin.contrib.tone_convert import to_initials

from voxtune.errors import ConfigError, InputError
from voxtune.files import write_text
from voxtune.text.language import canonical_language
from voxtune.text.normalize import normalize
from voxtune.text.phonemes import phonemize
from voxtune.text.symbols import PINYIN_PREFIX, SPECIALS, SYMBOLS

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

TOKENIZER_FILE = "text_tokenizer.json"
_SYLLABLE = re.compile(r"[a-zê]+[1-5]")


class TextTokenizer(Protocol):
    """What the TTS model needs from a text tokenizer.

    `unknown` counts, per piece of input text, how often it had no id of its own and became
    <unk>; callers check it to warn about text the model cannot read."""

    kind: str
    unknown: Counter[str]

    @property
    def vocab_size(self) -> int: ...

    def encode(self, text: str, language: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def save(self, folder: str | Path) -> None: ...


class PhonemeTokenizer:
    """Phonemes (from `phonemize`) ↔ ids over a fixed symbol list; ids are list positions."""

    kind = "phonemes"

    def __init__(self, symbols: Sequence[str] = SYMBOLS):
        self.symbols = tuple(symbols)
        self._ids = {symbol: number for number, symbol in enumerate(self.symbols)}
        self.pad_id, self.unk_id, self.bos_id, self.eos_id = (self._ids[s] for s in SPECIALS)
        self.unknown: Counter[str] = Counter()

    @property
    def vocab_size(self) -> int:
        return len(self.symbols)

    def encode(self, text: str, language: str) -> list[int]:
        """Ids for phonemes `text` in `language`; unknown symbols become <unk> and are counted."""
        pieces = _pinyin_pieces(text) if canonical_language(language) == "zh" else text
        ids = []
        for piece in pieces:
            number = self._ids.get(piece)
            if number is None:
                self.unknown[piece.removeprefix(PINYIN_PREFIX)] += 1
                number = self.unk_id
            ids.append(number)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """The phonemes for `ids`; special tokens (<unk> included) are left out."""
        symbols = (self.symbols[number] for number in ids)
        return "".join(s.removeprefix(PINYIN_PREFIX) for s in symbols if s not in SPECIALS)

    def save(self, folder: str | Path) -> None:
        """Write `text_tokenizer.json` (kind and symbol list) into `folder`."""
        data = {"kind": self.kind, "symbols": list(self.symbols)}
        write_text(Path(folder) / TOKENIZER_FILE, json.dumps(data, ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, folder: str | Path) -> "PhonemeTokenizer":
        """The tokenizer saved in `folder` by `save`."""
        path = Path(folder) / TOKENIZER_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data["kind"] != cls.kind:
                raise ValueError(f"its kind is {data['kind']!r}, not {cls.kind!r}")
            return cls(data["symbols"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: not a readable phoneme tokenizer ({exc}); a model "
                             "folder trained with text_tokens=phonemes should hold one") from exc


class BackboneTokenizer:
    """A pretrained LM's own (transformers, fast) tokenizer behind the same interface."""

    kind = "backbone"

    def __init__(self, tokenizer: "PreTrainedTokenizerBase"):
        self.tokenizer = tokenizer
        self.unknown: Counter[str] = Counter()

    @property
    def vocab_size(self) -> int:
        return len(self.tokenizer)  # added tokens included, unlike tokenizer.vocab_size

    def encode(self, text: str, language: str) -> list[int]:
        """Ids for normalised graphemes `text` (`language` is not needed: the backbone reads
        any script its vocabulary covers); pieces that became <unk> are counted."""
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        unk = self.tokenizer.unk_token_id
        for number, (start, end) in zip(encoded["input_ids"], encoded["offset_mapping"],
                                        strict=True):
            if unk is not None and number == unk:
                self.unknown[text[start:end]] += 1
        return list(encoded["input_ids"])

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)

    def save(self, folder: str | Path) -> None:
        """Write the tokenizer files (`tokenizer.json`, `tokenizer_config.json`…) into `folder`."""
        self.tokenizer.save_pretrained(str(folder))

    @classmethod
    def load(cls, path_or_id: str | Path) -> "BackboneTokenizer":
        """AutoTokenizer from a local folder or a hub id."""
        from transformers import AutoTokenizer  # two seconds to import; only backbones need it

        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path_or_id))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot load a tokenizer from {str(path_or_id)!r} ({exc}); give "
                             "a folder with tokenizer.json or a hub id") from exc
        if not tokenizer.is_fast:
            raise InputError(f"the tokenizer in {str(path_or_id)!r} is a slow (Python) one; "
                             "voxtune needs a fast one: add a tokenizer.json")
        return cls(tokenizer)


def load_text_tokenizer(kind: Literal["phonemes", "backbone"],
                        path_or_id: str | Path | None = None) -> TextTokenizer:
    """The text tokenizer of `kind`, from a folder (or hub id for a backbone).

    `phonemes` without a path gives the built-in inventory, the one new models start with."""
    if kind == "phonemes":
        return PhonemeTokenizer() if path_or_id is None else PhonemeTokenizer.load(path_or_id)
    if kind == "backbone":
        if path_or_id is None:
            raise ConfigError("a backbone text tokenizer needs a model folder or hub id")
        return BackboneTokenizer.load(path_or_id)
    raise ConfigError(f"text tokenizer kind {kind!r} is not one of: phonemes, backbone")


def prepare_text(text: str, language: str, tokenizer: TextTokenizer) -> list[int]:
    """Ids for raw `text`: normalised, phonemized if the tokenizer reads phonemes, encoded."""
    spoken = normalize(text, language)
    if tokenizer.kind == PhonemeTokenizer.kind:
        spoken = phonemize(spoken, language)
    return tokenizer.encode(spoken, language)


def _pinyin_pieces(phonemes: str) -> list[str]:
    """Symbols for Chinese phonemes: each TONE3 syllable as initial + final, the rest (spaces,
    punctuation, English IPA) one symbol per character."""
    pieces: list[str] = []
    position = 0
    for syllable in _SYLLABLE.finditer(phonemes):
        pieces += phonemes[position:syllable.start()]
        pieces += [PINYIN_PREFIX + part for part in _split_syllable(syllable[0]) if part]
        position = syllable.end()
    return pieces + list(phonemes[position:])


def _split_syllable(syllable: str) -> tuple[str, str]:
    """("zh", "ang1") for "zhang1", ("y", "ue4") for "yue4"; ("", "ng2") for the syllabic
    nasals m, n, ng, hm, hng, whose spelling has no vowel."""
    initial = to_initials(syllable, strict=False)
    final = syllable[len(initial):]
    if not re.search("[aeiouvê]", final):
        return "", syllable
    return initial, final
