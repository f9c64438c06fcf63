"""`voxtune train tts`: train VoxTTS from scratch, fine-tune it fully, or with LoRA."""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from voxtune.data.packed.loader import PackedLoader
from voxtune.data.packed.reader import PackedDataset, check_codec, codes_of
from voxtune.errors import ConfigError
from voxtune.shipped import resolve_model, shipped_folder
from voxtune.text import PhonemeTokenizer, TextTokenizer, load_text_tokenizer, prepare_text
from voxtune.train import distributed
from voxtune.train.checkpoints import latest_checkpoint
from voxtune.train.loop import fit_run
from voxtune.tts.checkpoint import CodecInfo, TTSMeta, is_tts_folder, load_tts
from voxtune.tts.config import TTSTrainConfig
from voxtune.tts.data import TTSBatches
from voxtune.tts.layout import TokenLayout
from voxtune.tts.lora import apply_lora, train_rows
from voxtune.tts.model import VoxTTS, build_lm, grow_vocabulary, load_lm
from voxtune.tts.positions import measure_rate
from voxtune.tts.quality import STOPPED_FILE, CheckpointJudge, stop_reason
from voxtune.tts.task import TTSTask

log = logging.getLogger(__name__)


@dataclass
class TTSTrainResult:
    checkpoint: Path
    final: dict[str, float]


def train_tts(data: Path, out: Path, config: TTSTrainConfig,
              show_progress: bool = True) -> TTSTrainResult:
    """Train on the packed dataset at `data`; checkpoints, logs and config go to `out`.

    The model starts from `backbone.pretrained` (a VoxTTS folder, or a Qwen3/LLaMA folder or
    hub id) or is built from the backbone sizes. Speakers of the dataset that the model does
    not know get their own token. A run whose `out` has checkpoints continues from the latest.
    """
    out = Path(out)
    place = distributed.setup(config.trainer.device)
    judge = _judge(data, config, out, show_progress) if config.eval.every else None
    if judge is not None and place.is_main:
        judge.catch_up()
    stopped = stop_reason(out) if judge is not None else None
    if stopped is not None:
        # an earlier run stopped early; training on would only move away from the best
        log.warning("%s: %s (delete %s to train on)", out, stopped, out / STOPPED_FILE)
        last = latest_checkpoint(out)
        assert last is not None  # the stop came after a saved checkpoint
        return TTSTrainResult(checkpoint=last, final={})
    task, batches, val = build_tts_run(data, config, place.rank, place.world_size)
    checkpoint, final = fit_run(task, batches, config, out, val=val,
                                show_progress=show_progress,
                                after_save=judge.after_save if judge else None)
    return TTSTrainResult(checkpoint=checkpoint, final=final)


def _judge(data: Path, config: TTSTrainConfig, out: Path, show_progress: bool
           ) -> CheckpointJudge:
    """The per-checkpoint evaluation of `config.eval`, speaking as the run's voice."""
    if config.trainer.best_by:
        raise ConfigError("eval.every chooses the best checkpoint by measured quality; "
                          "leave trainer.best_by unset with it")
    speaker = config.eval.speaker
    if speaker is None:
        speakers = PackedDataset(Path(data)).metadata.get("speakers", [])
        if len(speakers) != 1:
            raise ConfigError(f"{data} holds {len(speakers)} speakers; name the one to "
                              "evaluate with eval.speaker=NAME")
        speaker = speakers[0]
    return CheckpointJudge(config.eval, out, speaker, device=config.trainer.device,
                           show_progress=show_progress)


def build_tts_run(data: Path, config: TTSTrainConfig, rank: int = 0, world_size: int = 1
                  ) -> tuple[TTSTask, TTSBatches, list[dict]]:
    """The task (model, LoRA, trainable rows), this rank's training batches, and its
    validation batches (from the last `data.val_records` records, held out of training)."""
    data = Path(data)
    dataset = PackedDataset(data)
    model, meta, tokenizer = _initial_model(config, dataset)
    new_speakers = [s for s in sorted(dataset.metadata.get("speakers", []))
                    if s not in meta.layout.speakers] if config.data.speaker_token_rate else []
    if new_speakers:
        first_new = meta.layout.vocab_size
        meta.layout.speakers.extend(new_speakers)
        grow_vocabulary(model.lm, meta.layout.vocab_size)
        log.info("new speaker tokens: %s", ", ".join(new_speakers))
    if config.lora.enabled:
        apply_lora(model, config.lora)
        audio_rows = config.lora.train_audio_embeddings
        first = meta.layout.audio_offset if audio_rows else (
            first_new if new_speakers else None)
        if first is not None:
            train_rows(model, first)
            meta.trained_rows = first
    if config.data.val_records >= len(dataset):
        raise ConfigError(f"data.val_records={config.data.val_records}, but {data} has only "
                          f"{len(dataset)} record(s); pack with fewer sentences per record or "
                          "set data.val_records=0")
    split = len(dataset) - max(config.data.val_records, 0)
    loader_args = dict(max_tokens=config.data.max_tokens, max_sentences=config.data.max_sentences,
                       bucket_size=config.data.bucket_size, seed=config.trainer.seed, rank=rank,
                       world_size=world_size)
    loader = PackedLoader(dataset, records=np.arange(split), **loader_args)
    cache: dict[tuple[str, str], list[int]] = {}

    def encode_text(text: str, phonemes: str, language: str) -> list[int]:
        key = (text, language)
        if key not in cache:
            cache[key] = _text_ids(text, phonemes, language, tokenizer)
        return cache[key]

    batches = TTSBatches(loader, meta.layout, encode_text, config.data.speaker_token_rate,
                         seed=config.trainer.seed)
    val = TTSBatches(PackedLoader(dataset, records=np.arange(split, len(dataset)),
                                  **loader_args),
                     meta.layout, encode_text, config.data.speaker_token_rate,
                     seed=config.trainer.seed).validation() if split < len(dataset) else []
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    log.info("TTS training: %s of %s parameters trainable, %d records of %s",
             f"{trainable:,}", f"{sum(p.numel() for p in model.parameters()):,}",
             len(dataset), data)
    return TTSTask(model, meta, tokenizer), batches, val


def _initial_model(config: TTSTrainConfig, dataset: PackedDataset):
    """(VoxTTS, its description, text tokenizer) to start training from."""
    codec = dataset.metadata["codec"]
    info = CodecInfo(id=codec["id"], sample_rate=int(codec["sample_rate"]),
                     frame_rate=float(codec["frame_rate"]),
                     num_codebooks=int(codec["num_codebooks"]),
                     codebook_size=int(codec["codebook_size"]))
    backbone = config.backbone
    if backbone.init_from:
        return _warm_start(backbone.init_from, info, config)
    if backbone.pretrained and is_tts_folder(resolve_model(backbone.pretrained, "tts")):
        model, meta, tokenizer = load_tts(backbone.pretrained, backbone.attention)
        check_codec(dataset, meta.codec.id)
        model.train()
        if config.lora.enabled:  # a shipped model by its name, a folder by its full path
            shipped = shipped_folder(backbone.pretrained, "tts") is not None
            meta.base = (backbone.pretrained if shipped
                         else str(Path(backbone.pretrained).resolve()))
        return model, meta, tokenizer
    if backbone.pretrained:
        if backbone.text_tokens != "backbone":
            raise ConfigError("a pretrained text LLM reads its own tokens: set "
                              "backbone.text_tokens=backbone")
        lm = load_lm(backbone.pretrained, backbone.attention)
        tokenizer = load_text_tokenizer("backbone", backbone.pretrained)
        text_vocab = lm.get_input_embeddings().weight.shape[0]
    else:
        torch.manual_seed(config.trainer.seed)
        tokenizer = PhonemeTokenizer()
        text_vocab = tokenizer.vocab_size
        lm = None
    layout = TokenLayout(text_vocab=text_vocab, num_codebooks=info.num_codebooks,
                         codebook_size=info.codebook_size)
    if backbone.aligned_positions:
        layout.position_rate = _text_rate(dataset, tokenizer, layout)
        log.info("aligned positions: %.3f text tokens per audio step", layout.position_rate)
    if lm is None:
        lm = build_lm(backbone, layout.vocab_size)
    else:
        grow_vocabulary(lm, layout.vocab_size)
        if config.lora.enabled and not config.lora.train_audio_embeddings:
            log.info("the backbone has never seen codec tokens: training their rows too")
            config.lora.train_audio_embeddings = True
    meta = TTSMeta(layout=layout, codec=info, text_tokens=backbone.text_tokens)
    if backbone.pretrained and config.lora.enabled:
        local = Path(backbone.pretrained)
        meta.base = str(local.resolve()) if local.is_dir() else backbone.pretrained
    return VoxTTS(lm, layout), meta, tokenizer


def _warm_start(source: str, codec: CodecInfo, config: TTSTrainConfig):
    """(VoxTTS, its description, text tokenizer) from the weights of the VoxTTS `source`,
    described as a new model of `codec`: same layout, speakers and position rate."""
    if config.backbone.pretrained or config.lora.enabled:
        raise ConfigError("backbone.init_from starts a new model from another one's weights; "
                          "it goes without backbone.pretrained and lora.enabled")
    if not is_tts_folder(resolve_model(source, "tts")):
        raise ConfigError(f"backbone.init_from={source}: not a VoxTTS model folder or shipped "
                          "name")
    model, meta, tokenizer = load_tts(source, config.backbone.attention)
    if meta.base or meta.trained_rows is not None:
        raise ConfigError(f"backbone.init_from={source}: a LoRA checkpoint; merge it first "
                          "(voxtune merge) and start from the merged model")
    shape = (meta.layout.num_codebooks, meta.layout.codebook_size)
    if shape != (codec.num_codebooks, codec.codebook_size):
        raise ConfigError(f"backbone.init_from={source}: its codec has {shape[0]} codebooks of "
                          f"{shape[1]} codes, the data's {codec.num_codebooks} of "
                          f"{codec.codebook_size}; start from a model of the same shape")
    if meta.codec.id != codec.id:
        log.info("starting from %s, whose codec %s differs from the data's %s: its audio "
                 "tokens are relearned", source, meta.codec.id, codec.id)
    model.train()
    return model, TTSMeta(layout=meta.layout, codec=codec, text_tokens=meta.text_tokens), tokenizer


def _text_ids(text: str, phonemes: str, language: str, tokenizer: TextTokenizer) -> list[int]:
    """A packed sentence's text ids: from the phonemes `voxtune pack` stored when the
    tokenizer reads phonemes and the pack has them (training then never calls espeak-ng),
    else from its text."""
    language = language or "en"
    if tokenizer.kind == PhonemeTokenizer.kind and phonemes:
        return tokenizer.encode(phonemes, language)
    return prepare_text(text, language, tokenizer)


RATE_SENTENCES = 4000  # enough to measure text tokens per audio step to a few per mille


def _text_rate(dataset: PackedDataset, tokenizer, layout: TokenLayout) -> float:
    """Text tokens (with `<audio>`) per audio step (frames + K) over the corpus, from up to
    `RATE_SENTENCES` sentences spread over its records."""
    per_record = max(1, RATE_SENTENCES // max(1, len(dataset)))
    pairs = []
    for number in range(len(dataset)):
        for sentence in dataset.record(number).sentences[:per_record]:
            ids = _text_ids(sentence.text, " ".join(sentence.phonemes), sentence.language,
                            tokenizer)
            text = len(ids) + 1
            pairs.append((text, codes_of(sentence).shape[1] + layout.num_codebooks))
    return measure_rate(pairs)
