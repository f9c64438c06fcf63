"""fish-speech seeds: `SRC/SPEAKER/clip.wav` with the transcript in `clip.lab` (or `.txt`).

Audio without a label is kept with `text=None` (preparation transcribes or rejects it); a
label without audio, or one that is not UTF-8 text, is rejected. When two audio files share
a stem (`a.wav`, `a.flac`) the first in sorted order is kept. Language is not held; the
caller's default applies.
"""

import os
from collections.abc import Sequence
from pathlib import Path

from voxtune.data.layouts.lines import reject
from voxtune.data.layouts.options import ExportOptions
from voxtune.data.layouts.place import Placer, id_parts, rejected, writable
from voxtune.data.layouts.scan import (
    is_audio,
    labels_by_stem,
    read_label,
    require_folder,
    speaker_and_id,
    visible_files,
)
from voxtune.data.manifest import Reject, Utterance
from voxtune.errors import ClipRejected
from voxtune.files import write_text


def read(src: Path, language: str) -> tuple[list[Utterance], list[Reject]]:
    src = require_folder(src, "folders")
    files = visible_files(src)
    rejects: list[Reject] = []
    audio = audio_entries(src, files, rejects)
    labels = labels_by_stem(files)
    utterances = []
    for speaker, id, path in audio:
        label = labels.get(path.with_suffix(""))
        try:
            text = None if label is None else read_label(label)
        except ClipRejected as exc:
            rejects.append(reject(label, exc.reason, str(exc), id=id))
            continue
        utterances.append(Utterance(id=id, audio=path, speaker=speaker, language=language,
                                    text=text))
    with_audio = {path.with_suffix("") for _, _, path in audio}
    for stem, label in sorted(labels.items()):
        if stem not in with_audio:
            rejects.append(reject(label, "label_without_audio", f"{label}: no audio file "
                                  f"named {stem.name}.wav/.flac/.mp3/… beside it; add the "
                                  "audio or remove the label"))
    return utterances, rejects


def audio_entries(src: Path, files: list[Path],
                  rejects: list[Reject]) -> list[tuple[str, str, Path]]:
    """(speaker, id, path) of each audio file; repeated ids after the first are rejected."""
    entries, seen = [], {}
    for path in files:
        if not is_audio(path):
            continue
        speaker, id = speaker_and_id(src, path)
        if id in seen:
            rejects.append(reject(path, "duplicate_id", f"{path}: same id {id!r} as "
                                  f"{seen[id].name}, which is kept; rename or remove one",
                                  id=id))
            continue
        seen[id] = path
        entries.append((speaker, id, path))
    return entries


def target(out: Path) -> Path:
    """The folder written: OUT itself."""
    return out


def write(utterances: Sequence[Utterance], out: Path,
          options: ExportOptions) -> tuple[Path, list[Reject]]:
    """Write `OUT/SPEAKER/stem.ext` plus `stem.lab` for each utterance that has text."""
    return write_tree(utterances, out, options, labels=True)


def write_tree(utterances: Sequence[Utterance], out: Path, options: ExportOptions,
               labels: bool) -> tuple[Path, list[Reject]]:
    """Audio under `OUT/SPEAKER/`, with `.lab` transcripts beside it when `labels`."""
    rejects: list[Reject] = []
    placer = Placer(out, copy=options.copy_audio)
    out.mkdir(parents=True, exist_ok=True)
    for utterance in writable(utterances, "folders", rejects, need_text=False):
        try:
            audio = placer.place(utterance, id_parts(utterance))
        except ClipRejected as exc:
            rejects.append(rejected(utterance, exc))
            continue
        if labels and utterance.text is not None:
            write_text(audio.with_suffix(".lab"), utterance.text)
    return Path(os.path.abspath(out)), rejects
