"""The repeated blocks of a model: the unit of FSDP sharding and of compilation.

transformers models name their transformer block classes in `_no_split_modules`. Compiling
each block rather than the whole model ("regional compilation") gives the same fused kernels
(norms, rotary embeddings, activations and residual adds in one kernel each), but the
compiler traces one block and reuses it for every layer, so a 28-layer backbone compiles
in about the time of one layer instead of timing out.
"""

from torch import nn


def transformer_blocks(module: nn.Module) -> list[nn.Module]:
    """The submodules whose class a transformers model lists in `_no_split_modules`."""
    names = {name for sub in module.modules()
             for name in (getattr(sub, "_no_split_modules", None) or [])}
    return [sub for sub in module.modules() if type(sub).__name__ in names]


def compile_blocks(module: nn.Module, backend: str = "inductor") -> nn.Module:
    """Compile `module` in place: each transformer block when it has any, else the whole.

    In place (`nn.Module.compile`), so state-dict keys, checkpoints and DDP/FSDP wrapping
    are unchanged.
    """
    blocks = transformer_blocks(module)
    for block in blocks or [module]:
        block.compile(backend=backend)
    return module
