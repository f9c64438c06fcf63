"""The TTS training objective."""

import torch
import torch.nn.functional as F

IGNORE = -100  # label of positions and codebook slots without a target


def codebook_loss(logits: torch.Tensor, labels: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy over every labelled codebook slot, and top-1 accuracy there."""
    flat = logits.float().flatten(0, -2)
    target = labels.flatten()
    loss = F.cross_entropy(flat, target, ignore_index=IGNORE)
    keep = target != IGNORE
    accuracy = (flat.argmax(-1)[keep] == target[keep]).float().mean()
    return loss, accuracy.detach()
