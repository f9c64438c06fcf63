"""`codes.json`: which codec encoded a dataset's clips, and from which audio.

`voxtune extract` writes it (one per rank under torchrun, merged on reading); `voxtune
pack` reads it to refuse codes that are missing, stale (the audio changed since) or made
by a different codec. Each clip is keyed by its audio path relative to the dataset and
fingerprinted by the audio file's size and mtime (`voxtune.files.file_fingerprint`).
"""

import json
from pathlib import Path
from typing import Any

from voxtune.errors import InputError
from voxtune.files import write_text

CODES_INDEX = "codes.json"


def index_folder(data: Path) -> Path:
    return data if data.is_dir() else data.parent


def clip_key(data: Path, audio: Path) -> str:
    """The audio path relative to the dataset folder (absolute if outside it)."""
    audio, root = audio.resolve(), index_folder(data).resolve()
    return audio.relative_to(root).as_posix() if audio.is_relative_to(root) else str(audio)


def load_codes_index(data: Path, codec_id: str | None = None) -> dict[str, Any] | None:
    """The merged index of `codec_id` (default: the codec of `codes.json`), or None if none.

    Entries written by another codec are left out: their codes are stale for this one.
    """
    folder = index_folder(data)
    found = []
    for path in [folder / CODES_INDEX, *sorted(folder.glob("codes.rank*.json"))]:
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: unreadable codes index ({exc}); delete it and run "
                             "voxtune extract again") from exc
    if not found:
        return None
    codec_id = codec_id or found[0].get("codec", {}).get("id")
    merged: dict[str, Any] = {"codec": None, "clips": {}}
    for index in found:
        if index.get("codec", {}).get("id") == codec_id:
            merged["codec"] = index["codec"]
            merged["clips"].update(index.get("clips", {}))
    return merged if merged["codec"] else None


def save_codes_index(data: Path, index: dict[str, Any], rank: int = 0, world: int = 1) -> None:
    """Write the index; under torchrun each rank writes its own, merged on loading."""
    name = CODES_INDEX if world == 1 else f"codes.rank{rank}.json"
    write_text(index_folder(data) / name, json.dumps(index, ensure_ascii=False, indent=1))
