"""Automatic labelling: the offline Whisper-base model transcribes clean English speech."""

import re
from pathlib import Path

import jiwer
import numpy as np
import pytest

from tests.conftest import SENTENCES
from voxtune.demo import voices as demo_voices
from voxtune.errors import VoxtuneError
from voxtune.labeling import AsrConfig, Transcript, load_transcriber

DEMO_SENTENCES = Path(demo_voices.__file__).with_name("sentences_en.txt")


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def whisper():
    return load_transcriber(AsrConfig(backend="whisper", fallback=""))


def test_whisper_word_error_rate_under_ten_percent(whisper, espeak):
    # Clean clips of a clear espeak-ng voice; some variants (en-us+f1) are much harder
    # for Whisper-base, so the demo corpus keeps to the clear ones.
    sentences = [line for line in DEMO_SENTENCES.read_text("utf-8").splitlines() if line][:40:5]
    truths, hypotheses = [], []
    for text in sentences:
        samples, rate = espeak(text, voice="en-us+m3", speed=150)
        truths.append(normalize(text))
        hypotheses.append(normalize(whisper.transcribe(samples, rate, "en").text))
    assert jiwer.wer(truths, hypotheses) < 0.10


def test_pocketsphinx_fallback_hears_words(espeak):
    sphinx = load_transcriber(AsrConfig(backend="pocketsphinx"))
    samples, rate = espeak(SENTENCES[0], speed=140)
    assert len(sphinx.transcribe(samples, rate, "en").text.split()) >= 3


def test_missing_backend_falls_back():
    transcriber = load_transcriber(AsrConfig(backend="no_such_module:factory"))
    assert transcriber.name == "pocketsphinx"


def test_bad_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(VoxtuneError, match="asr.model=PATH"):
        load_transcriber(AsrConfig(model=str(tmp_path), fallback=""))


def test_custom_backend_by_module_path():
    transcriber = load_transcriber(AsrConfig(backend="tests.test_labeling:_fixed_factory"))
    heard = transcriber.transcribe(np.zeros(16000, dtype=np.float32), 16000, "en")
    assert heard == Transcript("fixed", "en")


class _Fixed:
    name = "fixed"

    def transcribe(self, samples, rate, language):
        return Transcript("fixed", language)


def _fixed_factory(config):
    return _Fixed()


def test_auto_language_is_detected(whisper, espeak):
    samples, rate = espeak(SENTENCES[3], voice="en-us+m3", speed=150)
    assert whisper.transcribe(samples, rate, "auto").language == "en"
