"""Silence slicing with the parameters and semantics of GPT-SoVITS's slicer.

Users tune GPT-SoVITS's slicer with five numbers (all in milliseconds except the dB
threshold); voxtune takes the same five and cuts at the same places, so a setting that
worked there works here:

* `threshold` (dB re full scale): frames whose RMS is below it are silence candidates.
* `min_length`: a clip is not closed before it is at least this long.
* `min_interval`: a silence must last at least this long to become a cut.
* `hop_size`: the RMS frame step (the precision of the cuts).
* `max_sil_kept`: at most this much silence is kept at each side of a cut.

GPT-SoVITS measures `threshold` against full scale, so a quiet recording (peaks at
-20 dBFS) has its softer syllables taken for silence and sentences cut in the middle.
voxtune by default first measures the recording's integrated loudness and compares frames
against the threshold as if the recording were at `reference_lufs` (-23 LUFS, where
GPT-SoVITS's -34 dB default sits well below speech). `level_reference: full_scale`
turns this off and gives exactly GPT-SoVITS's cuts on the raw audio.

The frame RMS uses a centred window of `min(min_interval, 4 * hop)` samples with zero
padding, as librosa's `rms` does. GPT-SoVITS produces clips of at least `min_length` but
no upper bound; `split_long` adds one by cutting over-long clips at their quietest frame.
"""

from dataclasses import dataclass
from typing import Literal

import numpy as np

from voxtune.audio.loudness import integrated_loudness


@dataclass
class SlicerConfig:
    """GPT-SoVITS slicer parameters (its web UI defaults, with `min_length` for 3 s clips)."""

    enabled: bool = True
    threshold: float = -34.0
    min_length: int = 3000
    min_interval: int = 300
    hop_size: int = 10
    max_sil_kept: int = 500
    max_duration: float = 10.0  # seconds; longer clips are split at their quietest point
    level_reference: Literal["loudness", "full_scale"] = "loudness"
    reference_lufs: float = -23.0


def frame_rms(samples: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """RMS of centred, zero-padded frames every `hop_length` samples (librosa's framing)."""
    padded = np.pad(samples.astype(np.float64), frame_length // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame_length)[::hop_length]
    return np.sqrt(np.mean(frames**2, axis=-1))


def level_for_slicing(samples: np.ndarray, rate: int, config: SlicerConfig) -> np.ndarray:
    """The signal the slicer measures: scaled to `reference_lufs` unless `full_scale`."""
    if config.level_reference == "full_scale":
        return samples
    loudness = integrated_loudness(samples, rate)
    if loudness is None:
        return samples
    return samples * np.float32(10 ** ((config.reference_lufs - loudness) / 20))


def slice_silence(samples: np.ndarray, rate: int, config: SlicerConfig) -> list[tuple[int, int]]:
    """Return (start, end) sample spans of the voiced clips of a mono signal.

    The spans are exactly those GPT-SoVITS's `Slicer.slice` returns for the same input
    (apply `level_for_slicing` first for the level-independent default).
    """
    if not config.min_length >= config.min_interval >= config.hop_size:
        raise ValueError("slicer needs min_length >= min_interval >= hop_size (all in ms)")
    if not config.max_sil_kept >= config.hop_size:
        raise ValueError("slicer needs max_sil_kept >= hop_size (both in ms)")
    interval_samples = rate * config.min_interval / 1000
    hop = round(rate * config.hop_size / 1000)
    window = min(round(interval_samples), 4 * hop)
    min_length = round(rate * config.min_length / 1000 / hop)
    min_interval = round(interval_samples / hop)
    max_kept = round(rate * config.max_sil_kept / 1000 / hop)
    # GPT-SoVITS compares the sample count with a frame count here; kept for identical cuts.
    if samples.shape[0] <= min_length:
        return [(0, samples.shape[0])]
    rms = frame_rms(samples, window, hop)
    total = rms.shape[0]
    cuts = _silence_cuts(rms < 10 ** (config.threshold / 20), rms, min_length, min_interval,
                         max_kept)
    if not cuts:
        return [(0, total * hop)]
    bounds = []
    if cuts[0][0] > 0:
        bounds.append((0, cuts[0][0]))
    bounds += [(cuts[i][1], cuts[i + 1][0]) for i in range(len(cuts) - 1)]
    if cuts[-1][1] < total:
        bounds.append((cuts[-1][1], total))
    return [(begin * hop, min(samples.shape[0], end * hop)) for begin, end in bounds]


def _silence_cuts(silent: np.ndarray, rms: np.ndarray, min_length: int, min_interval: int,
                  max_kept: int) -> list[tuple[int, int]]:
    """The silent frame ranges to remove, as (first, last) frame pairs, in order."""
    cuts: list[tuple[int, int]] = []
    silence_start: int | None = None
    clip_start = 0
    for i, is_silent in enumerate(silent):
        if is_silent:
            if silence_start is None:
                silence_start = i
            continue
        if silence_start is None:
            continue
        leading = silence_start == 0 and i > max_kept
        long_enough = i - silence_start >= min_interval and i - clip_start >= min_length
        if not leading and not long_enough:
            silence_start = None
            continue
        if i - silence_start <= max_kept:
            pos = silence_start + int(rms[silence_start:i + 1].argmin())
            cuts.append((0, pos) if silence_start == 0 else (pos, pos))
            clip_start = pos
            silence_start = None
            continue
        # Longer silences: keep at most max_kept frames on each side, cut at the quietest.
        left = silence_start + int(rms[silence_start:silence_start + max_kept + 1].argmin())
        right = i - max_kept + int(rms[i - max_kept:i + 1].argmin())
        if i - silence_start <= 2 * max_kept:
            pos = i - max_kept + int(rms[i - max_kept:silence_start + max_kept + 1].argmin())
            if silence_start == 0:
                cuts.append((0, right))
                clip_start = right
            else:
                cuts.append((min(left, pos), max(right, pos)))
                clip_start = max(right, pos)
        else:
            cuts.append((0, right) if silence_start == 0 else (left, right))
            clip_start = right
        silence_start = None
    total = len(silent)
    if silence_start is not None and total - silence_start >= min_interval:
        end = min(total, silence_start + max_kept)
        pos = silence_start + int(rms[silence_start:end + 1].argmin())
        cuts.append((pos, total + 1))
    return cuts


def split_long(samples: np.ndarray, rate: int, span: tuple[int, int], max_duration: float,
               min_duration: float, hop: int) -> list[tuple[int, int]]:
    """Split a span longer than `max_duration` s at its quietest frame, recursively.

    The cut is searched where both sides keep at least `min_duration` s, so the pieces
    stay within bounds whenever that is possible.
    """
    start, end = span
    max_len, min_len = int(max_duration * rate), int(min_duration * rate)
    if end - start <= max_len or end - start < 2 * min_len:
        return [span]
    rms = frame_rms(samples[start:end], 4 * hop, hop)
    first, last = -(-min_len // hop), (end - start - min_len) // hop
    cut = start + (first + int(rms[first:last + 1].argmin())) * hop
    return (split_long(samples, rate, (start, cut), max_duration, min_duration, hop)
            + split_long(samples, rate, (cut, end), max_duration, min_duration, hop))
