"""Signal measures that the quality gate reads: SNR, clipping and silence ratios.

The SNR is a blind estimate from the clip alone (no clean reference exists): frame
energies in 20 ms frames, noise power = mean of the quietest 10 % of frames, signal power
= mean of the loudest 50 % minus the noise. It is reliable when a clip keeps some pause
(the slicer keeps up to `max_sil_kept`), and reads high for digitally silent pauses;
it is capped at 100 dB.
"""

from dataclasses import dataclass

import numpy as np

FRAME_SECONDS = 0.02
SNR_CAP_DB = 100.0


@dataclass(frozen=True)
class SignalStats:
    """Measures of one clip: SNR in dB, fraction of clipped samples, fraction of silent frames."""

    snr_db: float
    clipping_ratio: float
    silence_ratio: float


def frame_energies(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mean power of consecutive non-overlapping 20 ms frames."""
    size = max(1, int(FRAME_SECONDS * rate))
    count = max(1, samples.shape[0] // size)
    frames = samples[: count * size].astype(np.float64)
    if frames.shape[0] < size:
        frames = np.pad(frames, (0, size - frames.shape[0]))
    return np.mean(frames.reshape(count, -1) ** 2, axis=1)


def estimate_snr(energies: np.ndarray) -> float:
    """Blind SNR in dB from frame energies (see the module docstring)."""
    ordered = np.sort(energies)
    quiet = ordered[: max(1, len(ordered) // 10)].mean()
    loud = ordered[len(ordered) // 2:].mean()
    signal = max(loud - quiet, 0.0)
    if quiet <= 0:
        return SNR_CAP_DB if signal > 0 else 0.0
    if signal <= 0:
        return 0.0
    return float(min(SNR_CAP_DB, 10 * np.log10(signal / quiet)))


def clipping_ratio(samples: np.ndarray) -> float:
    """Fraction of samples in flat tops: runs of two or more samples at the clip's peak.

    Judged against the clip's own peak rather than full scale, so audio that was clipped
    and then turned down is still caught; an unclipped signal touches its peak only once.
    """
    peak = float(np.max(np.abs(samples)))
    if peak < 0.05:
        return 0.0
    at_peak = np.abs(samples) >= peak * 0.999
    in_run = at_peak[1:] & at_peak[:-1]
    return float(in_run.sum() * 2 / samples.shape[0])


def measure(samples: np.ndarray, rate: int, silence_db: float = -50.0) -> SignalStats:
    """Measure a mono clip as decoded (before any gain).

    Silence is judged relative to the clip's loudest frame (`silence_db` below it), so the
    ratio does not depend on the recording level.
    """
    energies = frame_energies(samples, rate)
    peak_energy = energies.max()
    if peak_energy <= 0:
        return SignalStats(snr_db=0.0, clipping_ratio=0.0, silence_ratio=1.0)
    silent = energies < peak_energy * 10 ** (silence_db / 10)
    return SignalStats(snr_db=estimate_snr(energies), clipping_ratio=clipping_ratio(samples),
                       silence_ratio=float(silent.mean()))
