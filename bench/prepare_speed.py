"""Benchmark: how fast `voxtune prepare` turns long recordings into a dataset.

Makes a long-form demo corpus (mixed formats, rates and channels), then prepares it
twice in the same run: without ASR (decode, resample, slice, measure, gate, loudness,
write; unlabelled clips kept as audio-only) and with Whisper-base labelling. Prints one
JSON object: audio hours in, wall minutes, hours of audio per wall minute, and the
speed as a multiple of real time.

    python bench/prepare_speed.py --speakers 4 --minutes 5 --num-workers 2
"""

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

from voxtune.audio.io import audio_duration
from voxtune.config import load_config
from voxtune.data.prepare import prepare
from voxtune.data.prepare_config import PrepareConfig
from voxtune.demo import demo_data


def run(src: Path, out: Path, overrides: list[str], workers: int) -> dict:
    config = load_config(PrepareConfig, None, overrides)
    started = time.perf_counter()
    result = prepare(src, out, config, num_workers=workers, show_progress=False)
    wall = time.perf_counter() - started
    return {"wall_s": round(wall, 2), "clips": len(result.clips),
            "rejects": len(result.rejects)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--speakers", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=5.0, help="per speaker")
    parser.add_argument("--num-workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-asr", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        demo_data(root / "corpus", speakers=args.speakers, minutes=args.minutes,
                  mandarin=False, clips=False, show_progress=False)
        src = root / "corpus" / "long"
        files = [p for p in src.rglob("*") if p.suffix in {".wav", ".flac", ".mp3"}]
        hours = sum(audio_duration(p) for p in files) / 3600
        modes = {"without_asr": ["asr.backend=none", "gate.require_text=false"]}
        if not args.skip_asr:
            modes["with_asr"] = []
        results = {}
        for mode, overrides in modes.items():
            stats = run(src, root / mode, overrides, args.num_workers)
            minutes = stats["wall_s"] / 60
            stats["audio_hours_per_wall_minute"] = round(hours / minutes, 3)
            stats["times_real_time"] = round(hours * 3600 / stats["wall_s"], 1)
            results[mode] = stats
    print(json.dumps({
        "benchmark": "prepare_speed", "date": date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or
                    platform.machine(), "python": platform.python_version()},
        "input": {"files": len(files), "audio_hours": round(hours, 4),
                  "speakers": args.speakers, "num_workers": args.num_workers},
        **results}, indent=2))


if __name__ == "__main__":
    main()
