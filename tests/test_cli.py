"""The `voxtune` command: help for every verb, one-line errors, verbs wired to functions."""

import subprocess
import sys

import pytest
import yaml

from voxtune.cli import main


@pytest.mark.parametrize("verb", ["demo-data", "prepare", "convert", "extract", "pack"])
def test_every_verb_has_help(verb, capsys):
    with pytest.raises(SystemExit) as info:
        main([verb, "--help"])
    assert info.value.code == 0
    assert "usage: voxtune " + verb in capsys.readouterr().out


def test_user_error_is_one_line_without_traceback(tmp_path):
    run = subprocess.run([sys.executable, "-m", "voxtune", "prepare", str(tmp_path / "nope"),
                          str(tmp_path / "out")], capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().count("\n") == 0 and "no such file or folder" in run.stderr


def test_print_config_applies_preset_and_overrides(capsys):
    assert main(["prepare", "somewhere", "--config", "prepare-gptsovits",
                 "slicer.threshold=-45", "--print-config"]) == 0
    config = yaml.safe_load(capsys.readouterr().out)
    assert config["audio"]["sample_rate"] == 32000
    assert config["slicer"]["threshold"] == -45.0


def test_bad_override_names_the_key(capsys):
    assert main(["prepare", "src", "out", "slicer.treshold=-40"]) == 2
    assert "slicer.treshold" in capsys.readouterr().err


def test_demo_data_then_prepare_then_convert(tmp_path, capsys):
    corpus, dataset = tmp_path / "corpus", tmp_path / "dataset"
    assert main(["-q", "demo-data", str(corpus), "--speakers", "1", "--minutes", "0.3",
                 "--no-mandarin"]) == 0
    assert main(["-q", "prepare", str(corpus / "clips"), str(dataset), "--num-workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "voxtune prepare report" in out and "total" in out
    assert main(["-q", "convert", str(dataset), str(tmp_path / "chatml"), "--to", "chatml"]) == 0
    lines = (tmp_path / "chatml" / "dataset.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == len((dataset / "manifest.jsonl").read_text("utf-8").splitlines()) > 0
