"""GPT-SoVITS `.list` files: one `path|speaker|language|text` per line.

Languages are read as lowercase codes (ZH, all_zh → zh; JP → ja; YUE → yue; unknown codes
kept lowercased) and written in GPT-SoVITS's uppercase spelling. The format has no ids, so
an utterance's id is "SPEAKER/audio stem". A folder source means every `.list` file in it.
"""

from collections.abc import Sequence
from pathlib import Path

from voxtune.data.layouts.lines import (
    ParsedLine,
    empty_field,
    missing_audio,
    read_pipe_lists,
    reject,
    resolve_audio,
)
from voxtune.data.layouts.options import ExportOptions
from voxtune.data.layouts.place import Placer, check_list_fields, list_file, rejected, writable
from voxtune.data.layouts.scan import one_line
from voxtune.data.manifest import Reject, Utterance
from voxtune.errors import ClipRejected, InputError
from voxtune.files import write_text

SUFFIX = ".list"
_ALIASES = {"jp": "ja", "kr": "ko", "cn": "zh", "cantonese": "yue"}
_WRITTEN = {"zh": "ZH", "en": "EN", "ja": "JA", "ko": "KO", "yue": "YUE"}


def list_files(src: Path) -> list[Path]:
    """`src` if it is a file, else the `.list` files directly inside it."""
    if src.is_file():
        return [src]
    return sorted(p for p in src.glob(f"*{SUFFIX}") if p.is_file() and not p.name.startswith("."))


def normalise_language(code: str) -> str:
    """GPT-SoVITS language code → lowercase ISO-style code (all_zh → zh, JP → ja)."""
    code = code.strip().lower().removeprefix("all_")
    return _ALIASES.get(code, code)


def read(src: Path, language: str) -> tuple[list[Utterance], list[Reject]]:
    files = list_files(src)
    if not files:
        raise InputError(f"{src}: no .list file here; pass a GPT-SoVITS .list file or a "
                         "folder that holds one")
    return read_pipe_lists(files, _parse, language)


def _parse(path: Path, number: int, line: str) -> ParsedLine | Reject:
    """(audio, speaker, language, text) of one `path|speaker|language|text` line."""
    fields = [f.strip() for f in line.split("|", 3)]
    if len(fields) < 4:
        return reject(path, "bad_line", f"{path} line {number}: expected "
                      f"path|speaker|language|text, found {len(fields)} field(s); fix or "
                      "delete the line")
    written, speaker, code, text = fields
    text = one_line(text)
    problem = empty_field(path, number, speaker, text)
    if problem is not None:
        return problem
    audio = resolve_audio(path, written)
    if audio is None:
        return missing_audio(path, number, written)
    return audio, speaker, normalise_language(code) or None, text


def target(out: Path) -> Path:
    """The list written: OUT if it ends in `.list`, else `OUT/dataset.list`."""
    return list_file(out, (SUFFIX,), "dataset.list")


def write(utterances: Sequence[Utterance], out: Path,
          options: ExportOptions) -> tuple[Path, list[Reject]]:
    """Write `OUT/dataset.list` (or OUT itself if it ends in `.list`)."""
    path = target(out)
    placer = Placer(path.parent / f"{path.stem}_segments")
    rejects: list[Reject] = []
    lines = []
    for utterance in writable(utterances, "gptsovits", rejects):
        try:
            audio = placer.list_audio(utterance)
            check_list_fields(utterance, str(audio), utterance.speaker)
        except ClipRejected as exc:
            rejects.append(rejected(utterance, exc))
            continue
        code = _WRITTEN.get(utterance.language, utterance.language)
        lines.append(f"{audio}|{utterance.speaker}|{code}|{one_line(utterance.text or '')}\n")
    write_text(path, "".join(lines))
    return path, rejects

