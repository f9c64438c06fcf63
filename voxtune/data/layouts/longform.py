"""Long unlabelled recordings: `SRC/SPEAKER/*.wav`, or audio directly in SRC (one speaker).

Every utterance has `text=None`; preparation slices and transcribes them. Label files, if
any, are ignored (use the folders layout to read them). Writing keeps only the audio.
"""

from collections.abc import Sequence
from pathlib import Path

from voxtune.data.layouts.folders import audio_entries, write_tree
from voxtune.data.layouts.options import ExportOptions
from voxtune.data.layouts.scan import require_folder, visible_files
from voxtune.data.manifest import Reject, Utterance


def read(src: Path, language: str) -> tuple[list[Utterance], list[Reject]]:
    src = require_folder(src, "longform")
    rejects: list[Reject] = []
    utterances = [Utterance(id=id, audio=path, speaker=speaker, language=language, text=None)
                  for speaker, id, path in audio_entries(src, visible_files(src), rejects)]
    return utterances, rejects


def target(out: Path) -> Path:
    """The folder written: OUT itself."""
    return out


def write(utterances: Sequence[Utterance], out: Path,
          options: ExportOptions) -> tuple[Path, list[Reject]]:
    """Write `OUT/SPEAKER/stem.ext` for each utterance; transcripts are dropped."""
    return write_tree(utterances, out, options, labels=False)
