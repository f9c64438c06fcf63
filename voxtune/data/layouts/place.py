"""Putting audio where a written layout expects it, without ever touching the source.

Folder layouts get each file copied (or symlinked) under the output; a segment of a longer
recording (`Utterance.start`/`end`) is cut into its own WAV, because only Kaldi and the
manifest can express offsets. List layouts reference whole files by absolute path and cut
segments into a `<list stem>_segments/` folder beside the list.
"""

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from voxtune.audio.io import read_audio, write_audio
from voxtune.data.manifest import Reject, Utterance
from voxtune.errors import ClipRejected, InputError
from voxtune.files import atomic_path, safe_name


def is_segment(utterance: Utterance) -> bool:
    return utterance.start is not None or utterance.end is not None


def id_parts(utterance: Utterance) -> list[str]:
    """Relative file name parts for an utterance: [speaker, *id without speaker prefix]."""
    rest = utterance.id.removeprefix(f"{utterance.speaker}/")
    return [safe_name(utterance.speaker), *(safe_name(part) for part in rest.split("/"))]


def rejected(utterance: Utterance, exc: ClipRejected) -> Reject:
    return Reject(source=str(utterance.audio), reason=exc.reason, message=str(exc),
                  id=utterance.id, source_start=utterance.start, source_end=utterance.end)


def writable(utterances: Sequence[Utterance], layout: str, rejects: list[Reject],
             need_text: bool = True) -> list[Utterance]:
    """The utterances a writer can write; the rest become rejects (no_text, missing_audio)."""
    kept = []
    for utterance in utterances:
        if need_text and utterance.text is None:
            rejects.append(rejected(utterance, ClipRejected(
                "no_text", f"{utterance.audio}: {utterance.id!r} has no transcript and the "
                f"{layout} layout needs one; run `voxtune prepare` to transcribe it first")))
        elif not utterance.audio.is_file():
            rejects.append(rejected(utterance, ClipRejected(
                "missing_audio", f"{utterance.audio}: audio of {utterance.id!r} not found; "
                "restore the file or fix its path in the source")))
        else:
            kept.append(utterance)
    return kept


def list_file(out: Path, suffixes: tuple[str, ...], default_name: str) -> Path:
    """`out` itself if it already has one of `suffixes`, else `out/default_name`."""
    return out if out.suffix.lower() in suffixes else out / default_name


def check_list_fields(utterance: Utterance, *fields: str) -> None:
    """`ClipRejected` if a non-final field of a `|`-separated line would break it."""
    for value in fields:
        if "|" in value or "\n" in value:
            raise ClipRejected("pipe_in_field", f"{utterance.audio}: {value!r} of "
                               f"{utterance.id!r} contains '|' or a newline, which "
                               "`|`-separated lists cannot hold; rename it")


class Placer:
    """Writes utterances' audio under `root` at unique, safe names."""

    def __init__(self, root: Path, copy: bool = True):
        self.root = root
        self.copy = copy
        self._used: set[str] = set()

    def place(self, utterance: Utterance, parts: Sequence[str]) -> Path:
        """Copy, link or cut the audio to `root/parts` + suffix; return the path written.

        Raises `ClipRejected` when a segment cannot be decoded.
        """
        suffix = ".wav" if is_segment(utterance) else utterance.audio.suffix
        dest = self._unique(self.root.joinpath(*parts[:-1]), parts[-1], suffix)
        if os.path.realpath(dest.parent) == os.path.realpath(utterance.audio.parent):
            raise InputError(f"{dest}: writing beside the source audio {utterance.audio} could "
                             "overwrite it or its label; choose an output folder outside the "
                             "source")
        if is_segment(utterance):
            audio, rate = read_audio(utterance.audio, start=utterance.start, end=utterance.end)
            write_audio(dest, audio, rate)
            return dest
        with atomic_path(dest) as tmp:
            if self.copy:
                shutil.copy2(utterance.audio, tmp)
            else:
                tmp.unlink()
                tmp.symlink_to(os.path.abspath(utterance.audio))
        return dest

    def list_audio(self, utterance: Utterance) -> Path:
        """The path a list layout should name: the original file, or a cut segment."""
        if is_segment(utterance):
            return self.place(utterance, id_parts(utterance))
        return Path(os.path.abspath(utterance.audio))

    def _unique(self, folder: Path, stem: str, suffix: str) -> Path:
        name, count = stem, 1
        # Compare case-insensitively: on macOS and Windows "A.wav" would overwrite "a.wav".
        while str(folder / name).casefold() in self._used:
            count += 1
            name = f"{stem}-{count}"
        self._used.add(str(folder / name).casefold())
        return folder / f"{name}{suffix}"
