"""The trainer's config: optimisation, precision, schedule, checkpoints and logging.

Shared by every model voxtune trains (codec, TTS, ASR); each model's own config embeds a
`TrainerConfig` under the key `trainer`, so `trainer.max_steps=2000` works everywhere.
"""

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class OptimConfig:
    """AdamW with linear warmup, then cosine (or linear, or no) decay to `min_lr_ratio` × lr.

    Every optimizer group of a task (a GAN's generator and discriminator) uses these values.
    `grad_clip` is the largest gradient norm per group (0 turns clipping off).
    """

    lr: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.9, 0.99])
    weight_decay: float = 0.0
    fused: bool = True  # fused AdamW kernels where the device supports them (CUDA)
    warmup_steps: int = 0
    schedule: Literal["cosine", "linear", "constant"] = "cosine"
    min_lr_ratio: float = 0.1
    grad_clip: float = 1.0


@dataclass
class TrainerConfig:
    """How long, how precisely, and how often to validate, save and log.

    Steps are optimizer steps; one step draws `grad_accum` batches. `precision` "bf16" and
    "fp16" autocast the forward pass (fp16 with a gradient scaler); "fp32" does not.
    Checkpoints go to `OUT/step_000001000/`; the last `keep_last` are kept. With `resume`, a
    run whose output folder already has checkpoints continues from the latest one. With
    `best_by` (a validation scalar, lower is better, e.g. `val/loss`), every validation that
    improves it is saved as a checkpoint too, kept beside the last K and named in
    `OUT/best.json`: the checkpoint to ship when a long run starts to overfit. `compile`
    compiles each transformer block (or each whole module that has none) with
    `torch.compile`, which fuses the elementwise work between the matrix products; it pays
    off on long GPU runs.
    """

    max_steps: int = 1000
    grad_accum: int = 1
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    device: str = "auto"
    seed: int = 1234
    optim: OptimConfig = field(default_factory=OptimConfig)
    log_every: int = 10
    val_every: int = 500
    save_every: int = 500
    keep_last: int = 3
    best_by: str | None = None  # keep the checkpoint of the lowest value of this val scalar
    resume: bool = True
    compile: bool = False  # torch.compile each block (fuses kernels; slower start)
    # stop after this many minutes (with a checkpoint); a later run continues to max_steps
    time_limit_minutes: float | None = None
    strategy: Literal["ddp", "fsdp"] = "ddp"  # under torchrun: replicate, or shard (FSDP)
