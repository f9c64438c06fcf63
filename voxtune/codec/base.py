"""The `Codec` protocol: audio in samples ↔ discrete codes in frames, and `load_codec`.

Everything made with a codec (token shards, fine-tuned models) records its `codec_id`, so codes
from one codec are never decoded with another.
"""

from typing import Protocol, runtime_checkable

import torch
from transformers import PretrainedConfig

from voxtune.codec.transformers_codec import SUPPORTED_MODEL_TYPES, TransformersCodec
from voxtune.codec.voxcodec.checkpoint import is_voxcodec_folder
from voxtune.codec.voxcodec.codec import VoxCodec
from voxtune.errors import InputError
from voxtune.shipped import resolve_model


@runtime_checkable
class Codec(Protocol):
    """A neural audio codec working on mono audio at `sample_rate` Hz.

    `codec_id` names the exact codec (family and a hash of config and weights, e.g.
    `transformers:mimi:0123456789ab`); `frame_rate` is in frames per second; codes are
    `num_codebooks` parallel streams of integers in [0, `codebook_size`).
    `decode_context` is how many frames on either side decoding one frame depends on, when
    that is small and known: chunks decoded with that much context join exactly, so audio
    can stream while codes are still being generated; None means decode whole pieces.
    """

    codec_id: str
    sample_rate: int
    frame_rate: float
    num_codebooks: int
    codebook_size: int
    decode_context: int | None

    def frames_for(self, num_samples: int) -> int:
        """Frames covering `num_samples` samples: ceil(num_samples / samples per frame)."""
        ...

    def encode(self, wavs: torch.Tensor,
               lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Float [batch, samples] at `sample_rate`, valid lengths in samples [batch]
        → int64 codes [batch, num_codebooks, frames] and valid lengths in frames [batch]."""
        ...

    def decode(self, codes: torch.Tensor,
               lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Codes [batch, num_codebooks, frames], valid lengths in frames [batch]
        → float [batch, samples] at `sample_rate` and valid lengths in samples [batch]."""
        ...


def codec_device(codec: Codec) -> torch.device:
    """Where a codec's model runs (the CPU for codecs without a model, such as test doubles)."""
    return getattr(codec, "device", torch.device("cpu"))


def load_codec(name_or_path: str, device: str = "cpu") -> Codec:
    """Load the codec at a local folder or hub id, recognised from its config.

    A folder with `config.yaml` saying `kind: voxcodec` is voxtune's own codec (any VoxCodec
    training checkpoint is one); otherwise transformers checkpoints (config.json with
    model_type mimi, dac or encodec) are recognised. A shipped model's name (`vox-base`)
    loads its codec.
    """
    name_or_path = resolve_model(name_or_path, "codec")
    if is_voxcodec_folder(name_or_path):
        return VoxCodec.from_pretrained(name_or_path, device=device)
    supported = ", ".join(sorted(SUPPORTED_MODEL_TYPES))
    try:
        config, _ = PretrainedConfig.get_config_dict(name_or_path)
    except (OSError, ValueError) as exc:
        raise InputError(f"{name_or_path}: no codec config found ({exc}); expected a VoxCodec "
                         "folder, or a folder or hub id of a transformers codec with model_type "
                         f"one of {supported}"
                         ) from exc
    model_type = config.get("model_type")
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise InputError(f"{name_or_path}: model_type {model_type!r} is not a supported codec; "
                         f"use a transformers codec with model_type one of {supported}")
    return TransformersCodec.from_pretrained(name_or_path, device=device)
