"""The records that stages exchange, as plain JSONL a user can open and edit.

* `Utterance`: one entry of a dataset as a layout describes it (a labelled clip, or a long
  unlabelled recording). Every layout reader yields these and every writer consumes them,
  so converting between layouts goes through one shape.
* `Clip`: one line of `manifest.jsonl`, a prepared clip with what preparation measured.
* `Reject`: one line of `rejected.jsonl`, a file or clip set aside, with the reason.

Times are in seconds, loudness in LUFS, SNR in dB, sample rates in Hz.
"""

import dataclasses
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxtune.errors import InputError
from voxtune.files import write_jsonl

MANIFEST = "manifest.jsonl"
REJECTED = "rejected.jsonl"


@dataclass(frozen=True)
class Utterance:
    """One dataset entry as a layout names it.

    `text` is None for unlabelled audio. `start`/`end` select a segment of `audio`
    (Kaldi `segments`); None means the whole file. `extra` keeps fields a layout carries
    that others cannot hold (Fun-ASR prompts, for example) so a round trip keeps them.
    """

    id: str
    audio: Path
    speaker: str
    language: str
    text: str | None
    start: float | None = None
    end: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Clip:
    """One prepared clip: a line of `manifest.jsonl`.

    `audio` is relative to the dataset folder. `source`, `source_start` and `source_end`
    say where in the user's original file the clip came from. `text_source` is "label"
    when the text came with the data and "asr:<backend>" when voxtune transcribed it.
    """

    id: str
    audio: str
    speaker: str
    language: str
    text: str
    duration: float
    sample_rate: int
    loudness_lufs: float | None
    snr_db: float | None
    source: str
    source_start: float
    source_end: float
    text_source: str = "label"
    clipping_ratio: float = 0.0
    silence_ratio: float = 0.0
    low_quality: bool = False

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Reject:
    """A file or clip set aside, with a short stable `reason` code and a sentence for people."""

    source: str
    reason: str
    message: str
    id: str | None = None
    source_start: float | None = None
    source_end: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-empty line; bad lines raise naming the line."""
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot be opened ({exc.strerror})") from exc
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path} line {number}: not valid JSON ({exc.msg})") from exc
                if not isinstance(obj, dict):
                    raise InputError(f"{path} line {number}: expected a JSON object")
                yield number, obj
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from exc


def read_manifest(path: Path) -> list[Clip]:
    """Read a `manifest.jsonl`, checking each line has the fields of a `Clip`."""
    names = {f.name for f in dataclasses.fields(Clip)}
    clips = []
    for number, obj in read_jsonl(path):
        try:
            clips.append(Clip(**{k: v for k, v in obj.items() if k in names}))
        except TypeError as exc:
            raise InputError(f"{path} line {number}: not a manifest record ({exc})") from exc
    return clips


def write_manifest(path: Path, clips: Iterable[Clip]) -> int:
    return write_jsonl(path, (clip.to_json() for clip in clips))


def write_rejects(path: Path, rejects: Iterable[Reject]) -> int:
    return write_jsonl(path, (reject.to_json() for reject in rejects))
