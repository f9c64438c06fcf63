"""The recognizer's training step for the shared trainer: cross-entropy on the transcript,
with the encoder's CTC loss beside it when the model has a CTC head."""

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from voxtune.asr.checkpoint import WEIGHTS_FILE, LoadedASR, load_weights, save_asr
from voxtune.asr.frontend import HOP, SAMPLE_RATE
from voxtune.asr.model import IGNORE


def transcript_loss(model: nn.Module, batch: dict[str, torch.Tensor], ctc_weight: float
                    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """(1 − ctc_weight) × the LLM's mean cross-entropy over the answer tokens + ctc_weight ×
    the CTC loss, and the scalars to log: both losses and the share of answer tokens the
    LLM predicts exactly."""
    logits, ctc = model(batch["input_ids"], batch["attention_mask"], batch["audio_mask"],
                        batch["features"], batch["feature_lengths"], batch["labels"],
                        batch["ctc_targets"], batch["ctc_lengths"])
    targets = batch["labels"][batch["labels"] != IGNORE]
    ce = nn.functional.cross_entropy(logits.float(), targets)
    scalars = {"accuracy": (logits.argmax(-1) == targets).float().mean().detach()}
    if ctc is None:
        loss = ce
    else:
        loss = (1 - ctc_weight) * ce + ctc_weight * ctc
        scalars |= {"ce": ce.detach(), "ctc": ctc.detach()}
    return loss, {"loss": loss.detach(), **scalars}


class ASRTask:
    """Trains a `VoxASR` (its unfrozen parts, or LoRA adapters)."""

    throughput_unit = "audio_s"

    def __init__(self, loaded: LoadedASR):
        self.loaded = loaded
        self.modules: dict[str, nn.Module] = {"model": loaded.model}

    def training_step(self, modules: Mapping[str, nn.Module], batch: dict, step: int
                      ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        loss, scalars = transcript_loss(modules["model"], batch, self.loaded.meta.ctc_weight)
        return {"model": loss}, scalars

    def validation_step(self, modules: Mapping[str, nn.Module], batch: dict
                        ) -> dict[str, float]:
        _, scalars = transcript_loss(modules["model"], batch, self.loaded.meta.ctc_weight)
        return {k: float(v) for k, v in scalars.items()}

    def batch_size(self, batch: dict) -> float:
        """Seconds of audio in the batch."""
        return float(batch["feature_lengths"].sum()) * HOP / SAMPLE_RATE

    def move_to(self, batch: dict, device: torch.device) -> dict:
        return {k: v.to(device, non_blocking=True) for k, v in batch.items()}

    def save(self, folder: Path, states: dict[str, dict[str, torch.Tensor]] | None = None
             ) -> None:
        save_asr(self.loaded, folder, state=states["model"] if states else None)

    def load(self, folder: Path) -> None:
        load_weights(self.loaded.model, folder / WEIGHTS_FILE)
