"""The quality gate: rules that set a clip aside with a reason instead of dropping it.

Each rule returns a stable reason code (counted in the report) and a sentence naming the
measured value, the bound, and the config key that moves the bound.
"""

import re
import unicodedata
from dataclasses import dataclass

from voxtune.audio.quality import SignalStats
from voxtune.errors import ClipRejected

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass
class GateConfig:
    """Bounds a clip must meet. Durations in seconds, SNR in dB, loudness in LUFS.

    Speaking rate is counted in letters per second, a CJK character counting as three
    letters (about one syllable); ordinary speech is 8–20, so the default bounds only
    catch labels that cannot belong to the audio.
    """

    enabled: bool = True
    require_text: bool = True  # false keeps unlabelled clips (audio-only data, e.g. for a codec)
    min_duration: float = 1.0
    max_duration: float = 20.0
    max_clipping_ratio: float = 0.001
    min_snr_db: float = 20.0
    max_silence_ratio: float = 0.5
    min_loudness_lufs: float = -60.0
    min_letters_per_second: float = 2.0
    max_letters_per_second: float = 40.0


def letter_count(text: str) -> int:
    """Letters and digits, with CJK characters weighted as three (see `GateConfig`)."""
    cjk = len(_CJK.findall(text))
    return sum(ch.isalnum() for ch in text) - cjk + 3 * cjk


def check_text(text: str | None, duration: float, config: GateConfig) -> None:
    """Reject empty, garbled or implausibly long/short text for a clip of `duration` s."""
    if text is None or not text.strip():
        raise ClipRejected("empty_text", "the clip has no text (empty label or ASR heard no "
                           "words)")
    if "\ufffd" in text or any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ClipRejected("implausible_text", f"the text contains control or replacement "
                           f"characters ({text[:40]!r}); the label is probably not UTF-8 text")
    rate = letter_count(text) / max(duration, 1e-3)
    if not config.enabled:
        return
    if rate > config.max_letters_per_second:
        raise ClipRejected("implausible_text", f"{letter_count(text)} letters in {duration:.2f} s "
                           f"({rate:.0f}/s) is faster than anyone speaks "
                           f"(gate.max_letters_per_second={config.max_letters_per_second:g}); "
                           "the label probably belongs to another clip")
    if rate < config.min_letters_per_second:
        raise ClipRejected("implausible_text", f"{letter_count(text)} letters in {duration:.2f} s "
                           f"({rate:.1f}/s) is too few for the audio "
                           f"(gate.min_letters_per_second={config.min_letters_per_second:g})")


def check_signal(duration: float, stats: SignalStats, loudness: float | None,
                 config: GateConfig) -> None:
    """Reject clips out of duration bounds, clipped, noisy, mostly silent or near-silent."""
    if not config.enabled:
        return
    if duration < config.min_duration:
        raise ClipRejected("too_short", f"{duration:.2f} s is shorter than "
                           f"gate.min_duration={config.min_duration:g} s")
    if duration > config.max_duration:
        raise ClipRejected("too_long", f"{duration:.2f} s is longer than "
                           f"gate.max_duration={config.max_duration:g} s")
    if loudness is None or loudness < config.min_loudness_lufs:
        level = "unmeasurable" if loudness is None else f"{loudness:.1f} LUFS"
        raise ClipRejected("too_quiet", f"loudness {level} is below "
                           f"gate.min_loudness_lufs={config.min_loudness_lufs:g}")
    if stats.silence_ratio > config.max_silence_ratio:
        raise ClipRejected("mostly_silence", f"{stats.silence_ratio:.0%} of the clip is silence "
                           f"(gate.max_silence_ratio={config.max_silence_ratio:g})")
    if stats.clipping_ratio > config.max_clipping_ratio:
        raise ClipRejected("clipped", f"{stats.clipping_ratio:.2%} of samples are clipped "
                           f"(gate.max_clipping_ratio={config.max_clipping_ratio:g})")
    if stats.snr_db < config.min_snr_db:
        raise ClipRejected("low_snr", f"estimated SNR {stats.snr_db:.1f} dB is below "
                           f"gate.min_snr_db={config.min_snr_db:g}; try denoise.enabled=true")
