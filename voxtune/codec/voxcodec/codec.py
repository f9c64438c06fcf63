"""`VoxCodec`: voxtune's own codec behind the `Codec` protocol."""

import math
from pathlib import Path

import torch

from voxtune.codec.voxcodec.checkpoint import codec_fingerprint, load_codec_model, save_codec
from voxtune.codec.voxcodec.model import VoxCodecModel
from voxtune.errors import InputError


class VoxCodec:
    """A trained `VoxCodecModel` used as a `Codec` (ids look like `voxcodec:0123456789ab`).

    Audio is zero-padded to whole token frames before encoding, so an item's codes depend
    only on its own samples and frame count: equal-frame batches give one-at-a-time codes.
    """

    def __init__(self, model: VoxCodecModel, device: str = "cpu"):
        self.model = model.to(device).eval()
        config = model.config
        self.sample_rate: int = config.sample_rate
        self.frame_rate: float = config.frame_rate
        self.num_codebooks: int = config.num_codebooks
        self.codebook_size: int = config.codebook_size
        self.samples_per_frame: int = config.samples_per_frame
        self.codec_id: str = f"voxcodec:{codec_fingerprint(model)}"
        self.decode_context: int | None = model.decode_context

    @classmethod
    def from_pretrained(cls, folder: str | Path, device: str = "cpu") -> "VoxCodec":
        """Load a VoxCodec folder (a trained codec or any training checkpoint)."""
        return cls(load_codec_model(folder), device=device)

    def save_pretrained(self, folder: str | Path) -> None:
        save_codec(self.model, Path(folder))

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def frames_for(self, num_samples: int) -> int:
        return math.ceil(num_samples / self.samples_per_frame)

    @torch.inference_mode()
    def encode(self, wavs: torch.Tensor,
               lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        frames = self.frames_for(wavs.shape[-1])
        padded = torch.zeros(wavs.shape[0], frames * self.samples_per_frame,
                             device=self.device)
        padded[:, :wavs.shape[-1]] = wavs.to(self.device, torch.float32)
        codes = self.model.encode(padded)
        frame_lengths = torch.tensor([self.frames_for(int(n)) for n in lengths])
        return codes.to(wavs.device), frame_lengths.to(lengths.device)

    @torch.inference_mode()
    def decode(self, codes: torch.Tensor,
               lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if codes.numel() and (int(codes.min()) < 0 or int(codes.max()) >= self.codebook_size):
            raise InputError(f"codes outside [0, {self.codebook_size}) cannot come from "
                             f"{self.codec_id}; were they made by another codec?")
        wavs = self.model.decode(codes.to(self.device, torch.long))
        return wavs.to(codes.device), lengths * self.samples_per_frame
