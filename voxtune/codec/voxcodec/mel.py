"""Log-mel spectrograms in torch: VoxCodec's encoder input and its reconstruction losses.

The filterbank comes from `transformers.audio_utils.mel_filter_bank` (Slaney-normalised,
Slaney mel scale, as librosa's default), so no audio library beyond what voxtune already
depends on is needed, and the transform runs on any device inside autograd.
"""

import torch
from torch import nn
from transformers.audio_utils import mel_filter_bank

LOG_FLOOR = 1e-5


class LogMel(nn.Module):
    """Waveform [batch, samples] → natural-log mel magnitude [batch, n_mels, frames].

    Frames are centred (`samples // hop_length + 1` of them), a Hann window of `n_fft`
    samples, magnitudes clamped at `LOG_FLOOR` before the log.
    """

    def __init__(self, sample_rate: int, n_fft: int, hop_length: int, n_mels: int,
                 f_min: float = 0.0, f_max: float | None = None):
        super().__init__()
        self.n_fft, self.hop_length = n_fft, hop_length
        bank = mel_filter_bank(num_frequency_bins=n_fft // 2 + 1, num_mel_filters=n_mels,
                               min_frequency=f_min, max_frequency=f_max or sample_rate / 2,
                               sampling_rate=sample_rate, norm="slaney", mel_scale="slaney")
        self.register_buffer("filters", torch.from_numpy(bank).float().T, persistent=False)
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)

    def forward(self, wavs: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(wavs.float(), self.n_fft, self.hop_length, window=self.window,
                          center=True, pad_mode="reflect", return_complex=True)
        mel = self.filters @ spec.abs()
        return mel.clamp(min=LOG_FLOOR).log()
