"""The demo corpus's speaker roster: distinct, repeatable synthetic voices.

espeak-ng has several English accents and a dozen voice variants; crossing them (each with
its own speaking rate and pitch) gives ~100 speakers a multi-speaker model can tell apart.
Flite's voices (fewer, more natural) join when the `flite` program is installed. The roster
depends only on its arguments and on which programs exist, so a seed reproduces a corpus on
any machine with the same engines.
"""

import shutil
from dataclasses import dataclass
from typing import Literal

from voxtune.errors import InputError

# Accents shipped with espeak-ng ≥ 1.50 (`espeak-ng --voices=en`).
ESPEAK_ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc",
                  "en-gb-x-gbclan", "en-gb-x-gbcwmd")
# Voice variants (`espeak-ng --voices=variant`), male and female interleaved.
ESPEAK_VARIANTS = ("m3", "f2", "m1", "f4", "m5", "f1", "m7", "f3", "m2", "f5", "m4", "m6")
# Flite's built-in 16 kHz voices (`flite -lv`); `kal` (8 kHz) and `awb_time` are left out.
FLITE_VOICES = ("slt", "rms", "awb", "kal16")
# Roster positions taken by the flite voices, so that even a 2-speaker corpus mixes engines.
FLITE_SLOTS = (1, 4, 7, 10)

Engine = Literal["espeak", "flite"]


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker.

    `speed` is in words per minute; `pitch` is espeak-ng's 0–99 scale (50 is the variant's
    own pitch) and is not used by flite, whose voices have a fixed pitch.
    `low_quality` marks voices whose output is too robotic to train a TTS voice on (espeak's
    Mandarin), so downstream steps may use them for plumbing tests only.
    """

    name: str
    engine: Engine
    voice: str
    language: str
    speed: int = 160
    pitch: int = 50
    low_quality: bool = False


MANDARIN = Voice(name="zh_cmn", engine="espeak", voice="cmn", language="zh", speed=150,
                 pitch=50, low_quality=True)


def _espeak_voice(k: int) -> Voice:
    """The k-th espeak-ng English voice; k ↦ (accent, variant) is one-to-one for k < 96."""
    accent_index, round_index = k % len(ESPEAK_ACCENTS), k // len(ESPEAK_ACCENTS)
    accent = ESPEAK_ACCENTS[accent_index]
    variant = ESPEAK_VARIANTS[(round_index + 5 * accent_index) % len(ESPEAK_VARIANTS)]
    return Voice(name=f"{accent.replace('-', '_')}_{variant}", engine="espeak",
                 voice=f"{accent}+{variant}", language="en",
                 speed=145 + 10 * (3 * k % 5), pitch=30 + 8 * (3 * k % 6))


def _flite_voice(k: int) -> Voice:
    return Voice(name=f"en_flite_{FLITE_VOICES[k]}", engine="flite", voice=FLITE_VOICES[k],
                 language="en", speed=150 + 10 * (k % 4))


def voices(count: int, include_mandarin: bool) -> list[Voice]:
    """`count` distinct English voices, plus espeak-ng's Mandarin when `include_mandarin`.

    The order is fixed, so `voices(4, …)` is always a prefix of `voices(8, …)`; flite voices
    take fixed slots when the `flite` program is installed.
    """
    espeak_count = len(ESPEAK_ACCENTS) * len(ESPEAK_VARIANTS)
    flite_count = len(FLITE_VOICES) if shutil.which("flite") else 0
    if not 0 <= count <= espeak_count + flite_count:
        raise InputError(f"cannot make {count} distinct English demo speakers; choose 0 to "
                         f"{espeak_count + flite_count}"
                         + ("" if flite_count else " (install flite for a few more)"))
    roster: list[Voice] = []
    next_espeak = next_flite = 0
    while len(roster) < count:
        if next_flite < flite_count and len(roster) == FLITE_SLOTS[next_flite]:
            roster.append(_flite_voice(next_flite))
            next_flite += 1
        else:
            roster.append(_espeak_voice(next_espeak))
            next_espeak += 1
    if include_mandarin:
        roster.append(MANDARIN)
    return roster
