"""Audio that arrives in a request: bounded, decoded with voxtune's own reader, or refused.

The bytes go to a private temporary file (named only by an allowed suffix, never by the
client's file name) and through `voxtune.audio.io.read_audio`, libsndfile then FFmpeg,
as every clip voxtune reads. The duration is read from the header first, so an upload
that decodes to hours is refused before it is decoded; garbage is a 400 that says which
formats work.
"""

import tempfile
from pathlib import Path

import numpy as np

from voxtune.audio.io import declared_duration, read_audio, to_mono
from voxtune.errors import ClipRejected
from voxtune.serve.config import LimitsConfig
from voxtune.serve.errors import ServeError

SUFFIXES = (".flac", ".mp3", ".mp4", ".mpeg", ".mpga", ".m4a", ".ogg", ".opus", ".wav",
            ".webm")


def decode_upload(data: bytes, filename: str, limits: LimitsConfig,
                  param: str = "file") -> tuple[np.ndarray, int]:
    """Uploaded bytes → (mono float32 samples, sample rate), within `max_upload_seconds`."""
    if not data:
        raise ServeError(400, f"{param} is empty", code="invalid_audio", param=param)
    suffix = Path(filename or "").suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix if suffix in SUFFIXES else "") as handle:
        handle.write(data)
        handle.flush()
        path = Path(handle.name)
        declared = declared_duration(path)
        if declared is not None and declared > limits.max_upload_seconds:
            raise _too_long(declared, limits, param)
        try:
            audio, rate = read_audio(path, end=limits.max_upload_seconds + 1.0)
        except ClipRejected as exc:
            raise ServeError(400, f"{param} cannot be decoded as audio ({exc.reason}); send "
                             f"one of {', '.join(s[1:] for s in SUFFIXES)}",
                             code="invalid_audio", param=param) from None
    seconds = audio.shape[1] / rate
    if seconds > limits.max_upload_seconds:
        raise _too_long(seconds, limits, param)
    return to_mono(audio).astype(np.float32), rate


def _too_long(seconds: float, limits: LimitsConfig, param: str) -> ServeError:
    return ServeError(413, f"{param} holds {seconds:.0f} s of audio; this server takes at "
                      f"most {limits.max_upload_seconds:g} s (--max-upload-seconds): cut it",
                      code="audio_too_long", param=param)
