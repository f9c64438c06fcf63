"""Stationary noise reduction by spectral gating (noisereduce).

Off by default: gating removes steady hiss and hum well but can smear consonants, and a
codec or TTS model trained on gated audio learns the artefacts. Turn it on for recordings
whose quality gate fails on SNR.
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class DenoiseConfig:
    """`prop_decrease`: how much of the estimated noise to remove (1.0 = all)."""

    enabled: bool = False
    prop_decrease: float = 0.8


def reduce_noise(samples: np.ndarray, rate: int, config: DenoiseConfig) -> np.ndarray:
    """Return the clip with stationary noise attenuated; same length and rate."""
    import noisereduce

    cleaned = noisereduce.reduce_noise(y=samples, sr=rate, stationary=True,
                                       prop_decrease=config.prop_decrease, n_jobs=1)
    return cleaned.astype(np.float32)
