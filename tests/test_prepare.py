"""`voxtune prepare` end to end on real speech: slicing, labels, loudness, resume, bad input."""

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import jiwer
import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from tests.conftest import SENTENCES, tree_hashes
from voxtune.config import load_config
from voxtune.data.manifest import read_manifest
from voxtune.data.prepare import prepare
from voxtune.data.prepare_config import PrepareConfig


def _normalize(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]", " ", text.lower()).split())


@pytest.fixture(scope="module")
def prepared_long(long_recording, tmp_path_factory):
    path, truth = long_recording
    src = path.parent.parent
    before = tree_hashes(src)
    out = tmp_path_factory.mktemp("prepared")
    config = load_config(PrepareConfig, None, ["slicer.min_length=2000"])
    result = prepare(src, out, config, show_progress=False)
    return result, truth, src, before


def test_clips_hold_whole_sentences(prepared_long):
    result, truth, _, _ = prepared_long
    assert len(result.clips) >= 3 and not result.rejects
    covered = 0
    for clip in result.clips:
        assert clip.speaker == "speaker one" and clip.text_source.startswith("asr:whisper")
        for start, end, _ in truth:
            inside = clip.source_start <= start + 0.02 and end - 0.02 <= clip.source_end
            outside = end <= clip.source_start + 0.02 or clip.source_end <= start + 0.02
            assert inside or outside
            covered += inside
    assert covered == len(truth)


def test_auto_labels_match_the_true_text(prepared_long):
    result, truth, _, _ = prepared_long
    said = " ".join(_normalize(c.text) for c in sorted(result.clips, key=lambda c: c.source_start))
    assert jiwer.wer(" ".join(_normalize(t) for *_, t in truth), said) < 0.15


def test_clips_are_normalised_and_match_the_manifest(prepared_long):
    result, _, _, _ = prepared_long
    for clip in read_manifest(result.out / "manifest.jsonl"):
        samples, rate = sf.read(result.out / clip.audio)
        assert rate == 24000 == clip.sample_rate and samples.ndim == 1
        assert clip.duration == pytest.approx(len(samples) / rate, abs=1e-3)
        loudness = pyloudnorm.Meter(rate).integrated_loudness(samples)
        assert abs(loudness - (-23.0)) < 0.5
        assert (result.out / clip.audio).with_suffix(".lab").read_text("utf-8") == clip.text


def test_source_is_untouched_and_report_written(prepared_long):
    result, _, src, before = prepared_long
    assert tree_hashes(src) == before
    report = (result.out / "report.txt").read_text()
    assert "speaker one" in report and "total" in report


def test_rerun_skips_finished_work(prepared_long):
    result, _, src, _ = prepared_long
    clip_file = result.out / result.clips[0].audio
    stamp = clip_file.stat().st_mtime_ns
    config = load_config(PrepareConfig, None, ["slicer.min_length=2000"])
    started = time.perf_counter()
    again = prepare(src, result.out, config, show_progress=False)
    assert time.perf_counter() - started < 2.0
    assert clip_file.stat().st_mtime_ns == stamp
    assert [c.id for c in again.clips] == [c.id for c in result.clips]


def _labelled_dataset(root: Path, espeak) -> Path:
    src = root / "src"
    for speaker, voice in (("anna", "en-us+f2"), ("Björn Ek", "en-gb+m3")):
        folder = src / speaker
        folder.mkdir(parents=True)
        for index, text in enumerate(SENTENCES[:3]):
            samples, rate = espeak(text, voice=voice)
            name = f"clip {index} ü" if index == 2 else f"{index:02d}"
            sf.write(folder / f"{name}.wav", samples, rate)
            (folder / f"{name}.lab").write_text(text, encoding="utf-8")
    return src


def _make_messy(src: Path, espeak) -> dict[str, str]:
    """Bad files beside the good ones, and the reason code each must be rejected with."""
    folder = src / "anna"
    samples, rate = espeak(SENTENCES[4])
    (folder / "empty.wav").write_bytes(b"")
    (folder / "empty.lab").write_text("nothing here")
    (folder / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(7, 250)) * 2)
    (folder / "corrupt.lab").write_text("corrupt audio")
    sf.write(folder / "nolabel.wav", samples, rate)
    (folder / "orphan.lab").write_text("a label without audio")
    sf.write(folder / "latin1.wav", samples, rate)
    (folder / "latin1.lab").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    sf.write(folder / "binary.wav", samples, rate)
    (folder / "binary.lab").write_bytes(b"\x00\x01\x02\x89PNG\x00\x00" * 8)
    sf.write(folder / "clipped.wav", np.clip(samples * 30, -1, 1), rate)
    (folder / "clipped.lab").write_text(SENTENCES[4])
    sf.write(folder / "silent.wav", np.zeros(rate * 3, dtype=np.float32), rate)
    (folder / "silent.lab").write_text("silence")
    sf.write(folder / "many.wav", np.tile(samples[None, :], (40, 1)).T, rate)
    (folder / "many.lab").write_text(SENTENCES[4])
    sf.write(folder / "wrong.wav", samples[: 2 * rate], rate)
    (folder / "wrong.lab").write_text(" ".join([SENTENCES[5]] * 3))
    return {"empty": "empty_audio", "corrupt": "unreadable_audio", "nolabel": "no_label",
            "orphan": "label_without_audio", "latin1": "label_not_utf8",
            "binary": "label_binary", "clipped": "clipped", "silent": "too_quiet",
            "many": "too_many_channels", "wrong": "implausible_text"}


def test_messy_input_gives_clean_dataset_and_honest_rejects(tmp_path, espeak):
    src = _labelled_dataset(tmp_path, espeak)
    expected = _make_messy(src, espeak)
    before = tree_hashes(src)
    result = prepare(src, tmp_path / "out", num_workers=2, show_progress=False)
    assert tree_hashes(src) == before
    assert sorted(c.id for c in result.clips) == sorted(
        ["anna/00", "anna/01", "anna/clip 2 ü", "Björn Ek/00", "Björn Ek/01", "Björn Ek/clip 2 ü"])
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").open()]
    by_stem = {Path(r.get("id") or r["source"]).stem: r["reason"] for r in rejects}
    for stem, reason in expected.items():
        assert by_stem.get(stem) == reason, (stem, by_stem.get(stem), rejects)
    assert all(r["message"] for r in rejects)


def test_output_inside_source_is_refused(tmp_path, espeak):
    src = _labelled_dataset(tmp_path, espeak)
    with pytest.raises(Exception, match="inside the source"):
        prepare(src, src / "out", show_progress=False)


def test_killed_run_leaves_no_partial_clip_and_resumes(tmp_path, long_recording):
    path, _ = long_recording
    src = tmp_path / "src"
    for index in range(6):
        target = src / f"spk{index}" / path.name
        target.parent.mkdir(parents=True)
        shutil.copy(path, target)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "voxtune", "-q", "prepare", str(src), str(out),
               "asr.backend=none", "gate.require_text=false"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list(out.rglob("*.wav")):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (out / "manifest.jsonl").exists()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    assert not [p for p in out.rglob("*") if ".part" in p.name]
    clips = read_manifest(out / "manifest.jsonl")
    assert {c.speaker for c in clips} == {f"spk{i}" for i in range(6)}
    for clip in clips:
        assert sf.info(str(out / clip.audio)).frames > 0


def test_label_missing_transcribes_instead_of_setting_aside(tmp_path, espeak):
    src = _labelled_dataset(tmp_path, espeak)
    samples, rate = espeak(SENTENCES[3], voice="en-us+m3", speed=150)
    sf.write(src / "anna" / "nolabel.wav", samples, rate)
    config = load_config(PrepareConfig, None, ["asr.label_missing=true"])
    result = prepare(src, tmp_path / "out", config, show_progress=False)
    clip = next(c for c in result.clips if c.id == "anna/nolabel")
    assert clip.text_source.startswith("asr:whisper")
    assert jiwer.wer(_normalize(SENTENCES[3]), _normalize(clip.text)) < 0.2
