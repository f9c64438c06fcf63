"""Audio as the bytes of a response format, chunk by chunk as it is decoded.

An encoder takes float32 mono chunks and returns the bytes that are ready to send; the
bytes of all calls, `finish` last, are one valid file or stream:

- `wav`: streamed, a RIFF header whose sizes are 0xFFFFFFFF ("unknown length", what
  OpenAI sends and libsndfile, FFmpeg and Python's `wave` read to the end) and 16-bit PCM;
  a whole file (`streaming=False`) gets exact sizes from soundfile.
- `pcm`: 16-bit little-endian mono without a header, at `pcm_rate` when given (OpenAI's
  clients assume 24 kHz), resampled as it streams.
- `mp3`, `opus` (in Ogg, at 48 kHz, as Opus requires), `aac` (ADTS): FFmpeg's encoders
  through PyAV, writing into a sink that cannot seek, so no byte once sent is rewritten.
- `flac`: a whole file from soundfile (its header holds the length and libsndfile will not
  read a FLAC stream of unknown length), sent at the end.
"""

import io
import struct
from typing import Protocol

import av
import numpy as np
import soundfile as sf
import soxr

FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
MEDIA_TYPES = {"mp3": "audio/mpeg", "opus": "audio/ogg", "aac": "audio/aac",
               "flac": "audio/flac", "wav": "audio/wav", "pcm": "audio/pcm"}
UNKNOWN_SIZE = 0xFFFFFFFF
# (container, encoder, sample rate or None for the audio's own, muxer options)
_AV_FORMATS = {
    "mp3": ("mp3", "libmp3lame", None, {}),
    "opus": ("ogg", "libopus", 48000, {"page_duration": "20000"}),  # a page per 20 ms packet
    "aac": ("adts", "aac", None, {}),
}


class Encoder(Protocol):
    media_type: str

    def encode(self, samples: np.ndarray) -> bytes:
        """Float32 mono samples in [-1, 1] → the bytes ready to send (maybe none yet)."""
        ...

    def finish(self) -> bytes:
        """The remaining bytes; the encoder is done."""
        ...


def make_encoder(fmt: str, rate: int, streaming: bool = True,
                 pcm_rate: int | None = None) -> Encoder:
    """An encoder of `fmt` (one of `FORMATS`) for audio at `rate` Hz."""
    if fmt == "wav" and streaming:
        return WavStream(rate)
    if fmt in ("wav", "flac"):
        return WholeFile(fmt, rate)
    if fmt == "pcm":
        return PcmStream(rate, pcm_rate or rate)
    if fmt in _AV_FORMATS:
        return AVStream(fmt, rate)
    raise ValueError(f"unknown audio format {fmt!r}; one of {', '.join(FORMATS)}")


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767).round().astype("<i2").tobytes()


class WavStream:
    """A WAV header for unknown length, then 16-bit PCM."""

    media_type = MEDIA_TYPES["wav"]

    def __init__(self, rate: int):
        self.rate, self.started = rate, False

    def encode(self, samples: np.ndarray) -> bytes:
        header = b"" if self.started else wav_header(self.rate)
        self.started = True
        return header + pcm16(samples)

    def finish(self) -> bytes:
        return b"" if self.started else wav_header(self.rate)


def wav_header(rate: int, channels: int = 1, bits: int = 16) -> bytes:
    """The 44-byte RIFF/WAVE header of 16-bit PCM, its sizes set to 'unknown'."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    return (b"RIFF" + struct.pack("<I", UNKNOWN_SIZE) + b"WAVE" + b"fmt "
            + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", UNKNOWN_SIZE))


class PcmStream:
    """16-bit PCM, resampled from `rate` to `out_rate` as it streams."""

    media_type = MEDIA_TYPES["pcm"]

    def __init__(self, rate: int, out_rate: int):
        self.resampler = (soxr.ResampleStream(rate, out_rate, 1, dtype="float32")
                          if out_rate != rate else None)

    def encode(self, samples: np.ndarray) -> bytes:
        if self.resampler is not None:
            samples = self.resampler.resample_chunk(samples.astype(np.float32))
        return pcm16(samples)

    def finish(self) -> bytes:
        if self.resampler is None:
            return b""
        return pcm16(self.resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))


class WholeFile:
    """The whole audio in one file written by soundfile at the end (exact header)."""

    def __init__(self, fmt: str, rate: int):
        self.fmt, self.rate, self.chunks = fmt, rate, []
        self.media_type = MEDIA_TYPES[fmt]

    def encode(self, samples: np.ndarray) -> bytes:
        self.chunks.append(samples.astype(np.float32))
        return b""

    def finish(self) -> bytes:
        audio = np.concatenate(self.chunks) if self.chunks else np.zeros(0, dtype=np.float32)
        out = io.BytesIO()
        sf.write(out, np.clip(audio, -1.0, 1.0), self.rate, format=self.fmt.upper(),
                 subtype="PCM_16")
        return out.getvalue()


class _Sink:
    """Where the muxer writes; it has no `seek`, so FFmpeg never goes back over sent bytes."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


class AVStream:
    """mp3, opus or aac through FFmpeg (PyAV), muxed as it is encoded."""

    def __init__(self, fmt: str, rate: int):
        container, codec, out_rate, options = _AV_FORMATS[fmt]
        self.media_type, self.rate = MEDIA_TYPES[fmt], rate
        self.sink = _Sink()
        self.container = av.open(self.sink, mode="w", format=container, options=options)
        # PyAV converts each frame to the encoder's sample format and rate, and cuts it to
        # the frame size the encoder needs.
        self.stream = self.container.add_stream(codec, rate=out_rate or rate, layout="mono")

    def encode(self, samples: np.ndarray) -> bytes:
        frame = av.AudioFrame.from_ndarray(samples.astype(np.float32)[None], format="flt",
                                           layout="mono")
        frame.sample_rate = self.rate
        self._mux(frame)
        return self.sink.take()

    def finish(self) -> bytes:
        self._mux(None)
        self.container.close()
        return self.sink.take()

    def _mux(self, frame: av.AudioFrame | None) -> None:
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
