"""Reading list-style files (GPT-SoVITS `.list`, VITS filelists, Kaldi tables, JSONL).

Each line is decoded on its own, so one badly encoded line becomes one `Reject` naming the
file and line number instead of failing the whole file. Audio paths are resolved against
the list file's folder.
"""

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path, PureWindowsPath
from typing import Any

from voxtune.data.manifest import Reject, Utterance

# One parsed `path|…|text` line: audio, speaker, language (None: the default), text.
ParsedLine = tuple[Path, str, str | None, str]


def reject(source: Path, reason: str, message: str, id: str | None = None,
           start: float | None = None, end: float | None = None) -> Reject:
    return Reject(source=str(source), reason=reason, message=message, id=id,
                  source_start=start, source_end=end)


def read_lines(path: Path, rejects: list[Reject]) -> list[tuple[int, str]]:
    """(line number, text) of each non-blank line; undecodable lines become rejects."""
    lines = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            rejects.append(reject(path, "line_not_utf8", f"{path} line {number}: not UTF-8 "
                                  "text; re-save the file as UTF-8"))
            continue
        if text.strip():
            lines.append((number, text))
    return lines


def read_json_lines(path: Path, rejects: list[Reject]) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) of each JSON object line; other lines become rejects."""
    objects = []
    for number, text in read_lines(path, rejects):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            rejects.append(reject(path, "bad_json", f"{path} line {number}: not valid JSON "
                                  f"({exc.msg} at column {exc.colno}); fix or delete the line"))
            continue
        if not isinstance(obj, dict):
            rejects.append(reject(path, "bad_json", f"{path} line {number}: expected a JSON "
                                  f"object, found {type(obj).__name__}"))
            continue
        objects.append((number, obj))
    return objects


def resolve_audio(list_file: Path, written: str) -> Path | None:
    """The absolute audio path a list entry names, or None if no such file exists.

    Relative paths are taken from the list file's folder. A path that does not exist (often
    an absolute Windows path from another machine, as GPT-SoVITS writes) falls back to a
    file of the same name beside the list file.
    """
    written = written.strip()
    named = Path(written).expanduser()
    for candidate in (list_file.parent / named, list_file.parent / PureWindowsPath(written).name):
        if candidate.is_file():
            return Path(os.path.abspath(candidate))
    return None


def missing_audio(list_file: Path, number: int, written: str, id: str | None = None) -> Reject:
    return reject(list_file, "missing_audio", f"{list_file} line {number}: audio {written!r} "
                  "not found (relative paths are read from the list file's folder); fix the "
                  "path or put the audio there", id=id)


def unique_id(base: str, seen: set[str]) -> str:
    """`base`, or `base~2`, `base~3`… if taken; records the result in `seen`."""
    candidate, count = base, 1
    while candidate in seen:
        count += 1
        candidate = f"{base}~{count}"
    seen.add(candidate)
    return candidate


def empty_field(path: Path, number: int, speaker: str, text: str) -> Reject | None:
    """The reject for a line whose speaker or text is empty, else None."""
    if text and speaker:
        return None
    what = "text" if not text else "speaker"
    return reject(path, "empty_label" if not text else "bad_line",
                  f"{path} line {number}: empty {what}; fill it in or delete the line")


def read_pipe_lists(files: Sequence[Path],
                    parse: Callable[[Path, int, str], ParsedLine | Reject],
                    language: str) -> tuple[list[Utterance], list[Reject]]:
    """The reading loop shared by the `path|…|text` list formats (GPT-SoVITS, VITS).

    `parse` turns one line into a `ParsedLine` or a `Reject`; this loop rejects empty
    fields and audio listed twice, and gives ids "SPEAKER/audio stem" (made unique).
    """
    utterances: list[Utterance] = []
    rejects: list[Reject] = []
    seen_ids: set[str] = set()
    seen_audio: dict[Path, str] = {}
    for path in files:
        for number, line in read_lines(path, rejects):
            parsed = parse(path, number, line)
            if isinstance(parsed, Reject):
                rejects.append(parsed)
                continue
            audio, speaker, code, text = parsed
            problem = empty_field(path, number, speaker, text)
            if problem is not None:
                rejects.append(problem)
                continue
            where = f"{path} line {number}"
            if audio in seen_audio:
                rejects.append(reject(path, "duplicate_audio", f"{where}: {audio} is already "
                                      f"listed ({seen_audio[audio]}); delete one line"))
                continue
            seen_audio[audio] = where
            utterances.append(Utterance(id=unique_id(f"{speaker}/{audio.stem}", seen_ids),
                                        audio=audio, speaker=speaker, language=code or language,
                                        text=text))
    return utterances, rejects
