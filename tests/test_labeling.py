"""Automatic labelling: the offline Whisper-base model transcribes clean English speech."""

import re

import jiwer
import numpy as np
import pytest

from tests.conftest import SENTENCES
from voxtune.errors import VoxtuneError
from voxtune.labeling import AsrConfig, load_transcriber


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def whisper():
    return load_transcriber(AsrConfig(backend="whisper", fallback=""))


def test_whisper_word_error_rate_under_ten_percent(whisper, espeak):
    truths, hypotheses = [], []
    for text in SENTENCES[:4]:
        samples, rate = espeak(text)
        truths.append(normalize(text))
        hypotheses.append(normalize(whisper.transcribe(samples, rate, "en")))
    assert jiwer.wer(truths, hypotheses) < 0.10


def test_pocketsphinx_fallback_hears_words(espeak):
    sphinx = load_transcriber(AsrConfig(backend="pocketsphinx"))
    samples, rate = espeak(SENTENCES[0], speed=140)
    assert len(sphinx.transcribe(samples, rate, "en").split()) >= 3


def test_missing_backend_falls_back():
    transcriber = load_transcriber(AsrConfig(backend="no_such_module:factory"))
    assert transcriber.name == "pocketsphinx"


def test_bad_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(VoxtuneError, match="asr.model=PATH"):
        load_transcriber(AsrConfig(model=str(tmp_path), fallback=""))


def test_custom_backend_by_module_path():
    transcriber = load_transcriber(AsrConfig(backend="tests.test_labeling:_fixed_factory"))
    assert transcriber.transcribe(np.zeros(16000, dtype=np.float32), 16000, "en") == "fixed"


class _Fixed:
    name = "fixed"

    def transcribe(self, samples, rate, language):
        return "fixed"


def _fixed_factory(config):
    return _Fixed()
