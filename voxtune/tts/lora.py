"""LoRA for VoxTTS through PEFT, and training chosen vocabulary rows beside it.

LoRA adapts the backbone's linear layers. Tokens the backbone has never seen (codec tokens
of a text LLM, a speaker learned in fine-tuning) need their own rows trained: the embedding
matrix is then left trainable with a gradient mask that keeps every other row fixed. With
weight decay 0 (the TTS default), a row whose gradient is always zero never moves.
"""

import logging

import torch
from peft import LoraConfig as PeftLoraConfig
from peft import PeftModel, get_peft_model

from voxtune.tts.config import LoraConfig
from voxtune.tts.model import VoxTTS

log = logging.getLogger(__name__)


def apply_lora(model: VoxTTS, config: LoraConfig) -> None:
    """Inject LoRA adapters into the backbone (`r_8_alpha_16` by default); freezes the rest."""
    peft_config = PeftLoraConfig(r=config.rank, lora_alpha=config.alpha,
                                 lora_dropout=config.dropout,
                                 target_modules=list(config.target_modules), bias="none")
    model.lm = get_peft_model(model.lm, peft_config)


def train_rows(model: VoxTTS, first: int) -> None:
    """Make vocabulary rows `first`… trainable (and only those) in the embedding matrix,
    which is also the output matrix when the two are tied."""
    weight = model.lm.get_input_embeddings().weight
    weight.requires_grad_(True)
    mask = torch.zeros(weight.shape[0], 1, dtype=weight.dtype, device=weight.device)
    mask[first:] = 1
    weight.register_hook(lambda grad: grad * mask.to(grad.device, grad.dtype))
    output = model.lm.get_output_embeddings().weight
    if output is not weight:
        output.requires_grad_(True)
        output.register_hook(lambda grad: grad * mask.to(grad.device, grad.dtype))
    log.info("training vocabulary rows %d..%d beside the adapters", first, weight.shape[0] - 1)


def is_lora(model: VoxTTS) -> bool:
    return isinstance(model.lm, PeftModel)


def merge_lora(model: VoxTTS) -> VoxTTS:
    """The same model with the adapters folded into the base weights (a plain LM again)."""
    return VoxTTS(model.lm.merge_and_unload(), model.layout)
