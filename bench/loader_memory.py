"""Benchmark: packed-dataset loader throughput and memory at 1× and 10× dataset size.

Builds two packed datasets (N and 10·N sentences of 8-codebook codes, 2–8 s at 12.5 Hz),
then iterates one epoch of each in a fresh process, reporting samples per second and the
process's peak resident memory. The loader memory-maps its index and reads records on
demand, so peak memory should stay nearly flat while the data grows tenfold.

Extraction is not what is measured here, so the codes are random and `codes.json` is
written directly, as `voxtune extract` would.

    python bench/loader_memory.py --sentences 2000
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import soundfile as sf

from voxtune.data.codes_index import clip_key, save_codes_index
from voxtune.data.packed import PackedDataset, PackedLoader, pack
from voxtune.files import file_fingerprint

CODEBOOKS, CODEBOOK_SIZE, FRAME_RATE = 8, 2048, 12.5


def build(root: Path, sentences: int) -> Path:
    rng = np.random.default_rng(0)
    data = root / "data"
    clips = {}
    silence = np.zeros(80, dtype=np.float32)
    for number in range(sentences):
        folder = data / f"spk{number % 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        audio = folder / f"c{number:06d}.wav"
        sf.write(audio, silence, 8000)
        (folder / f"c{number:06d}.lab").write_text(f"sentence number {number} of the benchmark")
        frames = int(rng.uniform(2, 8) * FRAME_RATE)
        np.save(audio.with_suffix(".npy"),
                rng.integers(0, CODEBOOK_SIZE, (CODEBOOKS, frames), dtype=np.int16))
        clips[clip_key(data, audio)] = file_fingerprint(audio)
    codec = {"id": "bench:random", "sample_rate": 8000, "frame_rate": FRAME_RATE,
             "num_codebooks": CODEBOOKS, "codebook_size": CODEBOOK_SIZE}
    save_codes_index(data, {"codec": codec, "clips": clips})
    pack(data, root / "packed", show_progress=False)
    return root / "packed"


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM).

    Not `getrusage`: on Linux a child started from a large parent reports the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def child(path: str) -> None:
    """One epoch in this process; prints samples/s and peak RSS as JSON."""
    loader = PackedLoader(PackedDataset(path), max_tokens=4096)
    started, samples = time.perf_counter(), 0
    for batch in loader:
        samples += len(batch)
    seconds = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    print(json.dumps({"samples": samples, "samples_per_s": round(samples / seconds, 1),
                      "peak_rss_mb": round(peak_mb, 1)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=2000, help="sentences at 1×")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scale in (1, 10):
            path = build(Path(tmp) / f"x{scale}", args.sentences * scale)
            run = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True,
                                 capture_output=True, text=True)
            results[f"x{scale}"] = {"sentences": args.sentences * scale,
                                    **json.loads(run.stdout)}
    results["peak_rss_ratio_x10_over_x1"] = round(
        results["x10"]["peak_rss_mb"] / results["x1"]["peak_rss_mb"], 3)
    print(json.dumps({"benchmark": "loader_memory", "date": date.today().isoformat(),
                      "machine": {"cpus": os.cpu_count(), "processor": platform.machine(),
                                  "python": platform.python_version()}, **results}, indent=2))


if __name__ == "__main__":
    main()
