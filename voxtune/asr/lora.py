"""LoRA on the recognizer's LLM through PEFT (`llm_conf.use_lora`, `llm_conf.lora_conf`).

The adapters train while the LLM's own weights stay fixed, so a large pretrained LLM keeps
what it knows about language and a fine-tune costs a few megabytes of trainable weights.
Checkpoints hold base and adapter weights together (loadable on their own); for decoding the
adapters are folded into the base weights (`merge_lora`), which makes each step as fast as
the plain LLM's.
"""

from peft import LoraConfig, PeftModel, get_peft_model

from voxtune.asr.config import LoraConf
from voxtune.asr.model import VoxASR


def apply_lora(model: VoxASR, conf: LoraConf) -> None:
    """Inject LoRA adapters into the LLM's `target_modules`; freezes its other weights."""
    model.llm = get_peft_model(model.llm, LoraConfig(
        r=conf.r, lora_alpha=conf.lora_alpha, lora_dropout=conf.lora_dropout,
        target_modules=list(conf.target_modules), bias="none"))


def merge_lora(model: VoxASR) -> None:
    """Fold the adapters into the LLM's weights (in place); a plain LLM without adapters."""
    if isinstance(model.llm, PeftModel):
        model.llm = model.llm.merge_and_unload()
