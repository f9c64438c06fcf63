"""Benchmark: VoxTTS training throughput and generation speed beside plain transformers.

Training (`--part train`): a Qwen3 backbone of the chosen size (`--size qwen3-0.6b`: Qwen3-0.6B's
shape, hidden 1024, 28 layers, 16 heads of 128, 8 KV heads, MLP 3072, vocabulary 151,936) on
random token grids of B × T, bf16, fused AdamW, measured over `--steps` optimizer steps after
`--warmup` steps, as tokens per second and model FLOPs utilisation (6 × parameters touched
per token + attention, over the GPU's dense bf16 peak). Beside it, in the same process:
plain transformers (`Qwen3ForCausalLM(input_ids, labels=…)`, full-vocabulary logits).
VoxTTS (the same backbone, codec tokens added) runs full fine-tuning and LoRA r8/α16 with the
forward pass and loss of voxtune's trainer step, eager and (`--compile`) with each transformer
block compiled as `trainer.compile=true` does.

Generation (`--part generate`): batch-1 decoding of `--frames` codec frames, tokens (frames)
per second, real-time factor at the codec's frame rate, and time to first audio, beside
plain transformers `generate` (eager, dynamic cache) of the same backbone.

    python bench/tts_speed.py --part train --size qwen3-0.6b --batch 8 --seq 2048 --compile
    python bench/tts_speed.py --part train --data PACKED --config tts --steps 50 --profile
    python bench/tts_speed.py --part generate --size vox-base --frames 180
    python bench/tts_speed.py --part generate --size qwen3-0.6b --frames 180 --no-batched
    python bench/tts_speed.py --part generate --model vox-base --frames 180 \
        --variant reduce-overhead:4 --variant max-autotune:2
"""

import argparse
import itertools
import json
import sys
import time
from datetime import date

import numpy as np
import torch
from transformers import Qwen3Config, Qwen3ForCausalLM

from voxtune.train.blocks import compile_blocks
from voxtune.train.kernels import use_shape_agnostic_attention
from voxtune.tts import generate as decoding
from voxtune.tts.checkpoint import load_tts
from voxtune.tts.config import BackboneConfig, LoraConfig
from voxtune.tts.generate import SamplingConfig, generate
from voxtune.tts.layout import TokenLayout
from voxtune.tts.lora import apply_lora
from voxtune.tts.loss import codebook_loss
from voxtune.tts.model import VoxTTS, build_lm

SIZES = {
    "qwen3-0.6b": dict(hidden_size=1024, layers=28, heads=16, kv_heads=8, head_dim=128,
                       intermediate_size=3072, text_vocab=151936),
    "vox-base": dict(hidden_size=384, layers=8, heads=6, kv_heads=2, head_dim=64,
                     intermediate_size=1024, text_vocab=256),
}
PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0}
CODEC = dict(num_codebooks=4, codebook_size=1000, frame_rate=25.0)


def peak_flops() -> float:
    name = torch.cuda.get_device_name()
    return next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), 989.0) * 1e12


def flops_per_token(params: int, layers: int, hidden: int, seq: int, factor: int) -> float:
    """Training FLOPs per token: `factor` N for the weights (6: forward, input and weight
    gradients; 4 under LoRA, whose frozen weights get no gradient) plus 12 L d T for
    attention scores (forward and backward)."""
    return factor * params + 12 * layers * hidden * seq


def plain_lm(size: dict) -> Qwen3ForCausalLM:
    config = Qwen3Config(vocab_size=size["text_vocab"], hidden_size=size["hidden_size"],
                         intermediate_size=size["intermediate_size"],
                         num_hidden_layers=size["layers"], num_attention_heads=size["heads"],
                         num_key_value_heads=size["kv_heads"],
                         head_dim=size["head_dim"], tie_word_embeddings=True,
                         attn_implementation="sdpa")
    return Qwen3ForCausalLM(config)


def vox_model(size: dict) -> VoxTTS:
    layout = TokenLayout(text_vocab=size["text_vocab"], num_codebooks=CODEC["num_codebooks"],
                         codebook_size=CODEC["codebook_size"])
    backbone = BackboneConfig(hidden_size=size["hidden_size"], layers=size["layers"],
                              heads=size["heads"], kv_heads=size["kv_heads"],
                              intermediate_size=size["intermediate_size"],
                              head_dim=size["head_dim"])
    return VoxTTS(build_lm(backbone, layout.vocab_size), layout)


def timed(step, warmup: int, steps: int, profile: bool = False) -> float:
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    wall = time.perf_counter() - started
    if profile:
        print_profile(step)
    return wall


def print_profile(step, calls: int = 2) -> None:
    """The GPU kernels and host operations that take the most time over `calls` more steps
    (to stderr)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            step()
        torch.cuda.synchronize()
    averages = prof.key_averages()
    for key in ("cuda_time_total", "cpu_time_total"):  # GPU work, then what the host waits on
        print(averages.table(sort_by=key, row_limit=25, max_name_column_width=70),
              file=sys.stderr)


def bench_train(args, size: dict) -> list[dict]:
    rows = [train_plain(args, size)]
    for mode in ("full", "lora"):
        for compiled in (False, True) if args.compile else (False,):
            torch.cuda.empty_cache()
            rows.append(train_vox(args, size, mode, compiled))
            print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def bench_packed(args) -> list[dict]:
    """`voxtune train tts`'s own step (fp32 weights, bf16 autocast, padding mask, four
    codebook losses) on batches of a packed dataset, whose shapes change every step."""
    rows = []
    for compiled in (False, True):
        rows.append(_packed_row(args, compiled))
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def _packed_row(args, compiled: bool) -> dict:
    from voxtune.config import load_config
    from voxtune.tts.config import TTSTrainConfig
    from voxtune.tts.train import build_tts_run

    task, batches, _ = build_tts_run(args.data, load_config(TTSTrainConfig, args.config, []))
    model = task.model.cuda()
    if not args.cudnn_attention:
        use_shape_agnostic_attention()  # as `voxtune train` does
    if compiled:
        compile_blocks(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=True)
    stream = itertools.chain.from_iterable(itertools.repeat(batches))
    counted = {"real": 0, "padded": 0}

    def step():
        batch = task.move_to(next(stream), torch.device("cuda"))
        with torch.autocast("cuda", dtype=torch.bfloat16):
            losses, _ = task.training_step({"model": model}, batch, 0)
        losses["model"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        counted["real"] += int(batch["attention_mask"].sum())
        counted["padded"] += batch["attention_mask"].numel()

    for _ in range(args.warmup):
        step()
    counted.update(real=0, padded=0)
    wall = timed(step, 0, args.steps, args.profile and compiled)
    return {"model": f"voxtune train tts step, {args.config} preset"
            + (", blocks compiled" if compiled else ""),
            "tokens_per_s": round(counted["real"] / wall),
            "padded_tokens_per_s": round(counted["padded"] / wall),
            "steps_per_s": round(args.steps / wall, 2)}


def train_plain(args, size: dict) -> dict:
    b, t = args.batch, args.seq
    lm = plain_lm(size).cuda().to(torch.bfloat16)
    optimizer = torch.optim.AdamW(lm.parameters(), lr=1e-5, fused=True)
    ids = torch.randint(0, size["text_vocab"], (b, t), device="cuda")

    def step():
        lm(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    wall = timed(step, args.warmup, args.steps)
    params = sum(p.numel() for p in lm.parameters())
    return _train_row("plain transformers (full vocabulary logits)", b * t * args.steps, wall,
                      params, size, t)


def train_vox(args, size: dict, mode: str, compiled: bool) -> dict:
    b, t = args.batch, args.seq
    model = vox_model(size).cuda()
    if mode == "lora":
        apply_lora(model, LoraConfig(enabled=True))
    model = model.to(torch.bfloat16)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=1e-5, fused=True)
    layout = model.layout
    grid = torch.from_numpy(layout.audio_ids(np.random.randint(
        0, layout.codebook_size, (b, t, layout.num_codebooks)))).cuda()
    labels = torch.randint(0, layout.codebook_size, (b, t, layout.num_codebooks),
                           device="cuda")
    if compiled:
        compile_blocks(model)

    def step():
        codebook_loss(model(grid), labels)[0].backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    wall = timed(step, args.warmup, args.steps, args.profile and compiled)
    params = sum(p.numel() for p in model.parameters())
    head = layout.num_codebooks * layout.codebook_span * size["hidden_size"]
    touched = params - size["text_vocab"] * size["hidden_size"] + head  # no text logits
    name = f"voxtune {mode}" + (" (blocks compiled)" if compiled else "")
    return _train_row(name, b * t * args.steps, wall, touched, size, t,
                      factor=4 if mode == "lora" else 6)


def _train_row(name: str, tokens: int, wall: float, params: int, size: dict, seq: int,
               factor: int = 6) -> dict:
    rate = tokens / wall
    flops = flops_per_token(params, size["layers"], size["hidden_size"], seq, factor)
    mfu = rate * flops / peak_flops()
    return {"model": name, "tokens_per_s": round(rate), "mfu": round(mfu, 3)}


def bench_generate(args, size: dict) -> list[dict]:
    results = []
    lm = plain_lm(size).cuda().to(torch.bfloat16).eval()
    prompt = torch.randint(0, size["text_vocab"], (1, args.prompt), device="cuda")
    with torch.inference_mode():
        lm.generate(prompt, max_new_tokens=8, min_new_tokens=8, do_sample=False)
        torch.cuda.synchronize()
        started = time.perf_counter()
        lm.generate(prompt, max_new_tokens=args.frames, min_new_tokens=args.frames,
                    do_sample=False)
        torch.cuda.synchronize()
    wall = time.perf_counter() - started
    results.append(_generate_row("plain transformers generate (eager)", args.frames, wall,
                                 None))
    print(json.dumps(results[-1]), file=sys.stderr)
    del lm
    model = load_tts(args.model)[0] if args.model else vox_model(size)
    model = model.cuda().to(torch.bfloat16).eval()
    layout = model.layout
    grid = np.full((args.prompt, layout.num_codebooks), -1)
    grid[:, 0] = np.random.randint(0, layout.text_vocab, args.prompt)
    grid[-1, 0] = layout.audio_start
    # same sampling rules (so the same compiled step) for one frame and for all of them
    one_frame = SamplingConfig(max_frames=1, min_frames=args.frames, seed=0)
    fixed = SamplingConfig(max_frames=args.frames, min_frames=args.frames, seed=0)
    pieces = [grid[i:] for i in (0, 8, 16, 24)]  # four prompts of different lengths
    for compiled in (False, True):
        for warm in (one_frame, fixed, fixed):  # compile (once per cache size) and warm up
            generate(model, [grid], warm, compile=compiled)
        first_s = _wall(generate, model, [grid], one_frame, compile=compiled)
        wall = _wall(generate, model, [grid], fixed, compile=compiled)
        if args.profile and compiled:
            print_profile(lambda: generate(model, [grid], fixed, compile=True), calls=1)
        name = "voxtune generate" + (" (static cache, compiled)" if compiled else "")
        results.append(_generate_row(name, args.frames + layout.num_codebooks, wall, first_s))
        print(json.dumps(results[-1]), file=sys.stderr)
        if args.batched:
            generate(model, pieces, fixed, compile=compiled)
            wall = _wall(generate, model, pieces, fixed, compile=compiled)
            row = _generate_row(name + ", 4 pieces in one batch", 4 * args.frames, wall, None)
            row["steps_per_s"] = round((args.frames + layout.num_codebooks) / wall, 1)
            results.append(row)
    for mode, unroll in args.variants:
        results.append(_decode_variant(model, grid, fixed, mode, unroll, args.frames))
        print(json.dumps(results[-1]), file=sys.stderr)
    return results


def _decode_variant(model, grid, sampling, mode: str, unroll: int, frames: int) -> dict:
    """Batch-1 compiled decoding under another compile mode or steps per graph launch."""
    decoding.COMPILE_MODE, decoding.UNROLL = mode, unroll
    model.__dict__.pop("_static_decoders", None)
    for _ in range(3):
        generate(model, [grid], sampling, compile=True)
    wall = _wall(generate, model, [grid], sampling, compile=True)
    return _generate_row(f"voxtune generate (compiled, {mode}, {unroll} steps per launch)",
                         frames + model.layout.num_codebooks, wall, None)


def _wall(call, *args, **kwargs) -> float:
    torch.cuda.synchronize()
    started = time.perf_counter()
    call(*args, **kwargs)
    torch.cuda.synchronize()
    return time.perf_counter() - started


def _generate_row(name: str, frames: int, wall: float, first_s: float | None) -> dict:
    """Steps per second and real-time factor: wall time over the audio's duration."""
    row = {"model": name, "steps_per_s": round(frames / wall, 1),
           "real_time_factor": round(wall / (frames / CODEC["frame_rate"]), 4)}
    if first_s is not None:
        row["first_frame_s"] = round(first_s, 4)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["train", "generate"], default="train")
    parser.add_argument("--size", choices=sorted(SIZES), default="qwen3-0.6b")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--prompt", type=int, default=64)
    parser.add_argument("--compile", action="store_true",
                        help="training: also measure with each transformer block compiled")
    parser.add_argument("--profile", action="store_true",
                        help="print the GPU kernels that dominate a compiled step")
    parser.add_argument("--batched", action=argparse.BooleanOptionalAction, default=True,
                        help="generation: also decode four text pieces in one batch")
    parser.add_argument("--data", help="training: time the real training step on this packed "
                        "dataset (shapes vary per batch) instead of random grids")
    parser.add_argument("--cudnn-attention", action="store_true",
                        help="training with --data: keep cuDNN attention, which `voxtune train` "
                        "turns off (voxtune/train/kernels.py says why), to compare")
    parser.add_argument("--config", default="tts", help="training with --data: the preset")
    parser.add_argument("--model", help="generation: a trained VoxTTS (folder or shipped "
                        "name) in place of random weights of --size")
    parser.add_argument("--variant", dest="variants", action="append", default=[],
                        type=lambda text: (text.split(":")[0], int(text.split(":")[1])),
                        metavar="MODE:UNROLL", help="generation: also time compiled decoding "
                        "under this torch.compile mode and steps per launch (repeatable), "
                        "e.g. max-autotune:2")
    args = parser.parse_args()
    size = SIZES[args.size]
    if args.part == "generate":
        rows = bench_generate(args, size)
    else:
        rows = bench_packed(args) if args.data else bench_train(args, size)
    print(json.dumps({"benchmark": f"tts_{args.part}", "date": date.today().isoformat(),
                      "device": torch.cuda.get_device_name(), "size": args.size,
                      "torch": torch.__version__, "args": vars(args), "results": rows},
                     indent=2))


if __name__ == "__main__":
    main()
