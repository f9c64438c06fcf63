"""A VoxCodec folder: `config.yaml` (`kind: voxcodec` + the model config) and
`model.safetensors`. Training checkpoints are such folders with more files beside them, so
any checkpoint loads as a codec.

The codec id hashes only what decides the codes (the encoder and quantizer, and their
config), so fine-tuning the decoder keeps the id, and tokens extracted before stay valid.
"""

import hashlib
from pathlib import Path

import torch
import yaml
from safetensors.torch import save_file

from voxtune.codec.voxcodec.config import VoxCodecConfig
from voxtune.codec.voxcodec.model import VoxCodecModel
from voxtune.config import from_dict, to_dict
from voxtune.errors import ConfigError, InputError
from voxtune.files import write_text
from voxtune.weights import read_weights

CONFIG_FILE = "config.yaml"
WEIGHTS_FILE = "model.safetensors"
KIND = "voxcodec"
_TOKENIZER_KEYS = ("sample_rate", "hop_length", "n_fft", "n_mels", "downsample", "encoder_dim",
                   "encoder_high_layers", "encoder_low_layers", "ffn_ratio", "fsq_levels",
                   "num_codebooks")


def is_voxcodec_folder(path: str | Path) -> bool:
    """Whether `path` is a folder whose config.yaml says `kind: voxcodec`."""
    config = Path(path) / CONFIG_FILE
    if not config.is_file():
        return False
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and data.get("kind") == KIND


def save_codec(model: VoxCodecModel, folder: Path,
               state: dict[str, torch.Tensor] | None = None) -> None:
    """Write `config.yaml` and `model.safetensors` (float32) into `folder`; `state` replaces
    the model's own state dict (the gathered weights of a sharded model)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {"kind": KIND, "model": to_dict(model.config)}
    write_text(folder / CONFIG_FILE, yaml.safe_dump(config, sort_keys=False))
    state = model.state_dict() if state is None else state
    weights = {k: v.detach().float().contiguous().cpu() for k, v in state.items()}
    save_file(weights, str(folder / WEIGHTS_FILE), metadata={"kind": KIND})


def load_codec_model(folder: str | Path) -> VoxCodecModel:
    """The model saved in `folder`, on the CPU in eval mode."""
    folder = Path(folder)
    try:
        data = yaml.safe_load((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        config = from_dict(VoxCodecConfig, data["model"], prefix="model.")
    except (OSError, yaml.YAMLError, KeyError, TypeError, ConfigError) as exc:
        raise InputError(f"{folder / CONFIG_FILE}: not a readable VoxCodec config ({exc})"
                         ) from exc
    model = VoxCodecModel(config)
    weights = read_weights(folder / WEIGHTS_FILE)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise InputError(f"{folder / WEIGHTS_FILE}: weights do not match config.yaml "
                         f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    return model.eval()


def codec_fingerprint(model: VoxCodecModel) -> str:
    """12 hex digits over the tokenizer's config and the encoder and quantizer weights."""
    digest = hashlib.sha256()
    config = to_dict(model.config)
    digest.update(repr([(k, config[k]) for k in _TOKENIZER_KEYS]).encode())
    for part in model.tokenizer_modules():
        for name, tensor in sorted(part.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().to(torch.float32).cpu().numpy().tobytes())
    return digest.hexdigest()[:12]

