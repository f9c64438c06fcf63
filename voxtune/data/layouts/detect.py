"""Telling which layout a source is, from file names and a peek at contents.

Checked in this order, first match wins: a `.list` file → gptsovits; a `.jsonl` with
`messages` → chatml; `manifest.jsonl` → manifest; `wav.scp` + `text` → kaldi; a `.list` inside
→ gptsovits; a ChatML `.jsonl` inside → chatml; a `.txt`/`.csv` filelist with `|` → vits;
audio with `.lab`/`.txt` labels beside it → folders; audio without labels → longform.
"""

from collections import Counter
from pathlib import Path

from voxtune.data.layouts import chatml, gptsovits, kaldi, vits
from voxtune.data.layouts.scan import is_audio, is_label, visible_files
from voxtune.data.manifest import MANIFEST
from voxtune.errors import InputError

_EXPECTED = ("audio with .lab/.txt labels in speaker folders (folders), long unlabelled "
             "audio (longform), a GPT-SoVITS .list, a VITS filelist (.txt/.csv with '|'), a "
             "Kaldi folder (wav.scp + text), a Fun-ASR ChatML .jsonl, or a voxtune "
             f"{MANIFEST}; or name the layout explicitly (--from LAYOUT)")


def detect_layout(src: Path) -> str:
    """The layout name of `src`; `InputError` saying what was found when none matches."""
    if not src.exists():
        raise InputError(f"{src}: no such file or folder")
    if src.is_file():
        return _detect_file(src)
    if (src / MANIFEST).is_file():
        return "manifest"
    if kaldi.is_kaldi_dir(src):
        return "kaldi"
    if gptsovits.list_files(src):
        return "gptsovits"
    if chatml.jsonl_files(src):
        return "chatml"
    if vits.filelists(src):
        return "vits"
    files = visible_files(src)
    stems = {f.with_suffix("") for f in files if is_audio(f)}
    if stems:
        labelled = any(is_label(f) and f.with_suffix("") in stems for f in files)
        return "folders" if labelled else "longform"
    raise InputError(f"{src}: no dataset layout recognised; found {_summary(files)}. "
                     f"Expected {_EXPECTED}")


def _detect_file(src: Path) -> str:
    suffix = src.suffix.lower()
    if suffix == gptsovits.SUFFIX:
        return "gptsovits"
    if chatml.is_chatml(src):
        return "chatml"
    if src.name == MANIFEST:
        return "manifest"
    if src.name in ("wav.scp", "text", "segments", "utt2spk") and kaldi.is_kaldi_dir(src.parent):
        return "kaldi"
    if vits.is_filelist(src):
        return "vits"
    raise InputError(f"{src}: not a list file voxtune reads (a {suffix or 'suffix-less'} "
                     f"file). Expected {_EXPECTED}")


def _summary(files: list[Path]) -> str:
    if not files:
        return "no files (hidden files and voxtune outputs are skipped)"
    counts = Counter(f.suffix.lower() or "no-suffix" for f in files)
    shown = ", ".join(f"{n} {suffix}" for suffix, n in counts.most_common(6))
    labels = sum(1 for f in files if is_label(f))
    extra = f" ({labels} look like labels but there is no audio beside them)" if labels else ""
    return f"{len(files)} files: {shown}{extra}"
