"""Loudness normalisation to a target integrated loudness (ITU-R BS.1770, via pyloudnorm)."""

from dataclasses import dataclass

import numpy as np
import pyloudnorm

# BS.1770 gates on 400 ms blocks; shorter signals have no integrated loudness.
MIN_LOUDNESS_SECONDS = 0.4


@dataclass
class LoudnessConfig:
    """Target integrated loudness in LUFS and a sample-peak ceiling in dBFS.

    -23 LUFS is EBU R128's broadcast target; speech normalised there keeps about 20 dB of
    headroom, so the -1 dBFS ceiling rarely has to lower the gain.
    """

    enabled: bool = True
    target_lufs: float = -23.0
    peak_dbfs: float = -1.0


def integrated_loudness(samples: np.ndarray, rate: int) -> float | None:
    """Integrated loudness in LUFS of [samples] or [samples, channels]; None if too short or
    silent (below BS.1770's absolute gate)."""
    if samples.shape[0] < MIN_LOUDNESS_SECONDS * rate:
        return None
    loudness = pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64))
    return float(loudness) if np.isfinite(loudness) else None


def normalize_loudness(samples: np.ndarray, rate: int, config: LoudnessConfig,
                       loudness: float | None = None) -> tuple[np.ndarray, float | None]:
    """Apply one gain so the clip reaches `target_lufs`, unless that would break the ceiling.

    `loudness` is the clip's loudness if the caller already measured it (it is measured here
    otherwise). Returns the scaled signal and its loudness afterwards (LUFS, or None when it
    cannot be measured). A single gain keeps the dynamics; when the peak would pass the
    ceiling the gain is lowered to meet it, and the returned loudness shows the shortfall.
    """
    if loudness is None:
        loudness = integrated_loudness(samples, rate)
    if loudness is None:
        return samples, None
    gain = 10 ** ((config.target_lufs - loudness) / 20)
    peak = float(np.max(np.abs(samples)))
    ceiling = 10 ** (config.peak_dbfs / 20)
    if peak * gain > ceiling:
        gain = ceiling / peak
    scaled = (samples * gain).astype(np.float32)
    return scaled, loudness + 20 * float(np.log10(gain))
