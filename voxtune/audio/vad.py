"""Trimming leading and trailing non-speech with silero-vad.

Silence slicing works on energy and keeps up to `max_sil_kept` of pause, plus any breath,
click or hum above the threshold. Voice activity detection decides on speech itself, so
trimming with it gives tighter clips; it runs the ONNX model on the CPU at 16 kHz.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from voxtune.audio.io import resample

VAD_RATE = 16000


@dataclass
class VadConfig:
    """silero-vad trimming: speech probability threshold and padding kept around speech (ms)."""

    enabled: bool = False
    threshold: float = 0.5
    pad_ms: int = 100


@lru_cache(maxsize=1)
def _model():  # noqa: ANN202 - silero's model type is not exported
    import silero_vad

    return silero_vad.load_silero_vad(onnx=True)


def speech_span(samples: np.ndarray, rate: int, config: VadConfig) -> tuple[int, int] | None:
    """(start, end) in samples of `rate` from the first to the last speech, padded; None if none."""
    import silero_vad
    import torch

    audio16k = torch.from_numpy(resample(samples, rate, VAD_RATE).astype(np.float32))
    stamps = silero_vad.get_speech_timestamps(audio16k, _model(), threshold=config.threshold,
                                              sampling_rate=VAD_RATE, speech_pad_ms=0)
    if not stamps:
        return None
    pad = config.pad_ms * rate // 1000
    start = max(0, stamps[0]["start"] * rate // VAD_RATE - pad)
    end = min(samples.shape[0], stamps[-1]["end"] * rate // VAD_RATE + pad)
    return start, end
