"""VoxCodec's discriminators and training losses, on small synthetic signals."""

import numpy as np
import pytest
import torch

from voxtune.codec.voxcodec.discriminators import Discriminator
from voxtune.codec.voxcodec.losses import (
    MultiScaleMelLoss,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
)

RATE = 16000


def sweep(batch: int, samples: int, seed: int = 0) -> torch.Tensor:
    """Linear sine sweeps from 200 Hz to 2–4 kHz, amplitude 0.5, one per batch row."""
    rng = np.random.default_rng(seed)
    t = np.arange(samples) / RATE
    rows = []
    for _ in range(batch):
        f0, f1 = 200.0, rng.uniform(2000, 4000)
        phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * t[-1]))
        rows.append(0.5 * np.sin(phase))
    return torch.from_numpy(np.stack(rows)).float()


def noise(batch: int, samples: int, std: float, seed: int = 1) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).normal(0, std, (batch, samples))).float()


@pytest.mark.parametrize("samples", [8000, 7999])
def test_discriminator_scores_every_sub_discriminator(samples):
    torch.manual_seed(0)
    logits, features = Discriminator()(sweep(2, samples))
    assert len(logits) == len(features) == 5 + 3
    for scores, maps in zip(logits, features, strict=True):
        assert scores.ndim == 2 and scores.shape[0] == 2 and scores.shape[1] > 0
        assert torch.isfinite(scores).all()
        assert maps and all(m.shape[0] == 2 for m in maps)


def test_mel_loss_is_zero_for_identical_and_grows_with_noise():
    loss = MultiScaleMelLoss(RATE)
    target = sweep(2, 8000)
    assert loss(target, target).item() == 0.0
    slight = loss(target + noise(2, 8000, 0.01), target)
    heavy = loss(target + noise(2, 8000, 0.2), target)
    assert 0 < slight < heavy

    pred = (target + noise(2, 8000, 0.05)).requires_grad_()
    loss(pred, target).backward()
    assert pred.grad is not None and torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


def test_discriminator_learns_to_separate_sine_from_noise():
    torch.manual_seed(0)
    disc = Discriminator(periods=(2, 3), mpd_channels=8, resolutions=((256, 64, 256),),
                         mrd_channels=8)
    optimizer = torch.optim.Adam(disc.parameters(), lr=1e-3)
    real, fake = sweep(2, 2000), noise(2, 2000, 0.3)

    def step() -> float:
        loss = discriminator_loss(disc(real)[0], disc(fake)[0])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    losses = [step() for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0]


def test_hinge_losses_match_hand_computed_values():
    real = [torch.tensor([[0.5, 2.0]]), torch.tensor([[-1.0]])]
    fake = [torch.tensor([[-2.0, 0.0]]), torch.tensor([[1.0]])]
    # sub 1: mean(0.5, 0) + mean(0, 1) = 0.75; sub 2: 2 + 2 = 4; mean = 2.375
    assert discriminator_loss(real, fake).item() == pytest.approx(2.375)
    # sub 1: mean(3, 1) = 2; sub 2: 0; mean = 1
    assert generator_adversarial_loss(fake).item() == pytest.approx(1.0)


def test_feature_matching_trains_only_the_fake_side():
    real = [[torch.ones(2, 3, requires_grad=True), torch.zeros(2, 4, requires_grad=True)]]
    same = [[m.detach().clone().requires_grad_() for m in real[0]]]
    assert feature_matching_loss(real, same).item() == 0.0

    fake = [[torch.zeros(2, 3, requires_grad=True), torch.zeros(2, 4, requires_grad=True)]]
    loss = feature_matching_loss(real, fake)
    assert loss.item() == pytest.approx(0.5)  # layer means 1 and 0
    loss.backward()
    assert all(m.grad is None for m in real[0])
    assert fake[0][0].grad is not None and fake[0][0].grad.abs().sum() > 0
