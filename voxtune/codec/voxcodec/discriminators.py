"""VoxCodec's GAN discriminators: HiFi-GAN's multi-period and UnivNet/Vocos' multi-resolution.

The period discriminators look at the waveform folded by a prime period, so they judge
periodic (pitch) structure; the resolution discriminators look at magnitude spectrograms, so
they judge spectral detail at several time/frequency trade-offs. Both are scaled down from the
papers (about 1.1 M + 0.3 M parameters with the defaults, against HiFi-GAN's 41 M MPD) to suit
a small 16 kHz codec.

Every sub-discriminator returns `(logits, features)`: logits flattened to [batch, n] (one score
per patch, for the hinge losses) and the activations after each hidden conv, for feature
matching.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

LEAK = 0.1


def _conv2d(in_ch: int, out_ch: int, kernel: tuple[int, int], stride: tuple[int, int] = (1, 1),
            padding: tuple[int, int] = (0, 0)) -> nn.Conv2d:
    return weight_norm(nn.Conv2d(in_ch, out_ch, kernel, stride, padding))


def _run(convs: nn.ModuleList, post: nn.Conv2d,
         x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    features = []
    for conv in convs:
        x = F.leaky_relu(conv(x), LEAK)
        features.append(x)
    return post(x).flatten(1), features


class PeriodDiscriminator(nn.Module):
    """Judges a waveform folded to [batch, 1, samples / period, period] (HiFi-GAN).

    Four (5, 1) convs of stride (3, 1) then one of stride 1, channels doubling from `channels`
    up to `max_channels`; kernels never mix columns, so each sees samples one period apart.
    """

    def __init__(self, period: int, channels: int = 16, max_channels: int = 256):
        super().__init__()
        self.period = period
        widths = [min(channels * 2**i, max_channels) for i in range(5)]
        strides = [3, 3, 3, 3, 1]
        self.convs = nn.ModuleList(
            _conv2d(c_in, c_out, (5, 1), (s, 1), (2, 0))
            for c_in, c_out, s in zip([1, *widths[:-1]], widths, strides, strict=True))
        self.post = _conv2d(widths[-1], 1, (3, 1), padding=(1, 0))

    def forward(self, wavs: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """wavs [batch, samples] → (logits [batch, n], feature maps)."""
        x = wavs.unsqueeze(1)
        remainder = x.shape[-1] % self.period
        if remainder:
            x = F.pad(x, (0, self.period - remainder), mode="reflect")
        x = x.view(x.shape[0], 1, -1, self.period)
        return _run(self.convs, self.post, x)


class MultiPeriodDiscriminator(nn.Module):
    """One `PeriodDiscriminator` per period; primes so that the foldings do not overlap."""

    def __init__(self, periods: tuple[int, ...] = (2, 3, 5, 7, 11), channels: int = 16,
                 max_channels: int = 256):
        super().__init__()
        self.discriminators = nn.ModuleList(
            PeriodDiscriminator(p, channels, max_channels) for p in periods)

    def forward(self, wavs: torch.Tensor) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
        """wavs [batch, samples] → (logits, feature maps) per period."""
        return [d(wavs) for d in self.discriminators]


class ResolutionDiscriminator(nn.Module):
    """Judges a magnitude STFT laid out as an image [batch, 1, frames, n_fft // 2 + 1].

    `n_fft`, `hop_length` and `win_length` are in samples (Hann window, centred frames).
    Convs as in UnivNet: (3, 9) kernels, three of them halving the frequency axis.
    """

    def __init__(self, n_fft: int, hop_length: int, win_length: int, channels: int = 32):
        super().__init__()
        self.n_fft, self.hop_length, self.win_length = n_fft, hop_length, win_length
        self.register_buffer("window", torch.hann_window(win_length), persistent=False)
        self.convs = nn.ModuleList([
            _conv2d(1, channels, (3, 9), padding=(1, 4)),
            *(_conv2d(channels, channels, (3, 9), (1, 2), (1, 4)) for _ in range(3)),
            _conv2d(channels, channels, (3, 3), padding=(1, 1)),
        ])
        self.post = _conv2d(channels, 1, (3, 3), padding=(1, 1))

    def forward(self, wavs: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """wavs [batch, samples] → (logits [batch, n], feature maps)."""
        spec = torch.stft(wavs.float(), self.n_fft, self.hop_length, self.win_length,
                          window=self.window, center=True, pad_mode="reflect",
                          return_complex=True)
        x = spec.abs().transpose(1, 2).unsqueeze(1)
        return _run(self.convs, self.post, x)


class MultiResolutionDiscriminator(nn.Module):
    """One `ResolutionDiscriminator` per (n_fft, hop_length, win_length), all in samples."""

    def __init__(self, resolutions: tuple[tuple[int, int, int], ...] = (
            (512, 128, 512), (1024, 256, 1024), (256, 64, 256)), channels: int = 32):
        super().__init__()
        self.discriminators = nn.ModuleList(
            ResolutionDiscriminator(n_fft, hop, win, channels) for n_fft, hop, win in resolutions)

    def forward(self, wavs: torch.Tensor) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
        """wavs [batch, samples] → (logits, feature maps) per resolution."""
        return [d(wavs) for d in self.discriminators]


class Discriminator(nn.Module):
    """The multi-period and multi-resolution discriminators side by side, periods first."""

    def __init__(self, periods: tuple[int, ...] = (2, 3, 5, 7, 11), mpd_channels: int = 16,
                 resolutions: tuple[tuple[int, int, int], ...] = (
                     (512, 128, 512), (1024, 256, 1024), (256, 64, 256)),
                 mrd_channels: int = 32):
        super().__init__()
        self.mpd = MultiPeriodDiscriminator(periods, mpd_channels)
        self.mrd = MultiResolutionDiscriminator(resolutions, mrd_channels)

    def forward(self, wavs: torch.Tensor) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
        """wavs [batch, samples] → (logits of every sub-discriminator, their feature maps)."""
        outputs = self.mpd(wavs) + self.mrd(wavs)
        return [logits for logits, _ in outputs], [features for _, features in outputs]
