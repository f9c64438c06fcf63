"""`voxtune clone` end to end on tiny models: one voice's labelled clips to a merged voice,
the best checkpoint chosen by the rule on the recorded measurements, killed mid-training
and continued by running the same command again."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import soundfile as sf

from voxtune.cli import main
from voxtune.demo.speech import sentences
from voxtune.tts.quality import choose_best, read_quality

VOICE = "carl"


@pytest.fixture(scope="module")
def tiny_base(tts_corpus, tmp_path_factory):
    """A tiny VoxTTS base trained for a few steps on two other voices, and its codec."""
    out = tmp_path_factory.mktemp("base") / "run"
    assert main(["-q", "train", "tts", "tts-tiny", str(tts_corpus / "packed"), str(out),
                 "trainer.max_steps=4", "trainer.device=cpu"]) == 0
    return out / "step_000000004", tts_corpus / "codec"


def _recordings(espeak, folder, count):
    """`count` labelled clips of a voice the base never heard."""
    (folder / VOICE).mkdir(parents=True)
    for number, text in enumerate(sentences("en")[:count]):
        samples, rate = espeak(text, voice="en-us+m3")
        sf.write(folder / VOICE / f"c{number:03d}.wav", samples, rate)
        (folder / VOICE / f"c{number:03d}.lab").write_text(text + "\n")
    return folder


def _command(recordings, others, out, base, codec):
    return ["clone", str(recordings), str(out), "--quick", "--base", str(base),
            "--codec", str(codec), "--others", str(others),
            "--num-workers", "0", "--minutes-budget", "10"]


def test_clone_killed_mid_training_continues_and_keeps_the_best_by_the_rule(
        espeak, tiny_base, tts_corpus, tmp_path):
    recordings = _recordings(espeak, tmp_path / "mine", 26)
    out = tmp_path / "clone"
    argv = _command(recordings, tts_corpus / "data", out, *tiny_base)
    process = subprocess.Popen([sys.executable, "-m", "voxtune", "-q", *argv],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 600
    while not (out / "finetune" / "step_000000002").is_dir() and process.poll() is None:
        assert time.monotonic() < deadline, "clone never saved a checkpoint"
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)  # as a user's kill would: nothing cleaned up
    process.wait()
    assert not (out / "voice").exists()

    assert main(argv) == 0
    rows = read_quality(out / "finetune")
    assert [row.step for row in rows] == [2, 4]
    best = json.loads((out / "finetune" / "best.json").read_text())
    assert best["step"] == choose_best(rows, cer_slack=0.02).step
    assert (out / "voice" / "codec").is_dir()  # the voice's own decoder went with it
    held = sorted((out / "heldout" / VOICE).glob("*.wav"))
    trained = {p.name for p in (out / "dataset" / VOICE).glob("*.wav")}
    assert held and not {p.name for p in held} & trained
    manifest = (out / "dataset" / "manifest.jsonl").read_text()
    assert not any(p.name in manifest for p in held)
    page = (out / "index.html").read_text()
    assert f"step {best['step']}: the {best['rule']}" in page
    assert "base, zero-shot" in page and page.count("<audio") >= 2 * 3

    # a third run has nothing left to do and says the same
    assert main(argv) == 0
    assert [row.step for row in read_quality(out / "finetune")] == [2, 4]


def test_too_little_speech_is_refused_before_any_training(espeak, tiny_base, tts_corpus, tmp_path,
                                                          capsys):
    recordings = _recordings(espeak, tmp_path / "mine", 4)
    out = tmp_path / "clone"
    assert main(_command(recordings, tts_corpus / "data", out, *tiny_base)) == 2
    err = capsys.readouterr().err
    assert "under the 1 min a voice needs" in err and "report.txt" in err
    assert not (out / "decoder").exists() and not (out / "finetune").exists()


def test_recordings_in_another_language_are_refused_before_any_training(
        espeak, tiny_base, tts_corpus, tmp_path, capsys):
    folder = tmp_path / "mine" / VOICE
    folder.mkdir(parents=True)
    for number, text in enumerate(sentences("es")[:24]):
        samples, rate = espeak(text, voice="es")
        sf.write(folder / f"c{number:03d}.wav", samples, rate)
        (folder / f"c{number:03d}.lab").write_text(text + "\n")
    out = tmp_path / "clone"
    assert main(_command(tmp_path / "mine", tts_corpus / "data", out, *tiny_base)) == 2
    err = capsys.readouterr().err
    assert "the recognizer hears es" in err and "not en" in err and "--language" in err
    assert not (out / "decoder").exists() and not (out / "heldout").exists()
