"""The recognizer from the command line and as the ASR backend of prepare and eval."""

import json

import pytest

from tests.conftest import SENTENCES
from voxtune.asr.checkpoint import load_asr
from voxtune.cli import main
from voxtune.data.convert import convert
from voxtune.data.manifest import read_manifest
from voxtune.labeling.backends import AsrConfig


def test_cli_trains_and_fine_tunes_from_a_checkpoint(asr_corpus, asr_model, tmp_path, capsys):
    data = str(asr_corpus / "chatml" / "dataset.jsonl")
    assert main(["-q", "train", "asr", "asr-tiny", data, str(tmp_path / "new"),
                 "trainer.max_steps=2"]) == 0
    assert "model: " in capsys.readouterr().out
    assert main(["-q", "train", "asr", "asr-finetune", str(asr_corpus / "clips"),
                 str(tmp_path / "tuned"), f"init_param={asr_model.checkpoint}",
                 "trainer.max_steps=2", "trainer.device=cpu"]) == 0
    tuned = load_asr(tmp_path / "tuned" / "step_000000002")
    start = load_asr(asr_model.checkpoint)
    assert tuned.meta.prompt == start.meta.prompt == "语音转写："
    assert tuned.meta.llm_conf.freeze and not tuned.meta.audio_encoder_conf.freeze
    tuned_llm, start_llm = tuned.model.llm.state_dict(), start.model.llm.state_dict()
    assert all((tuned_llm[k] == start_llm[k]).all() for k in start_llm)
    assert main(["train", "asr", "asr-tiny", data, "--print-config",
                 "llm_conf.freeze=true"]) == 0
    assert "freeze: true" in capsys.readouterr().out


def test_transcribe_a_wav_scp_like_fun_asr_decode(asr_corpus, asr_model, tmp_path, capsys):
    kaldi = convert(asr_corpus / "clips", tmp_path / "kaldi", to="kaldi").output
    hyp = tmp_path / "out" / "text"
    assert main(["-q", "transcribe", "--model-dir", str(asr_model.checkpoint),
                 "--scp-file", str(kaldi / "wav.scp"), "--output-file", str(hyp),
                 "--ref", str(kaldi / "text"), "--beam-size", "2", "--batch-size", "4"]) == 0
    printed = capsys.readouterr().out
    lines = hyp.read_text(encoding="utf-8").splitlines()
    assert [line.split()[0] for line in lines] == sorted(f"spk/s{i}" for i in range(6))
    assert "The quick brown fox" in lines[0]
    normalized = hyp.with_name("text.norm").read_text(encoding="utf-8").splitlines()[0]
    assert normalized == "spk/s0 the quick brown fox jumps over the lazy dog near the river bank"
    wer = next(line for line in printed.splitlines() if line.startswith("%WER"))
    assert float(wer.split()[1]) < 15
    assert "real-time factor" in printed


def test_transcribe_files_and_folders_to_stdout(asr_corpus, asr_model, capsys):
    clips = asr_corpus / "clips"
    assert main(["-q", "transcribe", str(clips / "spk" / "s1.wav"), str(clips),
                 "--model-dir", str(asr_model.checkpoint), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("s1 Please call Stella")
    assert "spk/s5 The children laughed" in out
    assert main(["transcribe", str(clips / "spk" / "s1.lab"),
                 "--model-dir", str(asr_model.checkpoint)]) == 2
    assert "not an audio file" in capsys.readouterr().err


def test_eval_asr_scores_a_chatml_set_and_writes_the_report(asr_corpus, asr_model, tmp_path,
                                                            capsys):
    out = tmp_path / "report"
    assert main(["-q", "eval", "asr", str(asr_corpus / "chatml" / "dataset.jsonl"),
                 "--model", str(asr_model.checkpoint), "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("%WER ")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["unit"] == "word" and report["rate"] < 0.15
    assert len(report["utterances"]) == 6
    rates = [row["error_rate"] for row in report["utterances"]]
    assert rates == sorted(rates, reverse=True)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "%WER" in page and "data:audio/wav;base64" in page


def test_prepare_labels_unlabelled_clips_with_the_trained_model(asr_corpus, asr_model,
                                                                tmp_path):
    from voxtune.audio.slicer import SlicerConfig
    from voxtune.data.prepare import prepare
    from voxtune.data.prepare_config import PrepareConfig

    src = tmp_path / "src" / "spk"
    src.mkdir(parents=True)
    for number in range(3):
        (src / f"s{number}.wav").write_bytes(
            (asr_corpus / "clips" / "spk" / f"s{number}.wav").read_bytes())
    (src / "s1.lab").write_text(SENTENCES[1])
    (src / "s2.lab").write_text(SENTENCES[2])
    # the clip as trained: a six-sentence model knows its clips, not trimmed variants of them
    config = PrepareConfig(asr=AsrConfig(backend="voxtune", model=str(asr_model.checkpoint),
                                         label_missing=True, fallback=""),
                           slicer=SlicerConfig(enabled=False))
    result = prepare(src.parent, tmp_path / "prepared", config, show_progress=False)
    clips = {clip.id: clip for clip in read_manifest(result.out / "manifest.jsonl")}
    labelled = clips["spk/s0"]
    assert labelled.text_source == f"asr:voxtune:{asr_model.checkpoint.name}"
    assert labelled.text.startswith("The quick brown fox")


def test_intelligibility_can_be_scored_with_the_trained_model(asr_corpus, asr_model,
                                                              tmp_path):
    from voxtune.eval.folder import evaluate_folder

    for name in ("s0.wav", "s0.lab", "s3.wav", "s3.lab"):
        (tmp_path / "spk").mkdir(exist_ok=True)
        (tmp_path / "spk" / name).write_bytes((asr_corpus / "clips" / "spk" / name).read_bytes())
    asr = AsrConfig(backend="voxtune", model=str(asr_model.checkpoint), fallback="")
    report = evaluate_folder(tmp_path, asr=asr, show_progress=False)
    assert report.metrics["intelligibility"].mean > 0.85


def test_a_missing_model_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["transcribe", "--model-dir", str(tmp_path), str(tmp_path)]) == 2
    assert "no audio files" in capsys.readouterr().err
    (tmp_path / "a.wav").write_bytes(b"")
    assert main(["transcribe", "--model-dir", str(tmp_path), str(tmp_path)]) == 2
    assert "no asr.yaml" in capsys.readouterr().err


@pytest.mark.parametrize("verb", [["transcribe"], ["train", "asr"], ["eval", "asr"]])
def test_asr_verbs_have_help(verb, capsys):
    with pytest.raises(SystemExit) as info:
        main([*verb, "--help"])
    assert info.value.code == 0
    assert "usage: voxtune " + " ".join(verb) in capsys.readouterr().out
