"""GPU kernel choices for training on batches whose shapes change from step to step.

Length-bucketed batches (TTS sentences, ASR clips) rarely repeat a shape. PyTorch prefers
cuDNN's fused attention on Hopper GPUs, and cuDNN builds an execution plan for every new
input shape: on the `tts` preset's batches that took 8–10 ms of host time per attention call,
three quarters of each step, while the GPU waited (4.8 steps/s on an H200,
`bench/tts_speed.py --part train --data PACKED --profile`). The flash and memory-efficient
kernels have no per-shape plan.
"""

import torch


def use_shape_agnostic_attention() -> None:
    """Leave cuDNN out of `scaled_dot_product_attention` for this process; PyTorch then picks
    flash or memory-efficient attention, whose cost does not depend on seeing a shape before."""
    torch.backends.cuda.enable_cudnn_sdp(False)
