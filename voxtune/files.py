"""Writing files so that an interrupted run never leaves a half-written one.

Every output goes to a temporary name in the same folder and is renamed into place only
when complete; a rename within one file system is atomic, so readers see the old file or
the new one, never a torn one.
"""

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

PARTIAL_MARK = ".part"  # in the names of files still being written
_UNSAFE_NAME = re.compile(r'[\x00-\x1f/\\:*?"<>|]+')


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it onto `path` if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=PARTIAL_MARK + path.suffix,
                               dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600 files; give finished files the usual umask-based permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside `path` for writing; rename it into place on success."""
    with atomic_path(path) as tmp:
        encoding = None if "b" in mode else "utf-8"
        with open(tmp, mode, encoding=encoding) as handle:
            yield handle


def write_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file atomically."""
    with atomic_open(path) as handle:
        handle.write(text)


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write one JSON object per line (UTF-8, not ASCII-escaped), atomically; return the count."""
    count = 0
    with atomic_open(path) as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def file_fingerprint(path: Path) -> str:
    """Size and modification time ("bytes:mtime_ns"): changes whenever the file is rewritten.

    Cheap enough to check for every clip on every run, unlike a content hash.
    """
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def safe_name(name: str, fallback: str = "unnamed") -> str:
    """A file or folder name that stays inside its parent folder.

    Spaces and non-ASCII letters are kept (people name speakers that way); path separators,
    control characters and characters that Windows forbids become `_`, and names made only
    of dots (`..`) cannot climb out of the output folder.
    """
    cleaned = _UNSAFE_NAME.sub("_", name).strip().strip(".")
    return cleaned[:120] or fallback
