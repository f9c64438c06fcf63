"""voxtune's own prepared dataset: `manifest.jsonl` of `Clip` records beside the audio.

Reading keeps each clip's measurements (`duration`, loudness, SNR, provenance…) in
`Utterance.extra["clip"]`, so manifest → manifest keeps them. Writing lays the audio out as
`OUT/SPEAKER/stem.ext` with a `.lab` beside it, as `voxtune prepare` does, and writes one
`Clip` per utterance: duration and sample rate from the audio, loudness and SNR null when
the source was not prepared, `source*` fields naming the original file and offsets.
"""

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voxtune.data.layouts.lengths import sample_count
from voxtune.data.layouts.lines import read_json_lines, reject
from voxtune.data.layouts.options import ExportOptions
from voxtune.data.layouts.place import Placer, id_parts, is_segment, rejected, writable
from voxtune.data.layouts.scan import one_line
from voxtune.data.manifest import MANIFEST, Clip, Reject, Utterance, write_manifest
from voxtune.errors import ClipRejected, InputError
from voxtune.files import write_text

_UTTERANCE_FIELDS = ("id", "audio", "speaker", "language", "text")
_CLIP_FIELDS = tuple(f.name for f in dataclasses.fields(Clip))
_MEASURED = tuple(name for name in _CLIP_FIELDS if name not in _UTTERANCE_FIELDS)


def manifest_file(src: Path) -> Path:
    return src if src.is_file() else src / MANIFEST


def read(src: Path, language: str) -> tuple[list[Utterance], list[Reject]]:
    path = manifest_file(src)
    if not path.is_file():
        raise InputError(f"{src}: no {MANIFEST} here; pass a folder written by "
                         "`voxtune prepare` or its manifest.jsonl")
    folder = Path(os.path.abspath(path.parent))
    utterances: list[Utterance] = []
    rejects: list[Reject] = []
    for number, obj in read_json_lines(path, rejects):
        where = f"{path} line {number}"
        try:
            clip = Clip(**{k: v for k, v in obj.items() if k in _CLIP_FIELDS})
        except TypeError as exc:
            rejects.append(reject(path, "bad_record", f"{where}: not a manifest record ({exc}); "
                                  "fix or delete the line", id=obj.get("id")))
            continue
        audio = folder / clip.audio
        if not audio.is_file():
            rejects.append(reject(path, "missing_audio", f"{where}: audio {clip.audio!r} not "
                                  f"found under {folder}", id=clip.id))
            continue
        if not one_line(clip.text):
            rejects.append(reject(path, "empty_label", f"{where}: {clip.id!r} has empty text",
                                  id=clip.id))
            continue
        measured = {name: getattr(clip, name) for name in _MEASURED}
        utterances.append(Utterance(id=clip.id, audio=audio, speaker=clip.speaker,
                                    language=clip.language or language,
                                    text=one_line(clip.text), extra={"clip": measured}))
    return utterances, rejects


def target(out: Path) -> Path:
    """The folder written: OUT itself."""
    return out


def write(utterances: Sequence[Utterance], out: Path,
          options: ExportOptions) -> tuple[Path, list[Reject]]:
    """Write the audio, `.lab` labels and `OUT/manifest.jsonl`."""
    rejects: list[Reject] = []
    placer = Placer(out, copy=options.copy_audio)
    clips = []
    for utterance in writable(utterances, "manifest", rejects):
        try:
            audio = placer.place(utterance, id_parts(utterance))
            samples, rate = sample_count(audio)
        except ClipRejected as exc:
            rejects.append(rejected(utterance, exc))
            continue
        text = one_line(utterance.text or "")
        write_text(audio.with_suffix(".lab"), text)
        clips.append(Clip(id=utterance.id, audio=audio.relative_to(out).as_posix(),
                          speaker=utterance.speaker, language=utterance.language, text=text,
                          **_measured(utterance, samples / rate, rate)))
    write_manifest(out / MANIFEST, clips)
    return out, rejects


def _measured(utterance: Utterance, duration: float, rate: int) -> dict[str, Any]:
    """Clip fields beyond the utterance's: kept from a prepared source, else fresh."""
    known = utterance.extra.get("clip")
    if isinstance(known, dict) and not is_segment(utterance):
        return {**{k: v for k, v in known.items() if k in _MEASURED},
                "duration": duration, "sample_rate": rate}
    start = utterance.start or 0.0
    return {"duration": duration, "sample_rate": rate, "loudness_lufs": None, "snr_db": None,
            "source": os.path.abspath(utterance.audio), "source_start": start,
            "source_end": utterance.end if utterance.end is not None else start + duration}
