"""Recognizer model folders: what a checkpoint holds and how it loads on its own.

    asr.yaml                 the model sections of the training config (encoder, adaptor,
                             LLM, LoRA, CTC weight) and the task and system prompts it learned
    model.safetensors        every weight: encoder, adaptor, LLM (and LoRA adapters, CTC head)
    llm/config.json          the LLM's transformers config (its architecture)
    encoder/config.json      a Whisper encoder's config and
    encoder/preprocessor_config.json   its feature extractor (Whisper encoders only)
    tokenizer.json, tokenizer_config.json   the LLM's tokenizer

Nothing is fetched from a hub to load a folder: a model trained from Qwen/Qwen3-0.6B and
openai/whisper-small carries both architectures and all their weights.
"""

from dataclasses import dataclass, field
from pathlib import Path

import torch
import yaml
from safetensors.torch import save_file
from torch import nn
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    PreTrainedTokenizerBase,
    WhisperConfig,
    WhisperFeatureExtractor,
)
from transformers.models.whisper.modeling_whisper import WhisperEncoder

from voxtune.asr.adaptor import Adaptor
from voxtune.asr.config import AudioAdaptorConf, AudioEncoderConf, LLMConf
from voxtune.asr.encoder import VoxEncoder, WhisperAudioEncoder
from voxtune.asr.frontend import Frontend, KaldiFbank, WhisperFbank
from voxtune.asr.lora import apply_lora, merge_lora
from voxtune.asr.model import VoxASR
from voxtune.asr.prompts import SYSTEM
from voxtune.asr.tokenizer import load_tokenizer
from voxtune.config import from_dict, to_dict
from voxtune.data.layouts.options import PROMPT_ZH
from voxtune.errors import ConfigError, InputError
from voxtune.files import write_text
from voxtune.weights import read_weights

META_FILE = "asr.yaml"
WEIGHTS_FILE = "model.safetensors"
LLM_DIR, ENCODER_DIR = "llm", "encoder"


@dataclass
class AsrMeta:
    """`asr.yaml`: the architecture and the prompts the model was trained with. `prompt`
    (the most common task prompt of its training data) is what decoding asks by default."""

    audio_encoder_conf: AudioEncoderConf = field(default_factory=AudioEncoderConf)
    audio_adaptor_conf: AudioAdaptorConf = field(default_factory=AudioAdaptorConf)
    llm_conf: LLMConf = field(default_factory=LLMConf)
    prompt: str = PROMPT_ZH
    system: str = SYSTEM
    language: str = "en"
    ctc_weight: float = 0.0
    kind: str = "voxtune-asr"


@dataclass
class LoadedASR:
    """A model ready to use: the network, its description, tokenizer and front end."""

    model: VoxASR
    meta: AsrMeta
    tokenizer: PreTrainedTokenizerBase
    frontend: Frontend


def is_asr_folder(path: str | Path) -> bool:
    return (Path(path) / META_FILE).is_file()


def read_meta(folder: Path) -> AsrMeta:
    path = Path(folder) / META_FILE
    try:
        return from_dict(AsrMeta, yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ConfigError) as exc:
        raise InputError(f"{path}: not a readable recognizer description ({exc}); is "
                         f"{folder} a voxtune ASR checkpoint?") from exc


def save_asr(loaded: LoadedASR, folder: Path, state: dict[str, torch.Tensor] | None = None
             ) -> None:
    """Write the model into `folder` (see the module docstring). `state` is the model's
    complete state dict when its own holds only this rank's shards (FSDP)."""
    model = loaded.model
    folder.mkdir(parents=True, exist_ok=True)
    tied = tied_names(model)
    state = model.state_dict() if state is None else state
    save_file({k: v.detach().cpu().contiguous() for k, v in state.items() if k not in tied},
              str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
    base_llm(model).config.save_pretrained(str(folder / LLM_DIR))
    if isinstance(model.encoder, WhisperAudioEncoder):
        model.encoder.whisper.config.save_pretrained(str(folder / ENCODER_DIR))
        assert isinstance(loaded.frontend, WhisperFbank)
        loaded.frontend.save(folder / ENCODER_DIR)
    loaded.tokenizer.save_pretrained(str(folder))
    write_text(folder / META_FILE, yaml.safe_dump(to_dict(loaded.meta), sort_keys=False,
                                                  allow_unicode=True))


def load_asr(folder: str | Path, merge: bool = True) -> LoadedASR:
    """The model in `folder` on the CPU in eval mode; LoRA adapters folded in with `merge`."""
    folder = Path(folder)
    if not is_asr_folder(folder):
        raise InputError(f"{folder}: no {META_FILE}; expected a voxtune ASR model folder (a "
                         "checkpoint step_… of voxtune train asr)")
    meta = read_meta(folder)
    tokenizer = load_tokenizer(str(folder))
    encoder_conf = meta.audio_encoder_conf
    if encoder_conf.kind == "whisper":
        encoder = WhisperAudioEncoder(WhisperEncoder(
            WhisperConfig.from_pretrained(str(folder / ENCODER_DIR))))
        frontend: Frontend = WhisperFbank(
            WhisperFeatureExtractor.from_pretrained(str(folder / ENCODER_DIR)))
    else:
        encoder = VoxEncoder(encoder_conf)
        frontend = KaldiFbank(encoder_conf.mel_bins)
    llm_config = AutoConfig.from_pretrained(str(folder / LLM_DIR))
    llm = AutoModelForCausalLM.from_config(llm_config,
                                           attn_implementation=meta.llm_conf.attention)
    model = VoxASR(encoder, Adaptor(meta.audio_adaptor_conf, encoder.output_size,
                                    llm_config.hidden_size), llm,
                   ctc_vocab=len(tokenizer) if meta.ctc_weight > 0 else None)
    if meta.llm_conf.use_lora:
        apply_lora(model, meta.llm_conf.lora_conf)
    load_weights(model, folder / WEIGHTS_FILE)
    if merge:
        merge_lora(model)
    return LoadedASR(model.eval(), meta, tokenizer, frontend)


def load_weights(model: VoxASR, path: Path) -> None:
    """Copy the weights of `path` into `model`, which must have exactly those parameters."""
    weights = read_weights(path)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = sorted(set(missing) - tied_names(model))
    if missing or unexpected:
        raise InputError(f"{path}: the weights do not match the model in asr.yaml (missing "
                         f"{missing[:3]}, unexpected {unexpected[:3]}); the folder is damaged "
                         "or was edited")


def tied_names(module: nn.Module) -> set[str]:
    """Names of parameters that are another parameter under a second name (an LLM's output
    matrix tied to its embeddings): stored once, restored by the tie itself."""
    first: dict[int, str] = {}
    tied = set()
    for name, parameter in module.named_parameters(remove_duplicate=False):
        if id(parameter) in first:
            tied.add(name)
        else:
            first[id(parameter)] = name
    return tied


def base_llm(model: VoxASR) -> nn.Module:
    """The LLM without its LoRA wrapper."""
    llm = model.llm
    return llm.get_base_model() if hasattr(llm, "get_base_model") else llm
