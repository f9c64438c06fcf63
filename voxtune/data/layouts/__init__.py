"""The dataset layouts people bring and take away, read and written through `Utterance`.

* folders — fish-speech seeds: `SPEAKER/clip.wav` + `clip.lab`
* gptsovits — GPT-SoVITS `.list`: `path|speaker|language|text`
* vits — VITS/LJSpeech filelists: `path|speaker|text`, `path|text`, `id|text|normalized`
* kaldi — `wav.scp`, `text`, `utt2spk`, `segments`
* chatml — Fun-ASR-Nano ChatML JSONL
* longform — long unlabelled recordings in speaker folders
* manifest — voxtune's prepared dataset (`manifest.jsonl`)

Readers resolve relative audio paths against the list file's folder and turn per-entry
problems into `Reject`s; only a source that cannot be read at all raises `InputError`.
"""

import os
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from voxtune.data.layouts import (
    chatml,
    folders,
    gptsovits,
    kaldi,
    longform,
    manifest,
    vits,
)
from voxtune.data.layouts.detect import detect_layout
from voxtune.data.layouts.options import PROMPT_EN, PROMPT_ZH, SYSTEM, ExportOptions
from voxtune.data.manifest import Reject, Utterance
from voxtune.errors import InputError

_MODULES: dict[str, ModuleType] = {
    "folders": folders, "gptsovits": gptsovits, "vits": vits, "kaldi": kaldi,
    "chatml": chatml, "longform": longform, "manifest": manifest,
}
LAYOUTS: tuple[str, ...] = tuple(_MODULES)
# Layouts that put audio files under the output folder (the others reference the originals).
COPYING_LAYOUTS: tuple[str, ...] = ("folders", "longform", "manifest")
_FOLDER_LAYOUTS = (*COPYING_LAYOUTS, "kaldi")  # written as a folder, never as one file

__all__ = ["COPYING_LAYOUTS", "LAYOUTS", "PROMPT_EN", "PROMPT_ZH", "SYSTEM", "ExportOptions",
           "detect_layout", "output_path", "read_layout", "write_layout"]


def read_layout(src: Path, layout: str | None = None,
                language: str = "en") -> tuple[list[Utterance], list[Reject]]:
    """Read `src` (detected when `layout` is None); `language` fills formats that lack one."""
    src = Path(src)
    if not src.exists():
        raise InputError(f"{src}: no such file or folder")
    name = layout or detect_layout(src)
    return _module(name).read(src, language)


def write_layout(utterances: Sequence[Utterance], out: Path, layout: str,
                 options: ExportOptions | None = None) -> tuple[Path, list[Reject]]:
    """Write `utterances` as `layout` under `out`; return (main file or folder, rejects).

    Utterances a layout cannot hold (no text for a labelled format, missing audio, a
    segment that cannot be decoded) are skipped and returned as rejects, one each.
    """
    module = _module(layout)
    out = Path(os.path.abspath(out))
    if out.is_file() and (layout in _FOLDER_LAYOUTS or module.target(out) != out):
        raise InputError(f"{out} is an existing file, but the {layout} layout writes a "
                         "folder there; pass a folder path instead")
    return module.write(utterances, out, options or ExportOptions())


def output_path(out: Path, layout: str) -> Path:
    """The main file or folder `write_layout(…, out, layout)` would write."""
    return _module(layout).target(Path(os.path.abspath(out)))


def _module(layout: str) -> ModuleType:
    if layout not in _MODULES:
        raise InputError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    return _MODULES[layout]
