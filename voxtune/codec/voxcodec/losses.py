"""VoxCodec's training losses: multi-scale mel reconstruction plus hinge GAN terms.

The mel loss carries most of the signal (as in DAC); the adversarial and feature-matching terms
restore the fine detail an L1 on mels blurs away (as in HiFi-GAN and Vocos). The GAN functions
take the per-sub-discriminator lists that `discriminators.Discriminator` returns.
"""

import torch
from torch import nn

from voxtune.codec.voxcodec.mel import LogMel


class MultiScaleMelLoss(nn.Module):
    """Mean L1 between log-mels of prediction and target over several STFT sizes (DAC-style).

    Small FFTs catch timing errors and large ones pitch and harmonic errors, so no single
    time/frequency trade-off dominates. Scale i uses `n_ffts[i]` samples per window, a hop of a
    quarter window and `n_mels[i]` bands between `f_min` and `f_max` Hz.
    """

    def __init__(self, sample_rate: int, n_ffts: tuple[int, ...] = (256, 512, 1024, 2048),
                 n_mels: tuple[int, ...] = (20, 40, 80, 160), f_min: float = 0.0,
                 f_max: float | None = None):
        super().__init__()
        self.mels = nn.ModuleList(
            LogMel(sample_rate, n_fft, n_fft // 4, bands, f_min, f_max)
            for n_fft, bands in zip(n_ffts, n_mels, strict=True))

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """pred, target [batch, samples] → scalar loss (nats of log-mel, averaged)."""
        losses = [(mel(pred) - mel(target)).abs().mean() for mel in self.mels]
        return torch.stack(losses).mean()


def discriminator_loss(real_logits: list[torch.Tensor],
                       fake_logits: list[torch.Tensor]) -> torch.Tensor:
    """Hinge loss for the discriminator, as in Vocos: relu(1 - real) + relu(1 + fake).

    The hinge stops pushing once a logit is past the ±1 margin, which keeps the discriminator
    from running away from the generator. Means over logits, then over sub-discriminators.
    The trainer backpropagates it into the discriminator's parameters only, so the fake logits
    may come from the same (undetached) forward pass that the generator's losses use.
    """
    losses = [torch.relu(1 - real).mean() + torch.relu(1 + fake).mean()
              for real, fake in zip(real_logits, fake_logits, strict=True)]
    return torch.stack(losses).mean()


def generator_adversarial_loss(fake_logits: list[torch.Tensor]) -> torch.Tensor:
    """Hinge loss for the generator, as in Vocos: mean relu(1 - fake) per sub-discriminator.

    Averaged over sub-discriminators, so adding discriminators does not rescale the term.
    """
    return torch.stack([torch.relu(1 - fake).mean() for fake in fake_logits]).mean()


def feature_matching_loss(real_features: list[list[torch.Tensor]],
                          fake_features: list[list[torch.Tensor]]) -> torch.Tensor:
    """Mean L1 between the discriminator's activations on real and generated audio (HiFi-GAN).

    Matching intermediate activations gives the generator a denser, steadier signal than the
    logits alone. Real features are detached: this loss trains the generator only. Means over
    elements, then over the layers of a sub-discriminator, then over sub-discriminators.
    """
    per_discriminator = [
        torch.stack([(real.detach() - fake).abs().mean()
                     for real, fake in zip(reals, fakes, strict=True)]).mean()
        for reals, fakes in zip(real_features, fake_features, strict=True)]
    return torch.stack(per_discriminator).mean()
