"""VoxCodec's training step for the shared trainer: reconstruction + GAN, one forward pass.

The generator (the codec) resynthesises the batch; one discriminator pass over real and
resynthesised audio together gives the discriminator's hinge loss and the generator's
adversarial and feature-matching losses. The trainer backpropagates each group's loss into
that group's parameters only, so neither sees the other's gradients.
"""

from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from voxtune.codec.voxcodec.checkpoint import WEIGHTS_FILE, save_codec
from voxtune.codec.voxcodec.config import CodecTrainConfig
from voxtune.codec.voxcodec.discriminators import Discriminator
from voxtune.codec.voxcodec.losses import (
    MultiScaleMelLoss,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
)
from voxtune.codec.voxcodec.model import VoxCodecModel
from voxtune.weights import read_weights

DISCRIMINATOR_FILE = "discriminator.safetensors"


class CodecTask:
    """Trains `codec` (a `VoxCodecModel`) against a freshly built discriminator."""

    throughput_unit = "audio_s"

    def __init__(self, codec: VoxCodecModel, config: CodecTrainConfig):
        self.config = config
        disc = config.discriminator
        self.discriminator = Discriminator(
            periods=tuple(disc.periods), mpd_channels=disc.mpd_channels,
            resolutions=tuple(tuple(r) for r in disc.resolutions),
            mrd_channels=disc.mrd_channels)
        self.codec = codec
        self.modules: dict[str, nn.Module] = {"discriminator": self.discriminator,
                                              "codec": codec}
        self.mel_loss = MultiScaleMelLoss(codec.config.sample_rate)

    def training_step(self, modules: Mapping[str, nn.Module], batch: torch.Tensor, step: int
                      ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        weights = self.config.loss
        recon, _ = modules["codec"](batch)
        mel = self.mel_loss.to(batch.device)(recon, batch)
        generator = weights.mel_weight * mel
        scalars = {"mel": mel.detach()}
        losses = {}
        if weights.gan_start_step is not None and step >= weights.gan_start_step:
            logits, features = modules["discriminator"](torch.cat([batch, recon]))
            n = len(batch)
            real = [x[:n] for x in logits]
            fake = [x[n:] for x in logits]
            adversarial = generator_adversarial_loss(fake)
            matching = feature_matching_loss([[f[:n] for f in fs] for fs in features],
                                             [[f[n:] for f in fs] for fs in features])
            losses["discriminator"] = discriminator_loss(real, fake)
            generator = generator + weights.adversarial_weight * adversarial \
                + weights.feature_weight * matching
            scalars.update(adversarial=adversarial.detach(), feature_matching=matching.detach(),
                           discriminator=losses["discriminator"].detach())
        losses["codec"] = generator
        scalars["codec"] = generator.detach()
        return losses, scalars

    def validation_step(self, modules: Mapping[str, nn.Module],
                        batch: torch.Tensor) -> dict[str, float]:
        recon, _ = modules["codec"](batch)
        return {"mel": float(self.mel_loss.to(batch.device)(recon, batch))}

    def batch_size(self, batch: torch.Tensor) -> float:
        return batch.numel() / self.codec.config.sample_rate

    def move_to(self, batch: torch.Tensor, device: torch.device) -> torch.Tensor:
        return batch.to(device, non_blocking=True)

    def save(self, folder: Path, states: dict[str, dict[str, torch.Tensor]] | None = None
             ) -> None:
        states = states or {}
        save_codec(self.codec, folder, state=states.get("codec"))
        discriminator = states.get("discriminator", self.discriminator.state_dict())
        save_file({k: v.contiguous() for k, v in discriminator.items()},
                  str(folder / DISCRIMINATOR_FILE))

    def load(self, folder: Path) -> None:
        self.codec.load_state_dict(read_weights(folder / WEIGHTS_FILE))
        self.discriminator.load_state_dict(read_weights(folder / DISCRIMINATOR_FILE))
