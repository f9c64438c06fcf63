"""VoxTTS's training step for the shared trainer: cross-entropy on the next audio step."""

from collections.abc import Mapping
from pathlib import Path

import torch
from peft import set_peft_model_state_dict
from torch import nn

from voxtune.errors import InputError
from voxtune.tts.checkpoint import ROWS_FILE, TTSMeta, load_rows, save_tts
from voxtune.tts.lora import is_lora
from voxtune.tts.loss import codebook_loss
from voxtune.tts.model import VoxTTS
from voxtune.weights import read_weights


class TTSTask:
    """Trains a `VoxTTS` (full, or LoRA adapters and chosen rows)."""

    throughput_unit = "tokens"

    def __init__(self, model: VoxTTS, meta: TTSMeta, tokenizer):
        self.model, self.meta, self.tokenizer = model, meta, tokenizer
        self.modules: dict[str, nn.Module] = {"model": model}

    def training_step(self, modules: Mapping[str, nn.Module], batch: dict, step: int
                      ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        logits = modules["model"](batch["tokens"], batch["attention_mask"],
                                  batch.get("position_ids"))
        loss, accuracy = codebook_loss(logits, batch["labels"])
        return {"model": loss}, {"loss": loss.detach(), "accuracy": accuracy}

    def validation_step(self, modules: Mapping[str, nn.Module], batch: dict
                        ) -> dict[str, float]:
        logits = modules["model"](batch["tokens"], batch["attention_mask"],
                                  batch.get("position_ids"))
        loss, accuracy = codebook_loss(logits, batch["labels"])
        scores = {"loss": float(loss), "accuracy": float(accuracy)}
        if "wrong_tokens" in batch:  # the same audio under another sentence's text
            wrong = modules["model"](batch["wrong_tokens"], batch["wrong_attention_mask"],
                                     batch.get("wrong_position_ids"))
            scores["text_gain"] = float(codebook_loss(wrong, batch["wrong_labels"])[0] - loss)
        return scores

    def batch_size(self, batch: dict) -> float:
        return float(batch["attention_mask"].sum())

    def move_to(self, batch: dict, device: torch.device) -> dict:
        return {k: v.to(device, non_blocking=True) for k, v in batch.items()}

    def save(self, folder: Path, states: dict[str, dict[str, torch.Tensor]] | None = None
             ) -> None:
        save_tts(self.model, folder, self.meta, self.tokenizer,
                 state=states["model"] if states else None)

    def load(self, folder: Path) -> None:
        if is_lora(self.model):
            set_peft_model_state_dict(self.model.lm,
                                      read_weights(folder / "adapter_model.safetensors"))
        else:
            weights = read_weights(folder / "model.safetensors")
            missing, unexpected = self.model.lm.load_state_dict(weights, strict=False)
            tied = {"lm_head.weight"} if self.model.lm.config.tie_word_embeddings else set()
            if set(missing) - tied or unexpected:
                raise InputError(f"{folder}: weights do not match the model "
                                   f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
        if self.meta.trained_rows is not None and (folder / ROWS_FILE).is_file():
            load_rows(self.model, folder, self.meta.trained_rows)
