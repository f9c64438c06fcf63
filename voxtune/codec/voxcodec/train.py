"""`voxtune train codec`: train VoxCodec on a prepared dataset, or fine-tune its decoder."""

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from voxtune.codec.voxcodec.checkpoint import is_voxcodec_folder, load_codec_model
from voxtune.codec.voxcodec.config import CodecTrainConfig
from voxtune.codec.voxcodec.data import AudioCrops, load_clips, validation_batches
from voxtune.codec.voxcodec.model import VoxCodecModel
from voxtune.codec.voxcodec.task import CodecTask
from voxtune.data.manifest import Reject
from voxtune.errors import ConfigError, InputError
from voxtune.shipped import resolve_model
from voxtune.train import distributed
from voxtune.train.loop import fit_run

log = logging.getLogger(__name__)
MIN_SEGMENT_SECONDS = 0.25  # the mel loss's largest window (2048 samples) must fit a crop


@dataclass
class CodecTrainResult:
    """Where the trained codec is and how the run ended."""

    checkpoint: Path
    final: dict[str, float]
    rejects: list[Reject] = field(default_factory=list)


def train_codec(data: Path, out: Path, config: CodecTrainConfig,
                show_progress: bool = True) -> CodecTrainResult:
    """Train (or continue, or decoder-fine-tune) a VoxCodec on the clips of `data`.

    `out` receives `train_config.yaml`, checkpoints `step_…/` (each a loadable codec folder),
    TensorBoard logs in `logs/` and `train_log.jsonl`. A run with checkpoints in `out`
    continues from the latest (unless `trainer.resume=false`).
    """
    data, out = Path(data), Path(out)
    model = _initial_model(config)
    sample_rate = model.config.sample_rate
    segment = _segment_samples(config, model)
    place = distributed.setup(config.trainer.device)
    clips, rejects = load_clips(data, sample_rate, config.data.speakers,
                                show_progress=show_progress and place.is_main)
    held_out = min(config.data.val_clips, len(clips) // 10)
    val = [audio for _, audio in clips[len(clips) - held_out:]] if held_out else []
    train_audio = [audio for _, audio in clips[:len(clips) - held_out]]
    crops = AudioCrops(train_audio, segment, config.data.batch_size, seed=config.trainer.seed,
                       rank=place.rank, world_size=place.world_size)
    if place.is_main:
        hours = sum(len(a) for a in train_audio) / sample_rate / 3600
        log.info("codec training on %d clips (%.2f h), %d held out; %s parameters trainable",
                 len(train_audio), hours, held_out,
                 f"{sum(p.numel() for p in model.parameters() if p.requires_grad):,}")
    task = CodecTask(model, config)
    checkpoint, final = fit_run(task, crops, config, out,
                                val=validation_batches(val, segment, config.data.batch_size),
                                show_progress=show_progress)
    return CodecTrainResult(checkpoint=checkpoint, final=final, rejects=rejects)


def _initial_model(config: CodecTrainConfig) -> VoxCodecModel:
    """A fresh codec (seeded), or the one at `init_from`; frozen tokenizer if asked."""
    if config.init_from:
        folder = resolve_model(config.init_from, "codec")  # a shipped codec by name, too
        if not is_voxcodec_folder(folder):
            raise InputError(f"init_from={config.init_from}: not a VoxCodec folder (expected "
                             "config.yaml with kind: voxcodec and model.safetensors)")
        model = load_codec_model(folder).train()
        if config.add_codebooks:
            if config.freeze_encoder:
                raise ConfigError("add_codebooks changes the tokens; it cannot go with "
                                  "freeze_encoder=true")
            model = _widened(model, config.add_codebooks)
        if model.config != config.model:
            log.info("init_from %s: its model config replaces the configured one",
                     config.init_from)
            config.model = model.config
    else:
        if config.add_codebooks:
            raise ConfigError("add_codebooks needs init_from=A_TRAINED_CODEC; for a fresh "
                              "codec set model.num_codebooks")
        if config.freeze_encoder:
            raise ConfigError("freeze_encoder=true needs init_from=A_TRAINED_CODEC: a fresh "
                              "encoder would stay random")
        torch.manual_seed(config.trainer.seed)
        model = VoxCodecModel(config.model)
    if config.freeze_encoder:
        for part in model.tokenizer_modules():
            part.requires_grad_(False)
    return model


def _widened(model: VoxCodecModel, extra: int) -> VoxCodecModel:
    """`model` with `extra` finer residual stages; the trained weights carry over unchanged."""
    if extra < 0:
        raise ConfigError(f"add_codebooks = {extra}; give how many codebooks to add (0 or more)")
    wider = VoxCodecModel(replace(model.config,
                                  num_codebooks=model.config.num_codebooks + extra))
    wider.load_state_dict(model.state_dict(), strict=True)
    return wider.train()


def _segment_samples(config: CodecTrainConfig, model: VoxCodecModel) -> int:
    seconds = config.data.segment_seconds
    if seconds < MIN_SEGMENT_SECONDS:
        raise ConfigError(f"data.segment_seconds = {seconds} is too short; use at least "
                          f"{MIN_SEGMENT_SECONDS}")
    per_frame = model.config.samples_per_frame
    return max(1, round(seconds * model.config.sample_rate / per_frame)) * per_frame
