"""SpecAugment (Park et al. 2019) on one clip's features: frequency bands and time spans
masked to the clip's mean, so the model cannot lean on any one band or moment. With a few
hours of one person's speech, this is the cheapest guard against memorising the clips."""

import numpy as np

from voxtune.asr.config import SpecAugmentConf

MAX_TIME_SHARE = 0.1  # a time mask covers at most this share of the clip


def spec_augment(features: np.ndarray, frames: int, conf: SpecAugmentConf,
                 rng: np.random.Generator) -> np.ndarray:
    """A masked copy of `features` [T, bins]; only the first `frames` rows hold the clip."""
    out = features.copy()
    fill = float(out[:frames].mean()) if frames else 0.0
    bins = out.shape[1]
    for _ in range(conf.freq_masks):
        width = int(rng.integers(0, min(conf.freq_width, bins) + 1))
        first = int(rng.integers(0, bins - width + 1))
        out[:frames, first:first + width] = fill
    longest = min(conf.time_width, int(MAX_TIME_SHARE * frames))
    for _ in range(conf.time_masks):
        width = int(rng.integers(0, longest + 1))
        first = int(rng.integers(0, frames - width + 1))
        out[first:first + width] = fill
    return out
