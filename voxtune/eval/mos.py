"""Predicted mean opinion score: Microsoft's DNSMOS (SIG, BAK, OVRL, P.808) via speechmos.

DNSMOS rates 9 s windows of 16 kHz audio, one second apart; shorter clips are repeated to
fill a window, as the reference implementation does. espeak-ng English scores about
OVRL 2.8, P.808 3.7.
"""

from dataclasses import dataclass

import numpy as np

from voxtune.audio.io import resample
from voxtune.errors import InputError

DNSMOS_RATE = 16000


@dataclass(frozen=True)
class MosScores:
    """Predicted scores on a 1–5 scale: speech quality, background, overall, and P.808."""

    sig: float
    bak: float
    ovrl: float
    p808: float


def dnsmos(audio: np.ndarray, rate: int) -> MosScores:
    """DNSMOS of one mono clip at any sample rate."""
    from speechmos import dnsmos as model

    if audio.size == 0 or not np.any(audio):
        raise InputError("silent or empty audio cannot be rated")
    clip = resample(audio.astype(np.float32), rate, DNSMOS_RATE)
    scores = model.run(np.clip(clip, -1, 1), sr=DNSMOS_RATE)
    return MosScores(sig=float(scores["sig_mos"]), bak=float(scores["bak_mos"]),
                     ovrl=float(scores["ovrl_mos"]), p808=float(scores["p808_mos"]))
