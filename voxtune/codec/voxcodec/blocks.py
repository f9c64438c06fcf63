"""VoxCodec's building blocks: ConvNeXt-1D blocks (as in Vocos) and a "same"-padded ISTFT.

torch.istft's centred frames leave the first and last samples under a tiny window envelope;
the "same" padding variant (Vocos's) returns exactly `frames × hop` samples, which is what
lets a codec frame map to a fixed number of samples.
"""

import torch
import torch.nn.functional as F
from torch import nn


class ConvNeXtBlock(nn.Module):
    """Depthwise conv (kernel 7) → LayerNorm → pointwise MLP (GELU) → layer scale → residual.

    Works on [batch, channels, frames]; non-causal, receptive field 7 frames per block.
    """

    def __init__(self, dim: int, ffn_ratio: float, layer_scale: float):
        super().__init__()
        hidden = int(dim * ffn_ratio)
        self.depthwise = nn.Conv1d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.up = nn.Linear(dim, hidden)
        self.down = nn.Linear(hidden, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.depthwise(x).transpose(1, 2)
        y = self.down(F.gelu(self.up(self.norm(y))))
        return x + (self.gamma * y).transpose(1, 2)


class ConvNeXtStack(nn.Module):
    """`layers` ConvNeXt blocks with a final LayerNorm; layer scale 1/layers as in Vocos."""

    def __init__(self, dim: int, layers: int, ffn_ratio: float):
        super().__init__()
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(dim, ffn_ratio, 1.0 / max(layers, 1)) for _ in range(layers))
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


class ISTFTHead(nn.Module):
    """Features [batch, dim, frames] → waveform [batch, frames × hop_length].

    Predicts log-magnitude (clamped to e^7 ≈ 1100, so early training cannot blow up) and a
    phase angle per bin, then inverts with overlap-add of Hann windows ("same" padding).
    """

    def __init__(self, dim: int, n_fft: int, hop_length: int):
        super().__init__()
        if (n_fft - hop_length) % 2:
            raise ValueError(f"n_fft {n_fft} - hop_length {hop_length} must be even")
        self.n_fft, self.hop_length = n_fft, hop_length
        self.project = nn.Linear(dim, n_fft + 2)
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.project(x.transpose(1, 2)).transpose(1, 2).float()
        log_mag, phase = out.chunk(2, dim=1)
        spec = torch.polar(log_mag.clamp(max=7.0).exp(), phase)
        return self._istft(spec)

    def _istft(self, spec: torch.Tensor) -> torch.Tensor:
        frames = spec.shape[-1]
        pad = (self.n_fft - self.hop_length) // 2
        chunks = torch.fft.irfft(spec, self.n_fft, dim=1) * self.window[None, :, None]
        size = (frames - 1) * self.hop_length + self.n_fft
        fold = dict(output_size=(1, size), kernel_size=(1, self.n_fft),
                    stride=(1, self.hop_length))
        signal = F.fold(chunks, **fold)[:, 0, 0, pad:size - pad]
        squares = self.window.square()[None, :, None].expand(1, -1, frames)
        envelope = F.fold(squares, **fold)[0, 0, 0, pad:size - pad]
        return signal / envelope.clamp(min=1e-8)
