"""Loudness normalisation, SNR / clipping / silence measures and the quality gate."""

import numpy as np
import pyloudnorm
import pytest

from voxtune.audio.loudness import LoudnessConfig, normalize_loudness
from voxtune.audio.quality import measure
from voxtune.data.gate import GateConfig, check_signal, check_text
from voxtune.errors import ClipRejected


@pytest.mark.parametrize("gain_db", [-30.0, -12.0, 0.0])
def test_loudness_reaches_target_within_half_lu(espeak, gain_db):
    samples, rate = espeak("Loudness normalisation brings every clip to the same level.")
    scaled = samples * 10 ** (gain_db / 20) * 0.5
    out, reported = normalize_loudness(scaled, rate, LoudnessConfig(target_lufs=-23.0))
    measured = pyloudnorm.Meter(rate).integrated_loudness(out.astype(np.float64))
    assert abs(measured - (-23.0)) < 0.5
    assert reported == pytest.approx(measured, abs=0.05)


def test_peak_ceiling_wins_over_loudness_target(espeak):
    samples, rate = espeak("A very loud target cannot push peaks past the ceiling.")
    out, loudness = normalize_loudness(samples, rate, LoudnessConfig(target_lufs=-5, peak_dbfs=-3))
    assert np.max(np.abs(out)) <= 10 ** (-3 / 20) + 1e-6
    assert loudness < -5


def test_snr_estimate_orders_noise_levels(espeak):
    samples, rate = espeak("Noise estimation needs a little pause around the words.")
    samples = np.concatenate([np.zeros(rate // 2), samples, np.zeros(rate // 2)])
    power = np.mean(samples[np.abs(samples) > 0.01] ** 2)
    rng = np.random.default_rng(0)
    snrs = {}
    for target in (10, 35):
        noise = rng.normal(0, np.sqrt(power / 10 ** (target / 10)), samples.shape)
        snrs[target] = measure((samples + noise).astype(np.float32), rate).snr_db
    assert snrs[10] < 20 <= snrs[35]
    assert abs(snrs[10] - 10) < 6


def test_clipping_and_silence_are_measured(espeak):
    samples, rate = espeak("Clipped audio has flat tops.")
    assert measure(samples, rate).clipping_ratio < 1e-4
    clipped = np.clip(samples * 10, -0.5, 0.5)  # clipped, then turned down: still caught
    assert measure(clipped, rate).clipping_ratio > 0.01
    padded = np.concatenate([np.zeros(rate * 5), samples])
    assert measure(padded, rate).silence_ratio > 0.6


def test_gate_names_reason_and_config_key():
    stats = measure(np.random.default_rng(0).normal(0, 0.1, 48000).astype(np.float32), 16000)
    with pytest.raises(ClipRejected) as info:
        check_signal(0.5, stats, -20.0, GateConfig())
    assert info.value.reason == "too_short" and "gate.min_duration" in str(info.value)
    with pytest.raises(ClipRejected) as info:
        check_signal(3.0, stats, -20.0, GateConfig())
    assert info.value.reason == "low_snr"
    check_signal(3.0, stats, -20.0, GateConfig(min_snr_db=-100))


@pytest.mark.parametrize("text, reason", [
    ("", "empty_text"),
    ("   ", "empty_text"),
    ("bad \ufffd bytes", "implausible_text"),
    ("word " * 100, "implausible_text"),
    ("hi", "implausible_text"),
])
def test_gate_rejects_bad_text(text, reason):
    with pytest.raises(ClipRejected) as info:
        check_text(text, 5.0, GateConfig())
    assert info.value.reason == reason


def test_gate_accepts_ordinary_english_and_chinese():
    check_text("The quick brown fox jumps over the lazy dog.", 3.0, GateConfig())
    check_text("今天天气很好，我们去公园散步吧。", 3.5, GateConfig())
