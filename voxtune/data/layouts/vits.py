"""VITS-style filelists: `path|speaker|text` or `path|text` lines in `.txt`/`.csv` files.

LJSpeech's `metadata.csv` (`id|text|normalized_text`, audio in `wavs/ID.wav`) is read too,
taking the normalized text. Without a speaker field the speaker is the list file's folder
name. The format has no ids, so an utterance's id is "SPEAKER/audio stem". Written lists use
`path|speaker|text`; VITS multi-speaker training wants integer speaker ids, so map names to
numbers there if your recipe needs it.
"""

from collections.abc import Sequence
from pathlib import Path

from voxtune.data.layouts.lines import (
    ParsedLine,
    missing_audio,
    read_pipe_lists,
    reject,
    resolve_audio,
)
from voxtune.data.layouts.options import ExportOptions
from voxtune.data.layouts.place import Placer, check_list_fields, list_file, rejected, writable
from voxtune.data.layouts.scan import AUDIO_SUFFIXES, one_line
from voxtune.data.manifest import Reject, Utterance
from voxtune.errors import ClipRejected, InputError
from voxtune.files import write_text

SUFFIXES = (".txt", ".csv")
_SNIFF_LINES = 20


def is_filelist(path: Path) -> bool:
    """A `.txt`/`.csv` whose first lines all hold a `|`, and not a label beside its audio."""
    if path.suffix.lower() not in SUFFIXES or path.name.startswith("."):
        return False
    if any(path.with_suffix(s).exists() for s in AUDIO_SUFFIXES):
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(65536).decode("utf-8", errors="replace").splitlines()
    except OSError:
        return False
    lines = [line for line in head if line.strip()][:_SNIFF_LINES]
    return bool(lines) and all("|" in line for line in lines)


def filelists(src: Path) -> list[Path]:
    """`src` if it is a file, else the filelists directly inside it."""
    if src.is_file():
        return [src]
    return sorted(p for p in src.iterdir() if p.is_file() and is_filelist(p))


def read(src: Path, language: str) -> tuple[list[Utterance], list[Reject]]:
    files = filelists(src)
    if not files:
        raise InputError(f"{src}: no filelist here (a .txt or .csv whose lines are "
                         "path|speaker|text or path|text); pass the filelist itself")
    return read_pipe_lists(files, _parse, language)


def _parse(path: Path, number: int, line: str) -> ParsedLine | Reject:
    """(audio, speaker, None, text) of one line, or the reason it cannot be used."""
    fields = [f.strip() for f in line.split("|")]
    if len(fields) < 2:
        return reject(path, "bad_line", f"{path} line {number}: expected path|speaker|text "
                      "or path|text, found no '|'; fix or delete the line")
    speaker = path.parent.name or "speaker"
    audio = resolve_audio(path, fields[0])
    if audio is None:  # LJSpeech metadata.csv: id|text|normalized_text, audio in wavs/ID.wav
        audio = resolve_audio(path, f"wavs/{fields[0]}.wav")
        if audio is None:
            return missing_audio(path, number, fields[0])
        normalized = fields[2] if len(fields) > 2 else ""
        return audio, speaker, None, one_line(normalized or fields[1])
    if len(fields) == 2:
        return audio, speaker, None, one_line(fields[1])
    _, speaker, text = line.split("|", 2)
    return audio, speaker.strip(), None, one_line(text)


def target(out: Path) -> Path:
    """The list written: OUT if it ends in `.txt`/`.csv`, else `OUT/filelist.txt`."""
    return list_file(out, SUFFIXES, "filelist.txt")


def write(utterances: Sequence[Utterance], out: Path,
          options: ExportOptions) -> tuple[Path, list[Reject]]:
    """Write `OUT/filelist.txt` (or OUT itself if it ends in `.txt`/`.csv`)."""
    path = target(out)
    placer = Placer(path.parent / f"{path.stem}_segments")
    rejects: list[Reject] = []
    lines = []
    for utterance in writable(utterances, "vits", rejects):
        try:
            check_list_fields(utterance, utterance.speaker)
            audio = placer.list_audio(utterance)
            check_list_fields(utterance, str(audio))
        except ClipRejected as exc:
            rejects.append(rejected(utterance, exc))
            continue
        lines.append(f"{audio}|{utterance.speaker}|{one_line(utterance.text or '')}\n")
    write_text(path, "".join(lines))
    return path, rejects
