"""Decoding every format users bring, and clear reasons for files that cannot be used."""

import struct
import wave

import av
import numpy as np
import pytest

from voxtune.audio.io import read_audio, resample, write_audio
from voxtune.errors import ClipRejected


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3", ".ogg"])
def test_formats_round_trip_with_rate_and_length(tmp_path, espeak, suffix):
    samples, rate = espeak("Every format decodes to the same speech.")
    stereo = np.stack([samples, samples * 0.5])
    write_audio(tmp_path / f"a{suffix}", stereo, rate)
    audio, got_rate = read_audio(tmp_path / f"a{suffix}")
    assert got_rate == rate and audio.shape[0] == 2 and audio.dtype == np.float32
    assert abs(audio.shape[1] - samples.shape[0]) < 0.1 * rate  # codecs pad a little


def test_ffmpeg_fallback_decodes_m4a(tmp_path, espeak):
    samples, rate = espeak("Formats libsndfile cannot read go through FFmpeg.")
    path = tmp_path / "a.m4a"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples[None, :].astype(np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    audio, got_rate = read_audio(path)
    assert got_rate == rate and abs(audio.shape[1] - samples.shape[0]) < 0.1 * rate


def test_segment_read(tmp_path, espeak):
    samples, rate = espeak("Only a part of this file is read.")
    write_audio(tmp_path / "a.wav", samples, rate)
    audio, _ = read_audio(tmp_path / "a.wav", start=0.5, end=1.0)
    assert audio.shape[1] == round(0.5 * rate)


def _wav_with_rate(path, rate):
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(8000)
        handle.writeframes(struct.pack("<800h", *([1000] * 800)))
    data = bytearray(path.read_bytes())
    data[24:28] = struct.pack("<I", rate)  # the header's sample-rate field
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(b""), "empty_audio"),
    (lambda p: p.write_bytes(b"this is plainly not audio at all" * 20), "unreadable_audio"),
    (lambda p: _wav_with_rate(p, 1), "bad_sample_rate"),
    (lambda p: write_audio(p, np.zeros((12, 800), dtype=np.float32), 16000),
     "too_many_channels"),
])
def test_unusable_files_are_rejected_with_a_reason(tmp_path, make, reason):
    path = tmp_path / "bad file ü.wav"
    make(path)
    with pytest.raises(ClipRejected) as info:
        read_audio(path, max_channels=8)
    assert info.value.reason == reason and "bad file ü.wav" in str(info.value)


def test_resample_keeps_duration():
    tone = np.sin(np.arange(44100) * 2 * np.pi * 440 / 44100).astype(np.float32)
    assert resample(tone, 44100, 16000).shape == (16000,)
