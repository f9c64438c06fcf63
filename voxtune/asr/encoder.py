"""Audio encoders: log-mel frames [B, T, bins] → hidden states [B, T', D] and their lengths.

- `VoxEncoder`, voxtune's own: two 3×3 stride-2 convolutions over time and frequency (10 ms
  frames → 40 ms), sinusoidal positions, then conformer-lite blocks (self-attention, a
  depthwise convolution module, a feed-forward layer; pre-norm, residual). The convolution
  module gives each frame its neighbourhood, which small speech datasets do not give
  attention alone enough examples to learn. Padding is masked everywhere (attention keys,
  convolution inputs, subsampled frames), so a clip encodes the same alone or in a batch.
- `WhisperAudioEncoder`: a transformers `WhisperEncoder` (20 ms frames), its output cut to
  the frames that hold the clip rather than Whisper's whole padded window.
"""

import math

import torch
from torch import nn
from transformers import WhisperConfig, WhisperModel
from transformers.models.whisper.modeling_whisper import WhisperEncoder

from voxtune.asr.config import AudioEncoderConf
from voxtune.errors import InputError


def padding_mask(lengths: torch.Tensor, size: int) -> torch.Tensor:
    """[B, size] True where a position lies past its row's length."""
    return torch.arange(size, device=lengths.device)[None] >= lengths[:, None]


class ConvSubsampling(nn.Module):
    """[B, T, bins] → [B, ceil(ceil(T / 2) / 2), D]."""

    def __init__(self, bins: int, hidden: int, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=2, padding=1)
        self.out = nn.Linear(channels * math.ceil(math.ceil(bins / 2) / 2), hidden)

    def forward(self, features: torch.Tensor, lengths: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        x = features.unsqueeze(1)
        for conv in (self.conv1, self.conv2):
            x = nn.functional.gelu(conv(x))
            lengths = (lengths + 1) // 2
            # what a padded frame became must not leak into the next convolution
            x = x.masked_fill(padding_mask(lengths, x.shape[2])[:, None, :, None], 0.0)
        b, c, t, f = x.shape
        return self.out(x.permute(0, 2, 1, 3).reshape(b, t, c * f)), lengths


class ConformerLiteBlock(nn.Module):
    """Self-attention, depthwise convolution, feed-forward; each pre-norm with a residual."""

    def __init__(self, hidden: int, heads: int, ffn: int, kernel: int, dropout: float):
        super().__init__()
        self.attn_norm = nn.LayerNorm(hidden)
        self.attn = nn.MultiheadAttention(hidden, heads, dropout=dropout, batch_first=True)
        self.conv_norm = nn.LayerNorm(hidden)
        self.pointwise = nn.Linear(hidden, 2 * hidden)
        self.depthwise = nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2, groups=hidden)
        self.conv_out = nn.Linear(hidden, hidden)
        self.ffn_norm = nn.LayerNorm(hidden)
        self.ffn = nn.Sequential(nn.Linear(hidden, ffn), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(ffn, hidden))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        h = self.attn_norm(x)
        x = x + self.dropout(self.attn(h, h, h, key_padding_mask=pad, need_weights=False)[0])
        h = nn.functional.glu(self.pointwise(self.conv_norm(x)), dim=-1)
        h = self.depthwise(h.masked_fill(pad[..., None], 0.0).transpose(1, 2)).transpose(1, 2)
        x = x + self.dropout(self.conv_out(nn.functional.silu(h)))
        return x + self.dropout(self.ffn(self.ffn_norm(x)))


class VoxEncoder(nn.Module):
    """voxtune's own audio encoder (see the module docstring)."""

    _no_split_modules = ["ConformerLiteBlock"]  # the unit of FSDP sharding and compilation

    def __init__(self, conf: AudioEncoderConf):
        super().__init__()
        self.output_size = conf.hidden_size
        self.subsample = ConvSubsampling(conf.mel_bins, conf.hidden_size,
                                         channels=max(32, conf.hidden_size // 4))
        self.blocks = nn.ModuleList(
            ConformerLiteBlock(conf.hidden_size, conf.heads, conf.ffn_size, conf.conv_kernel,
                               conf.dropout) for _ in range(conf.layers))
        self.norm = nn.LayerNorm(conf.hidden_size)

    @staticmethod
    def output_length(frames: int) -> int:
        return (((frames + 1) // 2) + 1) // 2

    def forward(self, features: torch.Tensor, lengths: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        x, lengths = self.subsample(features, lengths)
        x = x + _sinusoids(x.shape[1], x.shape[2], x.device).to(x.dtype)
        pad = padding_mask(lengths, x.shape[1])
        for block in self.blocks:
            x = block(x, pad)
        return self.norm(x), lengths


class WhisperAudioEncoder(nn.Module):
    """A Whisper encoder over features padded to its window; output cut to the clips."""

    def __init__(self, encoder: WhisperEncoder):
        super().__init__()
        self.whisper = encoder
        self.output_size = encoder.config.d_model

    @staticmethod
    def output_length(frames: int) -> int:
        return (frames + 1) // 2

    def forward(self, features: torch.Tensor, lengths: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.whisper(features.transpose(1, 2)).last_hidden_state
        lengths = (lengths + 1) // 2
        return hidden[:, :int(lengths.max())], lengths


AudioEncoder = VoxEncoder | WhisperAudioEncoder


def build_encoder(conf: AudioEncoderConf) -> AudioEncoder:
    """A new encoder of `conf`'s kind and sizes (Whisper: from `pretrained` when given)."""
    if conf.kind == "voxtune":
        return VoxEncoder(conf)
    if conf.pretrained:
        try:
            whisper = WhisperModel.from_pretrained(conf.pretrained, dtype=torch.float32)
        except (OSError, ValueError) as exc:
            raise InputError(f"audio_encoder_conf.pretrained={conf.pretrained!r}: cannot load "
                             f"a Whisper model ({exc}); give a local Whisper folder or a hub "
                             "id such as openai/whisper-small") from exc
        return WhisperAudioEncoder(whisper.get_encoder())
    return WhisperAudioEncoder(WhisperEncoder(whisper_config(conf)))


def whisper_config(conf: AudioEncoderConf) -> WhisperConfig:
    """The WhisperConfig of an encoder built from `conf`'s sizes (window `max_seconds`)."""
    return WhisperConfig(d_model=conf.hidden_size, encoder_layers=conf.layers,
                         encoder_attention_heads=conf.heads, encoder_ffn_dim=conf.ffn_size,
                         num_mel_bins=conf.mel_bins, dropout=conf.dropout,
                         max_source_positions=int(conf.max_seconds * 50))


def _sinusoids(length: int, channels: int, device: torch.device) -> torch.Tensor:
    """Transformer sinusoidal positions [length, channels]."""
    half = channels // 2
    scales = torch.exp(-math.log(10000.0) * torch.arange(half, device=device) / max(half - 1, 1))
    angles = torch.arange(length, device=device)[:, None] * scales[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)
