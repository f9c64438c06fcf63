"""`voxtune eval folder`: real speech scores high, shuffled texts collapse, bad clips stay."""

import json
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from tests.conftest import SENTENCES
from voxtune.cli import main
from voxtune.eval.folder import evaluate_folder

VOICE = "en-us+m3"


def _folder(root, espeak, texts, spoken):
    (root / "spk").mkdir(parents=True)
    for number, (text, said) in enumerate(zip(texts, spoken, strict=True)):
        samples, rate = espeak(said, voice=VOICE)
        sf.write(root / "spk" / f"c{number}.wav", samples, rate)
        (root / "spk" / f"c{number}.lab").write_text(text)
    return root


def test_real_speech_passes_and_shuffled_texts_collapse(espeak, tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    for number, text in enumerate(SENTENCES[3:]):
        samples, rate = espeak(text, voice=VOICE)
        sf.write(refs / f"r{number}.wav", samples, rate)
    spoken = SENTENCES[:3]
    good = _folder(tmp_path / "good", espeak, spoken, spoken)
    shuffled = _folder(tmp_path / "shuffled", espeak, spoken[1:] + spoken[:1], spoken)
    ours = evaluate_folder(good, references=refs, show_progress=False)
    wrong = evaluate_folder(shuffled, show_progress=False)
    assert ours.metrics["intelligibility"].mean > 0.85
    assert wrong.metrics["intelligibility"].mean < 0.4
    assert ours.metrics["similarity"].mean > 0.8 and ours.gates["similarity"]
    assert 1 < ours.metrics["mos_p808"].mean < 5
    assert ours.metrics["intelligibility"].low <= ours.metrics["intelligibility"].mean


def test_similarity_margin_is_positive_for_the_target_voice_and_negative_for_another(
        espeak, tmp_path):
    voices = tmp_path / "voices"
    for name, voice in (("m3", VOICE), ("f4", "en-us+f4")):
        (voices / name).mkdir(parents=True)
        for number, text in enumerate(SENTENCES[3:]):
            samples, rate = espeak(text, voice=voice)
            sf.write(voices / name / f"r{number}.wav", samples, rate)
    data = _folder(tmp_path / "data", espeak, SENTENCES[:2], SENTENCES[:2])
    right = evaluate_folder(data, references=voices / "m3", others=voices, show_progress=False)
    wrong = evaluate_folder(data, references=voices / "f4", others=voices, show_progress=False)
    assert right.closest_voice == "f4" and wrong.closest_voice == "m3"
    assert right.metrics["similarity_margin"].mean > 0.1
    assert wrong.metrics["similarity_margin"].mean < -0.1
    assert all(row.margin is not None for row in right.clips)


def test_unreadable_clip_keeps_a_row_and_the_rest_is_scored(espeak, tmp_path, capsys):
    data = _folder(tmp_path / "data", espeak, SENTENCES[:1], SENTENCES[:1])
    (data / "spk" / "broken.wav").write_bytes(b"RIFF not really audio")
    (data / "spk" / "broken.lab").write_text("nothing")
    assert main(["-q", "eval", "folder", str(data), "--out", str(tmp_path / "report")]) == 0
    printed = capsys.readouterr().out
    assert "not scored" in printed and "broken" in printed
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["clips"][0]["problem"] and report["metrics"]["intelligibility"]["count"] == 1


def _page_from_cli(espeak, tmp_path, run=None):
    data = _folder(tmp_path / "data", espeak, SENTENCES[:2], SENTENCES[:2])
    refs = tmp_path / "refs"
    refs.mkdir()
    samples, rate = espeak(SENTENCES[4], voice=VOICE)
    sf.write(refs / "r.wav", samples, rate)
    args = ["-q", "eval", "folder", str(data), "--refs", str(refs), "--out",
            str(tmp_path / "report")] + (["--run", str(run)] if run else [])
    assert main(args) == 0
    return tmp_path / "report" / "report.html"


def test_html_report_is_self_contained_with_table_players_and_plots(espeak, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "train_log.jsonl").write_text(
        "".join(json.dumps({"step": s, "train/loss": 5 / s}) + "\n" for s in range(1, 20)))
    page = _page_from_cli(espeak, tmp_path, run).read_text()
    assert "<table id='metrics'>" in page and "gate: similarity" in page
    assert page.count("<audio controls") == 2 * 2  # output and reference per clip
    assert page.count("data:image/png;base64,") == 2
    assert "<svg id='curves'" in page and "train/loss" in page
    assert "http://" not in page and "https://" not in page  # nothing fetched from outside


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_html_report_renders_in_headless_chromium(espeak, tmp_path):
    page = _page_from_cli(espeak, tmp_path)
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.shape == (1000, 1400)
    assert (pixels < 128).mean() > 0.01  # text, table lines and spectrograms were drawn
