"""The optional cleaning steps: silero-vad trimming and spectral-gating noise reduction."""

import numpy as np

from voxtune.audio.denoise import DenoiseConfig, reduce_noise
from voxtune.audio.quality import measure
from voxtune.audio.vad import VadConfig, speech_span


def test_vad_finds_the_speech_inside_silence(espeak):
    samples, rate = espeak("Voice activity detection trims the silence around speech.")
    voiced = np.flatnonzero(np.abs(samples) > 1e-3)
    padded = np.concatenate([np.zeros(rate * 2), samples, np.zeros(rate * 2)]).astype(np.float32)
    start, end = speech_span(padded, rate, VadConfig(pad_ms=50))
    assert abs(start - (2 * rate + voiced[0])) < 0.25 * rate
    assert abs(end - (2 * rate + voiced[-1])) < 0.25 * rate


def test_vad_finds_no_speech_in_noise():
    noise = np.random.default_rng(0).normal(0, 0.01, 48000).astype(np.float32)
    assert speech_span(noise, 16000, VadConfig()) is None


def test_noise_reduction_raises_estimated_snr(espeak):
    samples, rate = espeak("Steady hiss is removed by spectral gating.")
    samples = np.concatenate([np.zeros(rate // 2), samples, np.zeros(rate // 2)])
    noisy = (samples + np.random.default_rng(1).normal(0, 0.01, samples.shape)).astype(np.float32)
    cleaned = reduce_noise(noisy, rate, DenoiseConfig(enabled=True))
    assert cleaned.shape == noisy.shape
    assert measure(cleaned, rate).snr_db > measure(noisy, rate).snr_db + 6
