"""Benchmark: Kokoro speech per wall second, onnxruntime on the CPU beside PyTorch on a GPU.

Speaks `--sentences` of voxtune's shipped demo sentences (English, Spanish and Mandarin in
turn, in a few voices) through `speak_kokoro` from `--threads` threads, as `voxtune
demo-data` does: once with onnxruntime on the CPU (`--device cpu`, one CPU thread per call)
and once on `--device` (the same weights in PyTorch), each after a warm-up call (which on
first use also converts the ONNX weights for PyTorch). Prints one JSON object: seconds of
audio per wall second for each engine, and per CPU thread for onnxruntime.

    python bench/kokoro_speed.py --sentences 60 --device cuda
    python bench/kokoro_speed.py --sentences 300 --device cuda --threads 32 --no-cpu
"""

import argparse
import itertools
import json
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import torch

from voxtune.demo import kokoro_engine
from voxtune.demo.natural import held_out_natural
from voxtune.demo.speech import sentences


def workload(count: int) -> list[tuple[str, str, tuple[float, ...]]]:
    """(text, language, style mixture) for `count` utterances, the languages in turn."""
    voices = {voice.language: voice.mixture for voice in held_out_natural()
              if voice.engine == "kokoro"}
    texts = {language: itertools.cycle(sentences(language)) for language in ("en", "es", "zh")}
    turns = itertools.cycle(texts)
    return [(next(texts[language]), language, voices[language])
            for language in itertools.islice(turns, count)]


def measure(device: str, work: list[tuple[str, str, tuple[float, ...]]], threads: int) -> dict:
    kokoro_engine.use_device(device)
    kokoro_engine.speak_kokoro("A warm-up sentence.", "en", work[0][2], 1.0)
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        audio = list(pool.map(lambda item: kokoro_engine.speak_kokoro(*item, 1.0), work))
    wall = time.perf_counter() - started
    seconds = sum(len(samples) for samples in audio) / kokoro_engine.SAMPLE_RATE
    return {"audio_s": round(seconds, 1), "wall_s": round(wall, 2),
            "audio_s_per_wall_s": round(seconds / wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=60)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="parallel calls (default: the CPUs this process may use, as "
                        "demo-data)")
    parser.add_argument("--no-cpu", action="store_true", help="skip onnxruntime on the CPU")
    args = parser.parse_args()
    work = workload(args.sentences)
    results: dict = {
        "benchmark": "kokoro_speed", "date": date.today().isoformat(),
        "cpu": f"{os.cpu_count()} CPU cores ({platform.machine()})",
        "sentences": args.sentences, "threads": args.threads}
    if not args.no_cpu:
        results["onnxruntime_cpu"] = measure("cpu", work, args.threads)
        results["onnxruntime_cpu"]["audio_s_per_wall_s_per_thread"] = round(
            results["onnxruntime_cpu"]["audio_s_per_wall_s"] / args.threads, 3)
    if args.device != "cpu":
        results["gpu"] = torch.cuda.get_device_name(args.device)
        results["torch_" + args.device.replace(":", "")] = measure(args.device, work,
                                                                   args.threads)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
