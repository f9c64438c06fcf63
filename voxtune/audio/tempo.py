"""Speaking rate without pitch change, through SoX's `tempo` effect (WSOLA, speech mode).

SoX is a system program (apt-get install sox; scripts/setup.sh installs it), so this
module runs it on temporary files rather than re-implementing time-scale modification.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from voxtune.errors import InputError

MIN_SPEED, MAX_SPEED = 0.5, 2.0


def check_speed(speed: float) -> None:
    """Raise `InputError` for a speed outside what the tempo effect keeps natural."""
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise InputError(f"speed {speed} is outside {MIN_SPEED}..{MAX_SPEED}")


def change_speed(audio: np.ndarray, rate: int, speed: float) -> np.ndarray:
    """Mono float audio played `speed` times as fast (1.25: a fifth shorter), same pitch."""
    check_speed(speed)
    if speed == 1.0 or len(audio) == 0:
        return audio
    sox = shutil.which("sox")
    if sox is None:
        raise InputError("changing the speed needs the sox program; install it "
                         "(apt-get install sox) or leave speed at 1.0")
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        sf.write(source, audio.astype(np.float32), rate, subtype="FLOAT")
        subprocess.run([sox, str(source), str(target), "tempo", "-s", f"{speed:g}"],
                       check=True, capture_output=True)
        stretched, _ = sf.read(target, dtype="float32")
    return stretched
