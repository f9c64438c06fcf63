"""Decoding, channel mixing, resampling and writing audio.

Decoding goes through libsndfile (soundfile: WAV, FLAC, OGG/Vorbis/Opus, MP3) and falls
back to FFmpeg's decoders through PyAV for anything else (M4A, WMA, video containers).
Audio is handled as float32 arrays shaped [channels, samples] in [-1, 1].
"""

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from voxtune.errors import ClipRejected
from voxtune.files import atomic_path

MIN_SAMPLE_RATE = 4000
MAX_SAMPLE_RATE = 384000
WRITE_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".mp3": "MP3", ".ogg": "OGG"}


def read_audio(path: Path, max_channels: int = 32,
               start: float | None = None, end: float | None = None) -> tuple[np.ndarray, int]:
    """Decode `path` (optionally only `start`..`end` seconds) to ([channels, samples], rate).

    Raises `ClipRejected` with a reason code for unreadable, empty, absurd-rate or
    too-many-channel files, so a batch can record the reason and go on.
    """
    if not path.is_file():
        raise ClipRejected("missing_audio", f"{path}: audio file not found")
    if path.stat().st_size == 0:
        raise ClipRejected("empty_audio", f"{path}: file is empty (0 bytes)")
    try:
        audio, rate = _read_soundfile(path, start, end)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        audio, rate = _read_ffmpeg(path, start, end)
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise ClipRejected("bad_sample_rate", f"{path}: sample rate {rate} Hz is outside "
                           f"{MIN_SAMPLE_RATE}–{MAX_SAMPLE_RATE} Hz; the header is probably "
                           "wrong, re-encode the file")
    if audio.shape[0] > max_channels:
        raise ClipRejected("too_many_channels", f"{path}: {audio.shape[0]} channels is more than "
                           f"the {max_channels} allowed; export a mono or stereo mix "
                           "or raise audio.max_channels")
    if audio.shape[1] == 0:
        raise ClipRejected("empty_audio", f"{path}: decodes to zero samples")
    if not np.isfinite(audio).all():
        raise ClipRejected("corrupt_audio", f"{path}: contains NaN or infinite samples")
    return audio, rate


def _read_soundfile(path: Path, start: float | None, end: float | None) -> tuple[np.ndarray, int]:
    with sf.SoundFile(path) as handle:
        rate = handle.samplerate
        first = int(round((start or 0.0) * rate))
        last = handle.frames if end is None else min(handle.frames, int(round(end * rate)))
        handle.seek(min(first, handle.frames))
        data = handle.read(max(0, last - first), dtype="float32", always_2d=True)
    return np.ascontiguousarray(data.T), rate


def _read_ffmpeg(path: Path, start: float | None, end: float | None) -> tuple[np.ndarray, int]:
    import av  # FFmpeg bindings; only needed for formats libsndfile cannot read

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise ClipRejected("not_audio", f"{path}: has no audio stream")
            stream = container.streams.audio[0]
            rate = int(stream.codec_context.sample_rate or stream.rate or 0)
            # Convert every frame to planar float32 so channels come out as rows.
            planar = av.AudioResampler(format="fltp", layout=stream.codec_context.layout,
                                       rate=rate)
            frames = [out.to_ndarray() for frame in container.decode(stream)
                      for out in planar.resample(frame)]
            frames += [out.to_ndarray() for out in planar.resample(None)]
    except ClipRejected:
        raise
    except Exception as exc:  # PyAV raises many types; all mean "cannot decode"
        raise ClipRejected("unreadable_audio", f"{path}: cannot be decoded as audio "
                           f"({type(exc).__name__}: {exc})") from exc
    if not frames or not rate:
        raise ClipRejected("empty_audio", f"{path}: decodes to zero samples")
    audio = np.concatenate(frames, axis=1).astype(np.float32)
    first = int(round((start or 0.0) * rate))
    last = audio.shape[1] if end is None else int(round(end * rate))
    return np.ascontiguousarray(audio[:, first:last]), int(rate)


def audio_duration(path: Path) -> float:
    """Duration in seconds from the header when possible, else by decoding."""
    seconds = _soundfile_duration(path)
    if seconds is not None:
        return seconds
    audio, rate = read_audio(path)
    return audio.shape[1] / rate


def declared_duration(path: Path) -> float | None:
    """The duration a file's header states, without decoding any audio (None: it states
    none, or it is no container FFmpeg knows): what a server checks before it decodes."""
    seconds = _soundfile_duration(path)
    if seconds is not None:
        return seconds
    import av

    try:
        with av.open(str(path)) as container:
            return container.duration / av.time_base if container.duration else None
    except Exception:  # not a container FFmpeg knows: the decoder will say so
        return None


def _soundfile_duration(path: Path) -> float | None:
    """Frames / rate from a header libsndfile reads, or None."""
    try:
        info = sf.info(str(path))
        if info.frames > 0 and info.samplerate > 0:
            return info.frames / info.samplerate
    except (sf.LibsndfileError, RuntimeError):
        pass
    return None


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average the channels: [channels, samples] → [samples]."""
    return audio.mean(axis=0) if audio.ndim == 2 else audio


def resample(audio: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Resample along the last axis with soxr's high-quality filter (no-op at equal rates)."""
    if rate == target_rate:
        return audio
    if audio.ndim == 1:
        return soxr.resample(audio, rate, target_rate, quality="HQ").astype(np.float32)
    return soxr.resample(audio.T, rate, target_rate, quality="HQ").T.astype(np.float32)


def write_audio(path: Path, audio: np.ndarray, rate: int) -> None:
    """Write [samples] or [channels, samples] float audio atomically; the suffix picks the format.

    WAV is written as 16-bit PCM, FLAC as 16-bit, MP3 and OGG with libsndfile's encoders.
    """
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: cannot write {path.suffix!r}; "
                         f"use one of {sorted(WRITE_FORMATS)}")
    data = audio.T if audio.ndim == 2 else audio
    subtype = {"WAV": "PCM_16", "FLAC": "PCM_16", "MP3": "MPEG_LAYER_III", "OGG": "VORBIS"}[fmt]
    with atomic_path(path) as tmp:
        sf.write(tmp, np.clip(data, -1.0, 1.0), rate, format=fmt, subtype=subtype)
