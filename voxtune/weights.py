"""Reading safetensors weight files with errors that name the file."""

from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from voxtune.errors import InputError


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file, or an `InputError` naming the file."""
    try:
        return load_file(str(path))
    except (OSError, RuntimeError, SafetensorError) as exc:
        raise InputError(f"{path}: cannot be read ({exc}); the checkpoint is incomplete or "
                         "damaged") from exc
