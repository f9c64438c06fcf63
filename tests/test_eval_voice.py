"""Speaker similarity separates espeak-ng voices; DNSMOS separates clean from noisy speech."""

import numpy as np
import pytest

from tests.conftest import SENTENCES
from voxtune.errors import InputError
from voxtune.eval.mos import dnsmos
from voxtune.eval.similarity import centroid, cosine, load_embedder, similarity_margin


@pytest.fixture(scope="module")
def voices(espeak):
    """Four sentences each from two clearly different espeak-ng voices."""
    return {voice: [espeak(text, voice=voice) for text in SENTENCES[:4]]
            for voice in ("en-us+m3", "en-us+f4")}


def test_same_voice_pairs_score_higher_than_different_voice_pairs(voices):
    embedder = load_embedder()
    vectors = {v: [embedder.embed(a, r) for a, r in clips] for v, clips in voices.items()}
    male, female = vectors["en-us+m3"], vectors["en-us+f4"]
    same = [cosine(a, b) for group in (male, female)
            for i, a in enumerate(group) for b in group[i + 1:]]
    different = [cosine(a, b) for a in male for b in female]
    assert min(same) > max(different)
    assert np.mean(same) - np.mean(different) > 0.1
    margin = similarity_margin(male[0], centroid(male[1:]), {"other": centroid(female)})
    assert margin > 0.05


def test_dnsmos_prefers_clean_speech_to_the_same_speech_with_noise(voices):
    audio, rate = voices["en-us+m3"][0]
    noise = np.random.default_rng(0).normal(0, 0.05, audio.shape).astype(np.float32)
    clean, noisy = dnsmos(audio, rate), dnsmos(audio + noise, rate)
    assert clean.ovrl > noisy.ovrl + 0.3 and clean.bak > noisy.bak
    assert 1.0 <= noisy.ovrl <= clean.ovrl <= 5.0


def test_silence_gets_a_clear_message(voices):
    with pytest.raises(InputError, match="silent"):
        dnsmos(np.zeros(16000, dtype=np.float32), 16000)
    with pytest.raises(InputError, match="too little speech"):
        load_embedder().embed(np.zeros(16000, dtype=np.float32), 16000)
    with pytest.raises(InputError, match="neither"):
        load_embedder("nonsense")
