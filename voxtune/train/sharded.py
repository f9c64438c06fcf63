"""FSDP (PyTorch's `fully_shard`) for models that do not fit one GPU, and their checkpoints.

Each transformer block (the classes a transformers model lists in `_no_split_modules`) and
then the whole module are sharded across the ranks. Checkpoints then hold two things: the
model files every checkpoint has (gathered in full on rank 0, so a checkpoint still loads
on its own), and the sharded model and optimizer state in `dcp/`, written and read by all
ranks with `torch.distributed.checkpoint`, which is what an exact resume restores.
"""

from pathlib import Path

import torch
import torch.distributed.checkpoint as dcp
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)
from torch.distributed.fsdp import fully_shard

from voxtune.train.blocks import transformer_blocks

SHARDED_DIR = "dcp"
_FULL = StateDictOptions(full_state_dict=True, cpu_offload=True)


def shard(module: nn.Module) -> nn.Module:
    """Shard every transformer block of `module`, then `module` itself (in place)."""
    for block in transformer_blocks(module):
        fully_shard(block)
    fully_shard(module)
    return module


def full_states(modules: dict[str, nn.Module]) -> dict[str, dict[str, torch.Tensor]]:
    """Every module's complete state dict on rank 0 (empty on the others); all ranks call."""
    return {name: get_model_state_dict(m, options=_FULL) for name, m in modules.items()}


def save_sharded(folder: Path, modules: dict[str, nn.Module],
                 optimizers: dict[str, torch.optim.Optimizer]) -> None:
    """Write each rank's shards of the modules and optimizers to `folder/dcp`."""
    dcp.save(_sharded_state(modules, optimizers), checkpoint_id=str(folder / SHARDED_DIR))


def load_sharded(folder: Path, modules: dict[str, nn.Module],
                 optimizers: dict[str, torch.optim.Optimizer]) -> None:
    """Read back what `save_sharded` wrote, into the (already sharded) modules and optimizers."""
    state = _sharded_state(modules, optimizers)
    dcp.load(state, checkpoint_id=str(folder / SHARDED_DIR))
    for name, module in modules.items():
        set_model_state_dict(module, state[f"model/{name}"])
        set_optimizer_state_dict(module, optimizers[name], state[f"optimizer/{name}"])


def _sharded_state(modules: dict[str, nn.Module],
                   optimizers: dict[str, torch.optim.Optimizer]) -> dict:
    state = {}
    for name, module in modules.items():
        state[f"model/{name}"] = get_model_state_dict(module)
        state[f"optimizer/{name}"] = get_optimizer_state_dict(module, optimizers[name])
    return state
