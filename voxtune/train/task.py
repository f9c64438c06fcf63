"""What a model supplies to the shared trainer: its modules and its batch → loss step.

The trainer owns the loop (schedule, accumulation, precision, clipping, checkpoints, resume,
logs, progress, DDP); a task owns everything model-specific. This is the whole contract.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn


class Batches(Protocol):
    """Training data: iterating gives the rest of the current epoch, then starts the next.

    `state_dict` says where iteration stands so that a resumed run draws exactly the batches
    an uninterrupted run would have drawn.
    """

    def __iter__(self) -> Any: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class TrainingTask(Protocol):
    """A model to train.

    `modules` maps optimizer-group names to modules, in the order their losses are
    backpropagated (a GAN: discriminator, then generator). Each group gets its own AdamW over
    its parameters that require grad; frozen parameters are left alone.
    """

    modules: Mapping[str, nn.Module]
    throughput_unit: str  # what `batch_size` counts, for the "units/s" of the progress bar

    def training_step(self, modules: Mapping[str, nn.Module], batch: Any, step: int
                      ) -> tuple[dict[str, torch.Tensor], dict[str, float | torch.Tensor]]:
        """Losses per optimizer group (only the groups to update at this step), and scalars
        to log (detached tensors are fine: they are read only when a log line is written).
        `modules` are the task's modules as the trainer runs them (DDP-wrapped under
        torchrun): call those, not `self.modules`, in the forward pass."""
        ...

    def validation_step(self, modules: Mapping[str, nn.Module], batch: Any) -> dict[str, float]:
        """Scalars measured on one validation batch (averaged over batches by the trainer)."""
        ...

    def batch_size(self, batch: Any) -> float:
        """How many `throughput_unit`s (seconds of audio, tokens) the batch holds."""
        ...

    def move_to(self, batch: Any, device: torch.device) -> Any:
        """The batch on `device`."""
        ...

    def save(self, folder: Path, states: dict[str, dict[str, torch.Tensor]] | None = None
             ) -> None:
        """Write the model weights and config into a checkpoint folder, loadable alone.

        `states` (module name → complete state dict) is given when the modules are sharded
        (FSDP) and their own `state_dict()` holds only this rank's shards."""
        ...

    def load(self, folder: Path) -> None:
        """Read back what `save` wrote (weights of every module in `modules`)."""
        ...

