"""Lengths a speech model sees: fbank frame counts from sample counts.

Fun-ASR (and Kaldi-style front ends generally) cut audio into 25 ms windows every 10 ms
with `snip_edges`: only whole windows count, so N samples give `1 + (N - win) // shift`
frames, or 0 when N is shorter than one window. Window and shift in samples are truncated
to integers at the audio's own rate, as Kaldi does (22050 Hz: 551 and 220 samples).
"""

from pathlib import Path

import soundfile as sf

from voxtune.audio.io import read_audio

WINDOW_MS = 25
SHIFT_MS = 10


def fbank_frames(num_samples: int, sample_rate: int, window_ms: int = WINDOW_MS,
                 shift_ms: int = SHIFT_MS) -> int:
    """Number of fbank frames (snip_edges) for `num_samples` at `sample_rate` Hz."""
    window = sample_rate * window_ms // 1000
    shift = sample_rate * shift_ms // 1000
    if num_samples < window:
        return 0
    return 1 + (num_samples - window) // shift


def sample_count(path: Path) -> tuple[int, int]:
    """(samples per channel, sample rate in Hz), from the header or else by decoding."""
    try:
        info = sf.info(str(path))
        if info.frames > 0 and info.samplerate > 0:
            return int(info.frames), int(info.samplerate)
    except (sf.LibsndfileError, RuntimeError):
        pass
    audio, rate = read_audio(path)
    return int(audio.shape[1]), rate
