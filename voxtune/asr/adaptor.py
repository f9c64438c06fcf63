"""The adaptor: encoder frames → LLM embeddings, `downsample_rate` times fewer.

Consecutive encoder frames are stacked (the last group is zero-padded) and a two-layer MLP
maps each stack to the LLM's embedding size, as Fun-ASR's and Qwen-Audio's adaptors do.
Stacking keeps every frame's information, where pooling would average it away.
"""

import torch
from torch import nn

from voxtune.asr.config import AudioAdaptorConf
from voxtune.asr.encoder import padding_mask


class Adaptor(nn.Module):
    def __init__(self, conf: AudioAdaptorConf, encoder_size: int, llm_size: int):
        super().__init__()
        self.rate = conf.downsample_rate
        self.mlp = nn.Sequential(nn.Linear(encoder_size * self.rate, conf.ffn_dim), nn.GELU(),
                                 nn.Linear(conf.ffn_dim, llm_size))

    def output_length(self, frames: int) -> int:
        return -(-frames // self.rate)

    def forward(self, hidden: torch.Tensor, lengths: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """[B, T, encoder size] → [B, ceil(T / rate), LLM size] and the new lengths."""
        b, t, d = hidden.shape
        hidden = hidden.masked_fill(padding_mask(lengths, t)[..., None], 0.0)
        extra = -t % self.rate
        if extra:
            hidden = nn.functional.pad(hidden, (0, 0, 0, extra))
        stacked = hidden.reshape(b, (t + extra) // self.rate, d * self.rate)
        return self.mlp(stacked), -(-lengths // self.rate)
