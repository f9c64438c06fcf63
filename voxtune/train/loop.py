"""The one training loop voxtune has: codec, TTS and ASR training all run through `fit`.

Per optimizer step: set each group's learning rate, draw `grad_accum` batches, run the task's
step under autocast, backpropagate each group's loss into that group's parameters only
(`backward(inputs=...)`, which is what lets a GAN's generator and discriminator share one
forward pass), clip, step, log, validate, save. Checkpoints carry everything needed to
continue exactly; `fit` resumes from the latest one in `out` on its own.
"""

import contextlib
import math
import random
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm import tqdm

from voxtune.config import dump_yaml
from voxtune.errors import ConfigError, InputError
from voxtune.files import write_text
from voxtune.train import distributed
from voxtune.train.blocks import compile_blocks
from voxtune.train.checkpoints import (
    TRAINER_STATE,
    begin_checkpoint,
    commit_checkpoint,
    latest_checkpoint,
    read_best,
    record_best,
    remove_partial_checkpoints,
    step_name,
)
from voxtune.train.config import OptimConfig, TrainerConfig
from voxtune.train.distributed import Placement
from voxtune.train.kernels import use_shape_agnostic_attention
from voxtune.train.logs import RunLog
from voxtune.train.sharded import full_states, load_sharded, save_sharded
from voxtune.train.task import Batches, TrainingTask

_AUTOCAST = {"bf16": torch.bfloat16, "fp16": torch.float16}


AfterSave = Callable[[int, Path, bool], bool]


def fit_run(task: TrainingTask, train: Batches, run_config: Any, out: Path,
            val: list[Any] | None = None, show_progress: bool = True,
            after_save: AfterSave | None = None) -> tuple[Path, dict[str, float]]:
    """What every `voxtune train` command does around `fit`: the whole run's config (a
    dataclass with a `trainer` field) to `OUT/train_config.yaml` on rank 0, then training;
    returns (the last checkpoint, the last logged scalars)."""
    out = Path(out)
    if distributed.setup(run_config.trainer.device).is_main:
        out.mkdir(parents=True, exist_ok=True)
        write_text(out / "train_config.yaml", dump_yaml(run_config))
    final = fit(task, train, run_config.trainer, out, val=val, show_progress=show_progress,
                after_save=after_save)
    checkpoint = latest_checkpoint(out)
    assert checkpoint is not None  # fit saves at its last step
    return checkpoint, final


def fit(task: TrainingTask, train: Batches, config: TrainerConfig, out: Path,
        val: list[Any] | None = None, show_progress: bool = True,
        after_save: AfterSave | None = None) -> dict[str, float]:
    """Train `task` on `train` until `config.max_steps`; returns the last logged scalars.

    Call it in every process under torchrun; rank 0 writes logs and checkpoints to `out`.
    `after_save(step, checkpoint, final)` runs on rank 0 after each checkpoint is saved
    (per-checkpoint evaluation); when it returns True, training stops there.
    """
    out = Path(out)
    place = distributed.setup(config.device)
    if config.strategy == "fsdp" and len(task.modules) > 1:
        raise ConfigError(f"trainer.strategy=fsdp trains one module; this task has "
                          f"{len(task.modules)} ({', '.join(task.modules)}); use ddp")
    torch.manual_seed(config.seed)
    random.seed(config.seed)
    for module in task.modules.values():
        module.to(place.device)
    if place.device.type == "cuda":
        use_shape_agnostic_attention()
    if config.compile:
        for module in task.modules.values():
            compile_blocks(module)
    modules = {name: distributed.wrap(m, place, config.strategy)
               for name, m in task.modules.items()}
    params = {name: [p for p in m.parameters() if p.requires_grad]
              for name, m in task.modules.items()}
    optimizers = {name: _adamw(ps, config.optim, place.device) for name, ps in params.items()}
    scaler = torch.amp.GradScaler(place.device.type, enabled=config.precision == "fp16")
    step = 0
    if place.is_main:
        remove_partial_checkpoints(out)
    distributed.barrier(place)
    resume_from = latest_checkpoint(out) if config.resume else None
    if resume_from is not None:
        step = _restore(resume_from, task, optimizers, scaler, train, place, config)
    log = RunLog(out, step) if place.is_main else None
    batches = _forever(train)
    last: dict[str, float] = {}
    window = _Window()
    bar = tqdm(total=config.max_steps, initial=step, desc="train", unit="step",
               disable=not (show_progress and place.is_main), dynamic_ncols=True)
    started = time.monotonic()
    try:
        while step < config.max_steps:
            lr_scale = _lr_scale(step, config)
            for optimizer in optimizers.values():
                for group in optimizer.param_groups:
                    group["lr"] = config.optim.lr * lr_scale
            active: set[str] = set()
            for micro in range(config.grad_accum):
                batch = next(batches)
                units = task.batch_size(batch)  # on the host: reading it on the GPU would wait
                batch = task.move_to(batch, place.device)
                sync = micro == config.grad_accum - 1
                with _no_sync(modules, sync), _autocast(config, place.device):
                    losses, scalars = task.training_step(modules, batch, step)
                names = list(losses)
                for i, name in enumerate(names):
                    scaled = scaler.scale(losses[name] / config.grad_accum)
                    if len(params) == 1:  # FSDP's sharded parameters are not graph inputs
                        scaled.backward()
                    else:
                        scaled.backward(inputs=params[name], retain_graph=i < len(names) - 1)
                active.update(names)
                window.add(scalars, units)
            norms = _step(optimizers, params, active, scaler, config.optim.grad_clip)
            step += 1
            final = step == config.max_steps or _out_of_time(started, config, place)
            window.add({f"grad_norm/{k}": v for k, v in norms.items()}, 0.0)
            if step % config.log_every == 0 or final:
                last = _log(window, log, step, config, lr_scale, task, place, bar)
            improved = False
            if val and config.val_every and (step % config.val_every == 0 or final):
                measured = _validate(task, modules, val, place, config)
                last.update(measured)
                if log:
                    log.scalars(step, measured)
                improved = _improves(out, measured, config, place)
            if step % config.save_every == 0 or final or improved:
                _save(out, step, task, optimizers, scaler, train, place, config)
                if after_save is not None:
                    stop = place.is_main and after_save(step, out / step_name(step), final)
                    final = final or bool(distributed.broadcast(stop, place))
            if improved and place.is_main:
                record_best(out, step, config.best_by, measured[config.best_by])
            bar.update(1)
            if final:
                break
    finally:
        bar.close()
        if log:
            log.close()
        distributed.teardown(place)
    return last


def _improves(out: Path, measured: dict[str, float], config: TrainerConfig,
              place: Placement) -> bool:
    """Whether this validation beats the best one recorded under `out` by `best_by` (rank 0
    decides for every rank)."""
    if config.best_by is None:
        return False
    if config.best_by not in measured:
        raise ConfigError(f"trainer.best_by={config.best_by}: validation reports only "
                          f"{', '.join(sorted(measured))}; pick one of those")
    best = read_best(out) if place.is_main else None
    better = best is None or measured[config.best_by] < best["value"]
    return bool(distributed.broadcast(better, place))


def _out_of_time(started: float, config: TrainerConfig, place: Placement) -> bool:
    """Whether `config.time_limit_minutes` has passed (rank 0 decides for every rank)."""
    if config.time_limit_minutes is None:
        return False
    late = time.monotonic() - started > 60 * config.time_limit_minutes
    return bool(distributed.broadcast(late, place))


class _Window:
    """Scalars and throughput accumulated since the last log line."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.units = 0.0
        self.started = time.perf_counter()

    def add(self, scalars: Mapping[str, float | torch.Tensor], units: float) -> None:
        for key, value in scalars.items():  # tensors stay on their device until logged
            value = value.detach() if isinstance(value, torch.Tensor) else float(value)
            self.sums[key] = self.sums.get(key, 0.0) + value
            self.counts[key] = self.counts.get(key, 0) + 1
        self.units += units

    def means(self) -> dict[str, float]:
        return {k: float(self.sums[k]) / self.counts[k] for k in self.sums}


def _adamw(params: list[nn.Parameter], optim: OptimConfig,
           device: torch.device) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=optim.lr, betas=tuple(optim.betas),
                             weight_decay=optim.weight_decay,
                             fused=optim.fused and device.type == "cuda" and bool(params))


def _lr_scale(step: int, config: TrainerConfig) -> float:
    """Linear warmup over `warmup_steps`, then the decay of `schedule` to `min_lr_ratio`."""
    optim = config.optim
    if step < optim.warmup_steps:
        return (step + 1) / optim.warmup_steps
    if optim.schedule == "constant":
        return 1.0
    span = max(1, config.max_steps - optim.warmup_steps)
    progress = min(1.0, (step - optim.warmup_steps) / span)
    shape = 0.5 * (1 + math.cos(math.pi * progress)) if optim.schedule == "cosine" \
        else 1 - progress
    return optim.min_lr_ratio + (1 - optim.min_lr_ratio) * shape


def _forever(train: Batches) -> Iterator[Any]:
    """Epoch after epoch. A resumed stream may first finish an epoch it had just completed
    (an empty pass); two empty passes in a row mean there is no data."""
    empty_passes = 0
    while empty_passes < 2:
        empty_passes += 1
        for batch in train:
            empty_passes = 0
            yield batch
    raise InputError("the training data gave no batch in a whole epoch; check that the "
                     "dataset has clips long enough for one batch")


def _no_sync(modules: Mapping[str, nn.Module], sync: bool) -> contextlib.ExitStack:
    """Skip DDP's gradient all-reduce on all but the last micro-batch of an accumulation."""
    stack = contextlib.ExitStack()
    if not sync:
        for module in modules.values():
            if hasattr(module, "no_sync"):
                stack.enter_context(module.no_sync())
    return stack


def _autocast(config: TrainerConfig, device: torch.device) -> contextlib.AbstractContextManager:
    if config.precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=_AUTOCAST[config.precision])


def _step(optimizers: dict[str, torch.optim.Optimizer], params: dict[str, list[nn.Parameter]],
          active: set[str], scaler: torch.amp.GradScaler, clip: float
          ) -> dict[str, torch.Tensor]:
    """Clip and step the groups that got a loss this step; returns their gradient norms,
    left on the device (reading them every step would make the host wait for the GPU)."""
    norms = {}
    for name in active:
        scaler.unscale_(optimizers[name])
        max_norm = clip if clip > 0 else float("inf")
        norm = torch.nn.utils.clip_grad_norm_(params[name], max_norm)
        norms[name] = (norm.full_tensor() if hasattr(norm, "full_tensor") else norm).detach()
        scaler.step(optimizers[name])
    scaler.update()
    for optimizer in optimizers.values():
        optimizer.zero_grad(set_to_none=True)
    return norms


def _log(window: _Window, log: RunLog | None, step: int, config: TrainerConfig,
         lr_scale: float, task: TrainingTask, place: Placement, bar: tqdm) -> dict[str, float]:
    elapsed = time.perf_counter() - window.started
    scalars = {f"train/{k}": v for k, v in window.means().items()}
    scalars = distributed.mean_across_ranks(scalars, place)
    rate = window.units * place.world_size / max(elapsed, 1e-9)
    scalars[f"speed/{task.throughput_unit}_per_s"] = rate
    scalars["lr"] = config.optim.lr * lr_scale
    window.reset()
    if log:
        log.scalars(step, scalars)
    shown = {k.removeprefix("train/"): f"{v:.4g}" for k, v in scalars.items()
             if k.startswith("train/") and "grad_norm" not in k}
    shown[f"{task.throughput_unit}/s"] = f"{rate:.4g}"
    bar.set_postfix(shown, refresh=False)
    return scalars


@torch.no_grad()
def _validate(task: TrainingTask, modules: Mapping[str, nn.Module], val: list[Any],
              place: Placement, config: TrainerConfig) -> dict[str, float]:
    for module in task.modules.values():
        module.eval()
    window = _Window()
    try:
        for batch in val:
            with _autocast(config, place.device):
                window.add(task.validation_step(modules, task.move_to(batch, place.device)), 0)
    finally:
        for module in task.modules.values():
            module.train()
    measured = distributed.mean_across_ranks(window.means(), place)
    return {f"val/{k}": v for k, v in measured.items()}


def _rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _save(out: Path, step: int, task: TrainingTask, optimizers: dict[str, torch.optim.Optimizer],
          scaler: torch.amp.GradScaler, train: Batches, place: Placement,
          config: TrainerConfig) -> None:
    per_rank = distributed.gather({"data": train.state_dict(), "rng": _rng_state()}, place)
    sharded = _is_sharded(config, place)
    states = full_states(dict(task.modules)) if sharded else None
    tmp = distributed.broadcast(begin_checkpoint(out, step) if place.is_main else None, place)
    try:
        if sharded:
            save_sharded(tmp, dict(task.modules), optimizers)
        distributed.barrier(place)
        if place.is_main:
            task.save(tmp, states)
            trainer_state = {"step": step, "scaler": scaler.state_dict(), "ranks": per_rank}
            if not sharded:
                trainer_state["optimizers"] = {k: o.state_dict() for k, o in optimizers.items()}
            torch.save(trainer_state, tmp / TRAINER_STATE)
            commit_checkpoint(out, step, tmp, config.keep_last)
    except BaseException:
        if place.is_main:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    distributed.barrier(place)


def _is_sharded(config: TrainerConfig, place: Placement) -> bool:
    return config.strategy == "fsdp" and place.distributed


def _restore(folder: Path, task: TrainingTask, optimizers: dict[str, torch.optim.Optimizer],
             scaler: torch.amp.GradScaler, train: Batches, place: Placement,
             config: TrainerConfig) -> int:
    state = torch.load(folder / TRAINER_STATE, map_location="cpu", weights_only=True)
    if len(state["ranks"]) != place.world_size:
        raise InputError(f"{folder}: saved by {len(state['ranks'])} processes, resumed by "
                         f"{place.world_size}; resume with the same number of processes")
    if _is_sharded(config, place):
        load_sharded(folder, dict(task.modules), optimizers)
    else:
        task.load(folder)
        for name, optimizer in optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
    scaler.load_state_dict(state["scaler"])
    mine = state["ranks"][place.rank]
    train.load_state_dict(mine["data"])
    _set_rng_state(mine["rng"])
    if place.is_main:
        tqdm.write(f"resuming from {folder} (step {state['step']})")
    return int(state["step"])
