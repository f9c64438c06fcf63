"""Finding audio and label files in folder layouts (folders, longform, manifest audio).

The first folder level under the source names the speaker; audio lying directly in the
source belongs to one speaker named after the source folder. Ids are "SPEAKER/stem", with
deeper sub-folders kept in the stem ("SPEAKER/session1/clip") so they stay unique.
"""

import os
import unicodedata
from pathlib import Path

from voxtune.data.manifest import MANIFEST, REJECTED
from voxtune.errors import ClipRejected, InputError

AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a"})
LABEL_SUFFIXES = (".lab", ".txt")  # in order of preference when both exist
OWN_OUTPUTS = frozenset({MANIFEST, REJECTED, "report.txt"})
BINARY_CONTROL_RATIO = 0.3  # share of control characters above which a label is not text


def visible_files(src: Path) -> list[Path]:
    """Every file under `src`, sorted, without hidden names or voxtune's own outputs."""
    found = []
    for folder, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(folder, name) for name in files
                  if not name.startswith(".") and name not in OWN_OUTPUTS]
    return sorted(found)


def is_audio(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_SUFFIXES


def is_label(path: Path) -> bool:
    return path.suffix.lower() in LABEL_SUFFIXES


def speaker_and_id(src: Path, path: Path) -> tuple[str, str]:
    """(speaker, id) of a file under `src` by the folder convention above."""
    rel = path.relative_to(src)
    if len(rel.parts) == 1:
        speaker = src.name or "speaker"
        return speaker, f"{speaker}/{rel.stem}"
    return rel.parts[0], "/".join((*rel.parts[:-1], rel.stem))


def labels_by_stem(files: list[Path]) -> dict[Path, Path]:
    """Map "folder/stem" to its label file, preferring `.lab` over `.txt`."""
    labels: dict[Path, Path] = {}
    for suffix in reversed(LABEL_SUFFIXES):
        labels.update({f.with_suffix(""): f for f in files if f.suffix.lower() == suffix})
    return labels


def read_label(path: Path) -> str:
    """The text of a label file on one line, or `ClipRejected` saying why it is unusable."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ClipRejected("label_not_utf8", f"{path}: label is UTF-16 text; re-save it as "
                           "UTF-8 (in most editors: Save As, encoding UTF-8)")
    if b"\x00" in data:
        raise ClipRejected("label_binary", f"{path}: label contains NUL bytes, so it is not a "
                           "text file; replace it with the transcript as plain UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _control_ratio(data.decode("latin-1")) > BINARY_CONTROL_RATIO:
            raise ClipRejected("label_binary", f"{path}: label is binary data, not text; "
                               "replace it with the transcript as plain UTF-8 text") from exc
        raise ClipRejected("label_not_utf8", f"{path}: label is not UTF-8 (bad byte at offset "
                           f"{exc.start}); re-save it as UTF-8") from exc
    if _control_ratio(text) > BINARY_CONTROL_RATIO:
        raise ClipRejected("label_binary", f"{path}: label is mostly control characters, not "
                           "text; replace it with the transcript as plain UTF-8 text")
    text = one_line(text)
    if not text:
        raise ClipRejected("empty_label", f"{path}: label is empty; write the transcript in "
                           "it or delete it so the audio gets transcribed")
    return text


def one_line(text: str) -> str:
    """Collapse runs of whitespace (newlines included) to single spaces and trim."""
    return " ".join(text.split())


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    control = sum(1 for c in text if c not in "\t\n\r" and unicodedata.category(c) == "Cc")
    return control / len(text)


def require_folder(src: Path, layout: str) -> Path:
    """`src` as an absolute path, or `InputError` if it is not a folder."""
    if not src.is_dir():
        raise InputError(f"{src}: the {layout} layout is a folder, but this is "
                         f"{'a file' if src.exists() else 'not found'}; pass the folder")
    return Path(os.path.abspath(src))
