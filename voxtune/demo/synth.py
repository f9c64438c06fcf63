"""Speech from the espeak-ng and flite command-line programs.

Both engines are small, fast, deterministic and packaged everywhere, which makes them good
sources of speech whose transcript is known exactly. Their output is trimmed of the silence
they add around each utterance so that timings computed from it are tight.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from voxtune.demo.voices import Voice
from voxtune.errors import InputError

# engine → (program, Debian/Ubuntu package)
PROGRAMS = {"espeak": ("espeak-ng", "espeak-ng"), "flite": ("flite", "flite")}
# Flite's voices speak at roughly this rate (words per minute) at duration_stretch=1.
FLITE_NATURAL_WPM = 170
# Samples quieter than this (dB relative to the utterance's peak) at either end are trimmed;
# flite pads with a faint hiss rather than digital zeros, so an exact-zero test is not enough.
TRIM_FLOOR_DB = -40.0


def synthesize(voice: Voice, text: str) -> tuple[np.ndarray, int]:
    """Speak `text` with `voice`; return (float32 mono samples, sample rate in Hz).

    The engine's leading and trailing silence is removed, so the first and last samples are
    the start and end of speech. Raises `InputError` when the engine's program is missing
    or produces no sound.
    """
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
    return _trim(audio.mean(axis=1), voice, text), int(rate)


def _trim(audio: np.ndarray, voice: Voice, text: str) -> np.ndarray:
    peak = float(np.abs(audio).max(initial=0.0))
    if peak == 0.0:
        raise InputError(f"{voice.engine} voice {voice.voice!r} produced silence for {text!r}")
    loud = np.flatnonzero(np.abs(audio) > peak * 10 ** (TRIM_FLOOR_DB / 20))
    return np.ascontiguousarray(audio[loud[0]:loud[-1] + 1])
