"""`voxtune train asr`: train the recognizer from scratch, fine-tune it, or LoRA its LLM."""

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch
from torch import nn

from voxtune.asr.adaptor import Adaptor
from voxtune.asr.batches import Batch, FrameBatches
from voxtune.asr.checkpoint import AsrMeta, LoadedASR, load_asr
from voxtune.asr.config import ASRTrainConfig
from voxtune.asr.data import AsrExample, most_common_prompt, read_examples
from voxtune.asr.encoder import build_encoder
from voxtune.asr.frontend import SAMPLE_RATE, Frontend, new_frontend
from voxtune.asr.lora import apply_lora
from voxtune.asr.model import VoxASR, build_llm, load_llm
from voxtune.asr.sequences import ChatEncoder
from voxtune.asr.task import ASRTask
from voxtune.asr.tokenizer import char_tokenizer, load_tokenizer, pad_id, unknown_characters
from voxtune.data.manifest import Reject
from voxtune.errors import ConfigError
from voxtune.train import distributed
from voxtune.train.loop import fit_run

log = logging.getLogger(__name__)


@dataclass
class ASRTrainResult:
    """Where the trained model is, how the run ended, and the clips set aside."""

    checkpoint: Path
    final: dict[str, float]
    rejects: list[Reject] = field(default_factory=list)


def train_asr(data: Path, out: Path, config: ASRTrainConfig,
              show_progress: bool = True) -> ASRTrainResult:
    """Train on the labelled clips of `data` (ChatML JSONL or any layout voxtune reads).

    `out` receives `train_config.yaml`, checkpoints `step_…/` (each a model folder that loads
    on its own), TensorBoard logs in `logs/` and `train_log.jsonl`. A run whose `out` has
    checkpoints continues from the latest one.
    """
    out = Path(out)
    place = distributed.setup(config.trainer.device)
    task, batches, val, rejects = build_asr_run(data, config, place.rank, place.world_size)
    checkpoint, final = fit_run(task, batches, config, out, val=val,
                                show_progress=show_progress)
    return ASRTrainResult(checkpoint=checkpoint, final=final, rejects=rejects)


def build_asr_run(data: Path, config: ASRTrainConfig, rank: int = 0, world_size: int = 1
                  ) -> tuple[ASRTask, FrameBatches, list[Batch], list[Reject]]:
    """The task (model with its parts frozen or adapted as configured), this rank's training
    batches, the validation batches (`data.valid`), and the clips set aside."""
    start = load_asr(config.init_param) if config.init_param else None
    frontend = start.frontend if start else new_frontend(config.audio_encoder_conf)
    conf = config.data
    examples, rejects = read_examples(Path(data), frontend, conf.max_frames, conf.prompt,
                                      conf.language)
    valid: list[AsrExample] = []
    if conf.valid:
        valid, _ = read_examples(Path(conf.valid), frontend, conf.max_frames, conf.prompt,
                                 conf.language)
    torch.manual_seed(config.trainer.seed)  # every rank builds the same initial weights
    loaded = start or _new_model(config, frontend, examples)
    loaded.meta = _meta(config, loaded.meta if start else None, examples)
    _fit_ctc_head(loaded)
    _check_characters(loaded, examples)
    _prepare_for_training(loaded.model, config)
    chat = ChatEncoder(loaded.tokenizer)
    common = dict(frontend=frontend, chat=chat, positions=loaded.model.audio_positions,
                  max_frames=conf.max_frames, bucket_size=conf.bucket_size,
                  seed=config.trainer.seed)
    batches = FrameBatches(examples, rank=rank, world_size=world_size,
                           num_workers=conf.num_workers, augment=conf.spec_augment, **common)
    val = list(FrameBatches(valid, **common)) if valid else []
    model = loaded.model
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    hours = sum(e.samples for e in examples) / SAMPLE_RATE / 3600
    log.info("ASR training: %s of %s parameters trainable; %d clips (%.2f h) of %s, %d set "
             "aside, %d for validation", f"{trainable:,}",
             f"{sum(p.numel() for p in model.parameters()):,}", len(examples), hours, data,
             len(rejects), len(valid))
    return ASRTask(loaded), batches, val, rejects


def _new_model(config: ASRTrainConfig, frontend: Frontend,
               examples: list[AsrExample]) -> LoadedASR:
    """A recognizer built from the config: own or pretrained encoder and LLM."""
    llm_conf = config.llm_conf
    if llm_conf.pretrained:
        tokenizer = load_tokenizer(llm_conf.pretrained)
        llm = load_llm(llm_conf.pretrained, llm_conf.attention)
    else:
        tokenizer = char_tokenizer(text for e in examples
                                   for text in (e.text, e.prompt, e.system, e.suffix))
        llm = build_llm(llm_conf, len(tokenizer), pad_id(tokenizer))
    encoder = build_encoder(config.audio_encoder_conf)
    adaptor = Adaptor(config.audio_adaptor_conf, encoder.output_size, llm.config.hidden_size)
    ctc_vocab = len(tokenizer) if config.ctc_weight else None
    return LoadedASR(VoxASR(encoder, adaptor, llm, ctc_vocab), AsrMeta(), tokenizer, frontend)


def _meta(config: ASRTrainConfig, start: AsrMeta | None, examples: list[AsrExample]) -> AsrMeta:
    """The new model's description: the architecture of `start` (an `init_param` model) or
    of the config, this run's freeze and LoRA flags, the data's usual prompts."""
    prompt, system = most_common_prompt(examples)
    if start is None:
        return AsrMeta(audio_encoder_conf=config.audio_encoder_conf,
                       audio_adaptor_conf=config.audio_adaptor_conf, llm_conf=config.llm_conf,
                       prompt=prompt, system=system, language=config.data.language,
                       ctc_weight=config.ctc_weight or 0.0)
    wanted = config.llm_conf
    return replace(
        start, prompt=prompt, system=system, language=config.data.language,
        ctc_weight=start.ctc_weight if config.ctc_weight is None else config.ctc_weight,
        audio_encoder_conf=replace(start.audio_encoder_conf,
                                   freeze=config.audio_encoder_conf.freeze),
        audio_adaptor_conf=replace(start.audio_adaptor_conf,
                                   freeze=config.audio_adaptor_conf.freeze),
        llm_conf=replace(start.llm_conf, freeze=wanted.freeze, use_lora=wanted.use_lora,
                         lora_conf=wanted.lora_conf))


def _fit_ctc_head(loaded: LoadedASR) -> None:
    """Give an `init_param` model the CTC head this run's `ctc_weight` asks for (a new one),
    or take away one it no longer trains."""
    model = loaded.model
    if loaded.meta.ctc_weight <= 0:
        model.ctc = None
    elif model.ctc is None:
        model.ctc = nn.Linear(model.encoder.output_size, len(loaded.tokenizer) + 1)


def _prepare_for_training(model: VoxASR, config: ASRTrainConfig) -> None:
    """Freeze the parts the config freezes and inject LoRA; refuse a model with nothing to
    train."""
    for part, frozen in (("encoder", config.audio_encoder_conf.freeze),
                         ("adaptor", config.audio_adaptor_conf.freeze),
                         ("llm", config.llm_conf.freeze)):
        if frozen:
            model.freeze(part)
    if config.llm_conf.use_lora:
        apply_lora(model, config.llm_conf.lora_conf)
    if not any(p.requires_grad for p in model.parameters()):
        raise ConfigError("audio_encoder_conf.freeze, audio_adaptor_conf.freeze and "
                          "llm_conf.freeze are all true and llm_conf.use_lora is false: "
                          "nothing would train; unfreeze a part or turn LoRA on")
    model.train()


def _check_characters(loaded: LoadedASR, examples: list[AsrExample]) -> None:
    """Warn about characters a character tokenizer of an earlier model cannot write."""
    unknown = unknown_characters(loaded.tokenizer, (e.text for e in examples))
    if unknown:
        log.warning("the model's tokenizer has no token for %d character(s) of the "
                    "transcripts (%s); they train as <|unk|>. A new model (no init_param) "
                    "learns every character of its data", len(unknown),
                    " ".join(repr(c) for c in unknown[:20]))
