"""Benchmark: recognizer training throughput (audio seconds per second) and decoding speed.

Training: `train_asr` (the shared trainer, data loading included) with the preset `asr`
(`asr-tiny` with `--tiny`) and any `key=value` overrides, on `--clips` clips of speech
spoken by espeak-ng (speech-shaped noise of the same lengths where espeak-ng is missing:
the cost is the same). The first `--steps` steps warm up (allocator, kernels, workers); the
trainer's own counter (`speed/audio_s_per_s`) over the next `--steps` is reported.
Front end: seconds of audio decoded and turned into fbank per second, in one process.
Decoding: the checkpoint just trained (or `--model`) transcribes `--decode-clips` clips one
at a time and in batches of `--batch`, greedy and with beam `--beam`; the real-time factor
is wall time over audio duration. A model trained for a few steps writes until its length
cap (25 tokens per second of audio), so its factor is an upper bound; `output_tokens`
says how long the answers were.

    python bench/asr_speed.py                        # CUDA when present, preset asr
    python bench/asr_speed.py --device cpu --tiny    # a CPU check in about a minute
    python bench/asr_speed.py llm_conf.hidden_size=1024 llm_conf.layers=28 \\
        llm_conf.heads=16 llm_conf.kv_heads=8 llm_conf.intermediate_size=3072  # Qwen3-0.6B shape
"""

import argparse
import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import torch

from voxtune.asr.config import ASRTrainConfig
from voxtune.asr.decode import DecodeOptions, Recognizer
from voxtune.asr.frontend import SAMPLE_RATE, load_16k
from voxtune.asr.train import train_asr
from voxtune.audio.io import write_audio
from voxtune.config import load_config
from voxtune.demo.speech import sentences
from voxtune.demo.synth import synthesize
from voxtune.demo.voices import voices
from voxtune.errors import InputError
from voxtune.train.logs import read_run_log

SPEECH_CHARS_PER_SECOND = 14.0  # espeak-ng at 150 words per minute, for the noise fallback


def main() -> None:
    args = parse_args()
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    work = Path(tempfile.mkdtemp(prefix="voxtune_asr_speed_"))
    clips, engine = make_clips(work / "clips", args.clips)
    preset = "asr-tiny" if args.tiny else "asr"
    config = load_config(ASRTrainConfig, preset, [
        f"trainer.device={device}", f"trainer.max_steps={2 * args.steps}",
        f"trainer.log_every={args.steps}", f"trainer.save_every={2 * args.steps}",
        *args.overrides])
    result = train_asr(clips, work / "run", config, show_progress=False)
    timed = read_run_log(work / "run")[-1]
    recognizer = Recognizer(args.model or result.checkpoint, device=device)
    report = {
        "date": date.today().isoformat(), "device": device_name(device), "preset": preset,
        "overrides": args.overrides, "speech": engine, "clips": args.clips,
        "train": {"audio_s_per_s": round(timed["speed/audio_s_per_s"], 1),
                  "steps_timed": args.steps, "precision": config.trainer.precision,
                  "max_frames_per_batch": config.data.max_frames,
                  "num_workers": config.data.num_workers},
        "parameters": sum(p.numel() for p in recognizer.loaded.model.parameters()),
        "frontend_audio_s_per_s": frontend_speed(recognizer, clips),
        "decode": decode_speed(recognizer, clips, args),
    }
    print(json.dumps(report, indent=2))


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", help="cuda or cpu (default: cuda when present)")
    p.add_argument("--tiny", action="store_true", help="preset asr-tiny instead of asr")
    p.add_argument("--clips", type=int, default=256, help="training clips to synthesize")
    p.add_argument("--steps", type=int, default=10, help="warm-up steps, then timed steps")
    p.add_argument("--decode-clips", type=int, default=32)
    p.add_argument("--batch", type=int, default=16, help="batch size of batched decoding")
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--model", type=Path, help="decode with this trained model folder")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    args = p.parse_args()
    if args.tiny and args.clips == p.get_default("clips"):
        args.clips = 24
    return args


def make_clips(folder: Path, count: int) -> tuple[Path, str]:
    """`count` labelled clips of demo sentences in four voices (folders layout)."""
    texts = sentences("en")
    roster = voices(4, include_mandarin=False)
    jobs = [(roster[i % len(roster)], texts[i % len(texts)]) for i in range(count)]
    try:
        with ThreadPoolExecutor(8) as pool:
            spoken = list(pool.map(lambda job: synthesize(*job), jobs))
        engine = "espeak-ng/flite"
    except InputError:  # no speech engine on this machine: noise of speech-like lengths
        rng = np.random.default_rng(0)
        spoken = [(rng.normal(0, 0.1, int(len(text) / SPEECH_CHARS_PER_SECOND * SAMPLE_RATE))
                   .astype(np.float32), SAMPLE_RATE) for _, text in jobs]
        engine = "noise"
    for number, ((voice, text), (audio, rate)) in enumerate(zip(jobs, spoken, strict=True)):
        write_audio(folder / voice.name / f"{number:04d}.wav", audio, rate)
        (folder / voice.name / f"{number:04d}.lab").write_text(text, encoding="utf-8")
    return folder, engine


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name()
    return f"cpu ({torch.get_num_threads()} threads)"


def frontend_speed(recognizer: Recognizer, clips: Path) -> float:
    """Seconds of audio decoded and featurized per second, one process."""
    frontend = recognizer.loaded.frontend
    files = sorted(clips.rglob("*.wav"))[:64]
    started = time.perf_counter()
    seconds = 0.0
    for path in files:
        samples = load_16k(path)
        frontend(samples)
        seconds += len(samples) / SAMPLE_RATE
    return round(seconds / (time.perf_counter() - started), 1)


def decode_speed(recognizer: Recognizer, clips: Path, args: argparse.Namespace) -> dict:
    """Real-time factor and output tokens per second of three ways of decoding."""
    audio = [load_16k(p) for p in sorted(clips.rglob("*.wav"))[:args.decode_clips]]
    seconds = sum(len(a) for a in audio) / SAMPLE_RATE
    recognizer.transcribe(audio[:2], DecodeOptions(batch_size=2))  # warm-up
    results = {}
    for name, options in (("greedy_batch_1", DecodeOptions(batch_size=1)),
                          (f"greedy_batch_{args.batch}", DecodeOptions(batch_size=args.batch)),
                          (f"beam_{args.beam}_batch_{args.batch}",
                           DecodeOptions(batch_size=args.batch, beam_size=args.beam))):
        if recognizer.device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        texts = recognizer.transcribe(audio, options)
        wall = time.perf_counter() - started
        tokens = sum(len(recognizer.loaded.tokenizer(t)["input_ids"]) for t in texts)
        results[name] = {"real_time_factor": round(wall / seconds, 4),
                         "output_tokens": tokens, "tokens_per_s": round(tokens / wall, 1)}
    results["audio_s"] = round(seconds, 1)
    return results


if __name__ == "__main__":
    main()
