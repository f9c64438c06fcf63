"""Data parallelism through torchrun: which process this is, its device, DDP wrapping.

Under `torchrun --nproc-per-node N`, the environment gives RANK, LOCAL_RANK and WORLD_SIZE;
each process trains on its own shard of the data (the batch streams take rank and world
size) and DDP averages gradients. Without torchrun everything runs in one process.
"""

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from voxtune.errors import ConfigError


@dataclass(frozen=True)
class Placement:
    """This process: `rank` of `world_size`, running on `device`."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 writes checkpoints, logs and the progress bar."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(name: str) -> torch.device:
    """`auto` → this process's GPU when there is one, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} was asked for but no CUDA GPU is visible; "
                          "use trainer.device=cpu")
    if name == "cuda" and "LOCAL_RANK" in os.environ:
        name = f"cuda:{os.environ['LOCAL_RANK']}"
    return torch.device(name)


def setup(device: str) -> Placement:
    """Join the torchrun process group if there is one (NCCL on GPUs, gloo on CPUs)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    resolved = resolve_device(device)
    if world > 1 and not dist.is_initialized():
        if resolved.type == "cuda":
            torch.cuda.set_device(resolved)
        dist.init_process_group("nccl" if resolved.type == "cuda" else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    return Placement(rank=rank, world_size=world, device=resolved)


def wrap(module: nn.Module, placement: Placement, strategy: str = "ddp") -> nn.Module:
    """DDP around a module with trainable parameters, or FSDP shards of it (in place); the
    module itself without torchrun or trainable parameters."""
    if not placement.distributed or not any(p.requires_grad for p in module.parameters()):
        return module
    if strategy == "fsdp":
        from voxtune.train.sharded import shard

        return shard(module)
    ids = [placement.device.index] if placement.device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids)


def gather(obj: Any, placement: Placement) -> list[Any]:
    """Every rank's `obj`, in rank order (one-element list without torchrun)."""
    if not placement.distributed:
        return [obj]
    out: list[Any] = [None] * placement.world_size
    dist.all_gather_object(out, obj)
    return out


def mean_across_ranks(values: dict[str, float], placement: Placement) -> dict[str, float]:
    """Average logged scalars over the ranks, so logs describe the whole global batch."""
    if not placement.distributed or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64,
                          device=placement.device)
    dist.all_reduce(tensor)
    return {k: float(v) / placement.world_size for k, v in zip(keys, tensor.tolist(), strict=True)}


def broadcast(obj: Any, placement: Placement) -> Any:
    """Rank 0's `obj` on every rank."""
    if not placement.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(placement: Placement) -> None:
    if placement.distributed:
        dist.barrier()


def teardown(placement: Placement) -> None:
    if placement.distributed and dist.is_initialized():
        dist.destroy_process_group()
