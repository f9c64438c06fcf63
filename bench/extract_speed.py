"""Benchmark: `voxtune extract` speed, end to end (audio files on disk → `.npy` written).

Writes `--clips` WAV clips of 3–10 s (a deterministic mix of tones and noise at the codec's
rate) as a folders-layout dataset, then encodes them with a randomly initialised codec of
the default size (speed does not depend on the weights): transformers Mimi, or VoxCodec with
the shipped `codec` preset's architecture. Prints one JSON object: audio hours per wall
minute and speed as a multiple of real time, with the device named.

    python bench/extract_speed.py --clips 100 --device cpu
    python bench/extract_speed.py --clips 2000 --device cuda --batch-size 32 --codec voxcodec
"""

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from transformers import MimiConfig

from voxtune.codec import Codec, TransformersCodec
from voxtune.codec.extract import extract
from voxtune.codec.voxcodec import CodecTrainConfig, VoxCodec, VoxCodecModel
from voxtune.config import load_config


def build_codec(family: str, device: str) -> tuple[Codec, str]:
    """A default-size codec of `family` and the words that describe it in the results."""
    if family == "voxcodec":
        model = VoxCodecModel(load_config(CodecTrainConfig, "codec").model)
        codec: Codec = VoxCodec(model, device=device)
        name = f"VoxCodec, codec preset ({sum(p.numel() for p in model.parameters()):,} params)"
    else:
        codec, name = TransformersCodec.from_config(MimiConfig(), device=device), \
            "transformers Mimi, default config"
    return codec, f"{name}, {codec.num_codebooks} codebooks at {codec.frame_rate:g} Hz"


def write_clips(root: Path, clips: int, rate: int) -> float:
    rng = np.random.default_rng(0)
    seconds = 0.0
    for number in range(clips):
        length = rng.uniform(3, 10)
        t = np.arange(int(length * rate)) / rate
        audio = 0.1 * np.sin(2 * np.pi * rng.uniform(100, 400) * t) + rng.normal(0, 0.02, t.shape)
        folder = root / f"spk{number % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        sf.write(folder / f"c{number:05d}.wav", audio.astype(np.float32), rate)
        (folder / f"c{number:05d}.lab").write_text("benchmark clip")
        seconds += len(t) / rate
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--num-workers", type=int, default=min(8, os.cpu_count() or 1))
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--codec", choices=["mimi", "voxcodec"], default="mimi")
    args = parser.parse_args()
    codec, described = build_codec(args.codec, args.device)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        seconds = write_clips(data, args.clips, codec.sample_rate)
        warm = torch.zeros(1, codec.sample_rate)
        codec.encode(warm.to(args.device), torch.tensor([codec.sample_rate]).to(args.device))
        started = time.perf_counter()
        summary = extract(data, codec, batch_size=args.batch_size, num_workers=args.num_workers,
                          device=args.device, show_progress=False)
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        wall = time.perf_counter() - started
    device = (torch.cuda.get_device_name(args.device) if args.device.startswith("cuda")
              else f"{os.cpu_count()} CPU cores ({platform.machine()})")
    print(json.dumps({
        "benchmark": "extract_speed", "date": date.today().isoformat(), "device": device,
        "codec": described, "clips": summary.encoded,
        "audio_hours": round(seconds / 3600, 4), "batch_size": args.batch_size,
        "num_workers": args.num_workers, "wall_s": round(wall, 2),
        "audio_hours_per_wall_minute": round(seconds / 3600 / (wall / 60), 3),
        "times_real_time": round(seconds / wall, 1)}, indent=2))


if __name__ == "__main__":
    main()
