"""Labelled speech for the recognizer: ChatML JSONL (Fun-ASR's), or any layout voxtune reads.

Each entry becomes an `AsrExample`: the clip, its transcript, the task prompt and system
prompt of its conversation (ChatML lines carry their own; other layouts get the configured
prompt), and its length in 16 kHz samples from the file header, which is what batching
needs before any audio is decoded. Entries that cannot be used are set aside as `Reject`s
naming the file, the line and what to do, and reading goes on: ChatML lines with bad JSON,
missing audio or a `speech_length` that disagrees with the audio (checked by the ChatML
reader), and here clips without a transcript, too short to hold one 25 ms frame, or longer
than a batch (`data.max_frames`) or a Whisper encoder's window.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from voxtune.asr.frontend import HOP, SAMPLE_RATE, Frontend
from voxtune.asr.prompts import SYSTEM, parse_prompt
from voxtune.data.layouts import read_layout
from voxtune.data.layouts.lengths import sample_count
from voxtune.data.layouts.lines import reject
from voxtune.data.manifest import Reject, Utterance
from voxtune.errors import ClipRejected, InputError

log = logging.getLogger(__name__)
MIN_FRAMES = 10  # 0.1 s: shorter clips hold no word


@dataclass(frozen=True)
class AsrExample:
    """One labelled clip; `samples` counts its audio at 16 kHz, `start`/`end` (seconds)
    select a segment of `audio`."""

    id: str
    audio: Path
    text: str
    prompt: str
    system: str
    samples: int
    suffix: str = ""
    language: str = "en"
    start: float | None = None
    end: float | None = None


def read_examples(src: Path, frontend: Frontend, max_frames: int, prompt: str,
                  language: str = "en") -> tuple[list[AsrExample], list[Reject]]:
    """Every usable labelled clip under `src` (any layout), and what was set aside."""
    utterances, rejects = read_layout(Path(src), language=language)
    examples = []
    for utterance in utterances:
        example = _example(utterance, frontend, max_frames, prompt)
        if isinstance(example, Reject):
            rejects.append(example)
        else:
            examples.append(example)
    if not examples:
        raise InputError(f"{src}: no labelled clip to train or score on "
                         f"({len(rejects)} set aside); the first problem: "
                         f"{rejects[0].message if rejects else 'the dataset is empty'}")
    _log_prompts(src, examples)
    return examples, rejects


def most_common_prompt(examples: list[AsrExample]) -> tuple[str, str]:
    """(task prompt, system prompt) that most examples use: what decoding asks by default."""
    return Counter((e.prompt, e.system) for e in examples).most_common(1)[0][0]


def _example(utterance: Utterance, frontend: Frontend, max_frames: int,
             prompt: str) -> AsrExample | Reject:
    where = utterance.id
    if not utterance.text:
        return reject(utterance.audio, "empty_label", f"{where}: no transcript; label it "
                      "(voxtune prepare transcribes unlabelled clips) or leave it out",
                      id=utterance.id)
    try:
        samples = _samples_16k(utterance)
    except ClipRejected as exc:
        return reject(utterance.audio, exc.reason, f"{where}: {exc}", id=utterance.id)
    frames = frontend.frames(samples)
    seconds = samples / SAMPLE_RATE
    if frames < MIN_FRAMES:
        return reject(utterance.audio, "too_short", f"{where}: {seconds:.3f} s of audio is "
                      "too short to hold speech", id=utterance.id)
    window = frontend.window_frames
    if window is not None and samples > window * HOP:
        return reject(utterance.audio, "too_long", f"{where}: {seconds:.1f} s is longer than "
                      f"the Whisper encoder's {window / 100:.0f} s window; cut it into "
                      "sentences (voxtune prepare slices long recordings)", id=utterance.id)
    if (window or frames) > max_frames:
        return reject(utterance.audio, "too_long", f"{where}: {seconds:.1f} s needs "
                      f"{window or frames} frames, more than data.max_frames={max_frames} "
                      "holds; raise data.max_frames or cut the clip", id=utterance.id)
    return AsrExample(id=utterance.id, audio=Path(utterance.audio), text=utterance.text,
                      prompt=utterance.extra.get("prompt", prompt),
                      system=utterance.extra.get("system", SYSTEM), samples=samples,
                      suffix=utterance.extra.get("suffix", ""), language=utterance.language,
                      start=utterance.start, end=utterance.end)


def _samples_16k(utterance: Utterance) -> int:
    """The clip's (or segment's) length in samples at 16 kHz, from the file header."""
    total, rate = sample_count(Path(utterance.audio))
    start = utterance.start or 0.0
    end = utterance.end if utterance.end is not None else total / rate
    return max(0, round((min(end, total / rate) - start) * SAMPLE_RATE))


def _log_prompts(src: Path, examples: list[AsrExample]) -> None:
    """Say which task prompts the data asks, so a surprising mix is seen before training."""
    counts = Counter(e.prompt for e in examples)
    for text, count in counts.most_common():
        task = parse_prompt(text)
        kind = ("free-form (not a known task prompt; used as written)" if task is None else
                f"language {task.language or 'as spoken'}, "
                f"{'with' if task.itn else 'without'} text normalisation")
        log.info("%s: %d clip(s) with task prompt %r: %s", src, count, text, kind)
