"""`voxtune convert`: a dataset in one layout rewritten in another, source untouched.

Reading and writing go through `Utterance`, so any layout converts to any other; what both
formats hold (id, speaker, language, text, audio, segment offsets) survives the trip. The
output may never be the source, and for layouts that copy audio into it (folders,
longform, manifest) it may not lie inside the source or contain it either, so the user's
input is never modified or mixed with converted files.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

from voxtune.data.layouts import (
    COPYING_LAYOUTS,
    ExportOptions,
    output_path,
    read_layout,
    write_layout,
)
from voxtune.data.manifest import Reject
from voxtune.errors import InputError


@dataclass(frozen=True)
class ConvertSummary:
    """What a conversion did: entries read, entries written, set-aside entries, output."""

    read: int
    written: int
    output: Path
    rejects: list[Reject] = field(default_factory=list)


def convert(src: Path, out: Path, to: str, from_layout: str | None = None,
            language: str = "en", options: ExportOptions | None = None) -> ConvertSummary:
    """Read `src` (layout detected unless `from_layout`) and write it to `out` as `to`.

    `language` fills formats that hold none. Rejects from reading and from writing are
    both returned; nothing is written to `rejected.jsonl` here.
    """
    src, out = Path(src), Path(out)
    check_output(src, out, to)
    utterances, rejects = read_layout(src, from_layout, language)
    path, skipped = write_layout(utterances, out, to, options)
    return ConvertSummary(read=len(utterances), written=len(utterances) - len(skipped),
                          output=path, rejects=rejects + skipped)


def check_output(src: Path, out: Path, to: str) -> None:
    """`InputError` if writing `to` at `out` could modify or mix with the source."""
    if not src.exists():
        raise InputError(f"{src}: no such file or folder")
    source = src.resolve()
    target = output_path(out, to)
    real_out = Path(os.path.realpath(out))
    if real_out == source:
        raise InputError(f"output {out} is the source itself; choose another output path so "
                         "your data is never overwritten")
    if to in COPYING_LAYOUTS:
        source_dir = source if source.is_dir() else source.parent
        if real_out.is_relative_to(source_dir) or source_dir.is_relative_to(real_out):
            raise InputError(f"output {out} and source {src} overlap, and the {to} layout "
                             "copies audio into its output; choose an output folder outside "
                             "the source (and not one of its parents)")
    real_target = Path(os.path.realpath(target))
    if real_target.exists() and (real_target == source or real_target.is_relative_to(source)):
        raise InputError(f"writing {target} would overwrite a file of the source {src}; "
                         "choose another output path")
