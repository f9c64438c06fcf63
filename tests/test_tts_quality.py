"""Per-checkpoint quality during `train tts`: each evaluated checkpoint speaks held-out
sentences and is scored; the best one follows the stated rule; patience stops the run."""

import json
import os

import pytest

from tests.conftest import SENTENCES
from voxtune.config import load_config
from voxtune.eval.folder import FolderReport, Metric
from voxtune.train.checkpoints import list_checkpoints, read_best
from voxtune.tts import quality
from voxtune.tts.config import TTSTrainConfig
from voxtune.tts.quality import Quality, choose_best, read_quality, stop_reason
from voxtune.tts.train import train_tts


def _config(tts_corpus, tmp_path, *overrides):
    sentences = tmp_path / "held_out.txt"
    sentences.write_text("\n".join(SENTENCES[-2:]) + "\n")
    data = tts_corpus / "data"
    return load_config(TTSTrainConfig, "tts-tiny", [
        "trainer.device=cpu", "trainer.save_every=2", "trainer.keep_last=1",
        "eval.every=2", f"eval.sentences={sentences}", f"eval.refs={data / 'anna'}",
        f"eval.codec={tts_corpus / 'codec'}",
        f"eval.others={data}", "eval.speaker=anna", "eval.max_frames=40", *overrides])


def test_the_rule_takes_the_highest_margin_among_checkpoints_near_the_lowest_cer():
    rows = [Quality(step=100, cer=0.30, margin=0.20), Quality(step=200, cer=0.05, margin=0.01),
            Quality(step=300, cer=0.06, margin=0.08), Quality(step=400, cer=0.09, margin=0.30)]
    assert choose_best(rows, cer_slack=0.02).step == 300  # 400's margin is too costly in CER
    assert choose_best(rows, cer_slack=0.05).step == 400
    assert choose_best(rows, cer_slack=0.0).step == 200
    # no margin measured: similarity decides; equal scores: the earlier checkpoint
    plain = [Quality(step=5, cer=0.1, similarity=0.7), Quality(step=9, cer=0.1, similarity=0.7)]
    assert choose_best(plain, cer_slack=0.02).step == 5


def test_each_checkpoint_is_scored_and_the_best_is_named_linked_and_kept(tts_corpus, tmp_path):
    out = tmp_path / "run"
    train_tts(tts_corpus / "packed", out, _config(tts_corpus, tmp_path, "trainer.max_steps=6"),
              show_progress=False)
    rows = read_quality(out)
    assert [row.step for row in rows] == [2, 4, 6]
    for row in rows:
        # a tiny model a few steps old babbles: its CER is real, its similarity may be
        # unmeasurable (too little speech to embed), and the report says why per clip
        assert row.cer >= 0.0 and row.dnsmos is not None
        folder = out / "quality" / f"step_{row.step:09d}"
        assert len(sorted((folder / "speech" / "anna").glob("*.wav"))) == 2
        clips = json.loads((folder / "report.json").read_text())["clips"]
        assert len(clips) == 2
        assert all(c["similarity"] is not None or c["problem"] for c in clips)
    best = read_best(out)
    assert best["step"] == choose_best(rows, cer_slack=0.02).step
    assert "within 0.02 of the lowest" in best["rule"]
    assert os.readlink(out / "best") == best["checkpoint"]
    assert (out / "best" / "trainer_state.pt").is_file()
    kept = {step for step, _ in list_checkpoints(out)}
    assert kept == {best["step"], 6}


def test_patience_stops_the_run_and_a_rerun_trains_no_further(tts_corpus, tmp_path,
                                                              monkeypatch):
    # the measurements are made up here (the test above makes real ones): the first
    # checkpoint is the best and every later one is worse, so patience 2 stops at step 6
    def scored(checkpoint, sentences, out, voice, **kwargs):
        step = int(checkpoint.name.removeprefix("step_"))
        metric = {"intelligibility": 1.0 - 0.1 * step, "similarity": 0.8,
                  "similarity_margin": 0.1 - 0.01 * step, "mos_ovrl": 3.0}
        return FolderReport(unit="char", gates={}, metrics={
            name: Metric(mean=value, low=value, high=value, count=2)
            for name, value in metric.items()})

    monkeypatch.setattr(quality, "evaluate_tts", scored)
    monkeypatch.setattr(quality, "write_report", lambda report, out: out)
    out = tmp_path / "run"
    config = _config(tts_corpus, tmp_path, "trainer.max_steps=20", "eval.patience=2")
    train_tts(tts_corpus / "packed", out, config, show_progress=False)
    assert [row.step for row in read_quality(out)] == [2, 4, 6]
    assert max(step for step, _ in list_checkpoints(out)) == 6
    reason = stop_reason(out)
    assert "step 2 is the best" in reason and "steps 4, 6" in reason
    assert json.loads((out / "best.json").read_text())["step"] == 2
    train_tts(tts_corpus / "packed", out, config, show_progress=False)
    assert max(step for step, _ in list_checkpoints(out)) == 6


def test_evaluation_needs_its_sentences_and_references(tts_corpus, tmp_path):
    with pytest.raises(Exception, match="eval.sentences"):
        train_tts(tts_corpus / "packed", tmp_path / "run",
                  load_config(TTSTrainConfig, "tts-tiny", ["eval.every=2",
                                                           "eval.speaker=anna"]),
                  show_progress=False)
