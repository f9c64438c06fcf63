"""VoxTTS training mechanics: exact resume, DDP equal to one process, and the CLI verbs."""

import json
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf
import torch

from tests.conftest import SENTENCES
from voxtune.cli import main
from voxtune.config import load_config
from voxtune.data.packed.format import METADATA
from voxtune.errors import ConfigError
from voxtune.train.logs import read_run_log
from voxtune.train.loop import fit
from voxtune.tts.checkpoint import load_tts
from voxtune.tts.config import TTSTrainConfig
from voxtune.tts.task import TTSTask
from voxtune.tts.train import build_tts_run, train_tts
from voxtune.weights import read_weights


def tiny(*overrides: str) -> TTSTrainConfig:
    return load_config(TTSTrainConfig, "tts-tiny", list(overrides))


def _curve(run):
    return [{k: v for k, v in row.items() if k.startswith(("train/", "lr"))}
            for row in read_run_log(run)]


def test_a_killed_run_resumes_with_the_same_loss_curve(tts_corpus, tmp_path, monkeypatch):
    config = tiny("trainer.max_steps=12", "trainer.save_every=4", "trainer.log_every=2")
    straight = train_tts(tts_corpus / "packed", tmp_path / "straight", config,
                         show_progress=False)
    step_once = TTSTask.training_step

    def killed_at_8(self, modules, batch, step):
        if step == 7:
            raise KeyboardInterrupt
        return step_once(self, modules, batch, step)

    monkeypatch.setattr(TTSTask, "training_step", killed_at_8)
    with pytest.raises(KeyboardInterrupt):
        train_tts(tts_corpus / "packed", tmp_path / "resumed", config, show_progress=False)
    monkeypatch.setattr(TTSTask, "training_step", step_once)
    resumed = train_tts(tts_corpus / "packed", tmp_path / "resumed", config,
                        show_progress=False)
    assert _curve(tmp_path / "resumed") == _curve(tmp_path / "straight")
    ours = read_weights(resumed.checkpoint / "model.safetensors")
    reference = read_weights(straight.checkpoint / "model.safetensors")
    assert all(torch.equal(ours[k], reference[k]) for k in reference)


DDP_SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from voxtune.config import load_config
    from voxtune.tts.config import TTSTrainConfig
    from voxtune.tts.train import train_tts

    config = load_config(TTSTrainConfig, "tts-tiny", sys.argv[3:])
    train_tts(Path(sys.argv[1]), Path(sys.argv[2]), config, show_progress=False)
""")


def _epochs(batches):
    while True:
        yield from batches


class Interleaved:
    """Rank 0's batch, then rank 1's, for each step: what two DDP ranks see together."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def __iter__(self):
        first, second = _epochs(self.first), _epochs(self.second)
        while True:
            yield next(first)
            yield next(second)

    def state_dict(self):
        return {"first": self.first.state_dict(), "second": self.second.state_dict()}

    def load_state_dict(self, state):
        self.first.load_state_dict(state["first"])
        self.second.load_state_dict(state["second"])


def test_two_gloo_processes_train_what_one_process_trains(tts_corpus, tmp_path):
    overrides = ["trainer.max_steps=4", "trainer.save_every=4", "data.max_tokens=600"]
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                    str(script), str(tts_corpus / "packed"), str(tmp_path / "ddp"),
                    *overrides], check=True, capture_output=True, timeout=300)
    config = tiny(*overrides, "trainer.grad_accum=2")
    task, rank0, _ = build_tts_run(tts_corpus / "packed", config, rank=0, world_size=2)
    _, rank1, _ = build_tts_run(tts_corpus / "packed", config, rank=1, world_size=2)
    initial = {k: v.clone() for k, v in task.model.lm.state_dict().items()}
    fit(task, Interleaved(rank0, rank1), config.trainer, tmp_path / "one", show_progress=False)
    ddp = read_weights(tmp_path / "ddp" / "step_000000004" / "model.safetensors")
    one = read_weights(tmp_path / "one" / "step_000000004" / "model.safetensors")
    assert ddp.keys() == one.keys()
    for name in ddp:
        assert torch.allclose(ddp[name], one[name], atol=2e-5), name
    assert not torch.allclose(initial["model.norm.weight"], one["model.norm.weight"])


def test_cli_trains_merges_and_synthesizes(tts_corpus, tmp_path, capsys):
    packed, codec = str(tts_corpus / "packed"), str(tts_corpus / "codec")
    assert main(["-q", "train", "tts", "tts-tiny", packed, str(tmp_path / "base"),
                 "trainer.max_steps=4"]) == 0
    assert "model: " in capsys.readouterr().out
    base = tmp_path / "base" / "step_000000004"
    assert main(["-q", "train", "tts", "tts-lora", packed, str(tmp_path / "lora"),
                 f"backbone.pretrained={base}", "trainer.max_steps=2", "trainer.device=cpu"]) == 0
    assert main(["merge", "--lora", str(tmp_path / "lora" / "step_000000002"),
                 "--output", str(tmp_path / "merged")]) == 0
    assert "merged model:" in capsys.readouterr().out
    out = tmp_path / "speech.mp3"
    assert main(["synthesize", "--model", str(tmp_path / "merged"), "--text", SENTENCES[0],
                 "--speaker", "anna", "--codec", codec, "--out", str(out), "--speed", "1.25",
                 "--max-frames", "60", "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "real-time factor" in printed and out.is_file()
    audio, rate = sf.read(out)
    assert rate == 16000 and len(audio) > 0
    assert main(["synthesize", "--model", str(tmp_path / "merged"), "--text", "Hi.",
                 "--speaker", "anna", "--codec", codec, "--out", str(tmp_path / "x.ogg"),
                 "--split", "cut9"]) == 2
    assert "cut9" in capsys.readouterr().err


def test_speed_changes_duration_not_pitch():
    from voxtune.audio.tempo import change_speed

    rate = 16000
    t = np.arange(rate * 2) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    faster = change_speed(tone, rate, 1.25)
    assert len(faster) / len(tone) == pytest.approx(1 / 1.25, rel=0.02)
    spectrum = np.abs(np.fft.rfft(faster[:rate]))
    assert np.argmax(spectrum) * rate / rate == pytest.approx(220, abs=3)


def test_held_out_records_are_validated_and_never_trained_on(tts_corpus, tmp_path):
    config = tiny("trainer.max_steps=6", "trainer.val_every=3", "data.val_records=1",
                  "trainer.log_every=3")
    task, batches, val = build_tts_run(tts_corpus / "packed", config)
    trained = {sample.speaker for batch in batches.loader for sample in batch}
    assert trained == {"anna"} and val  # records are per speaker: ben's is held out
    fit(task, batches, config.trainer, tmp_path / "run", val=val, show_progress=False)
    rows = [row for row in read_run_log(tmp_path / "run") if "val/loss" in row]
    assert [row["step"] for row in rows] == [3, 6]
    assert all(np.isfinite(row["val/loss"]) and 0 <= row["val/accuracy"] <= 1 for row in rows)
    with pytest.raises(Exception, match="val_records=5"):
        build_tts_run(tts_corpus / "packed", tiny("data.val_records=5"))


def test_lora_on_a_pretrained_text_llm_with_its_own_tokenizer(tts_corpus, tmp_path):
    """A Qwen3 text LLM in a local folder: backbone tokens, new codec rows, LoRA, merge."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    from voxtune.tts.checkpoint import load_tts
    from voxtune.tts.merge import merge

    words = sorted({w.strip(".,").lower() for s in SENTENCES for w in s.split()})
    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(words)}}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    llm = tmp_path / "llm"
    PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]").save_pretrained(llm)
    torch.manual_seed(0)
    Qwen3ForCausalLM(Qwen3Config(vocab_size=len(vocab), hidden_size=32, intermediate_size=64,
                                 num_hidden_layers=2, num_attention_heads=2,
                                 num_key_value_heads=1, head_dim=16,
                                 tie_word_embeddings=True)).save_pretrained(llm)
    config = tiny(f"backbone.pretrained={llm}", "backbone.text_tokens=backbone",
                  "lora.enabled=true", "trainer.max_steps=8", "trainer.optim.lr=0.01")
    result = train_tts(tts_corpus / "packed", tmp_path / "run", config, show_progress=False)
    assert (result.checkpoint / "token_rows.safetensors").is_file()
    model, meta, tokenizer = load_tts(result.checkpoint)
    assert meta.base == str(llm.resolve()) and meta.layout.text_vocab == len(vocab)
    assert tokenizer.encode("the quick brown fox", "en") == [vocab[w] for w in
                                                            "the quick brown fox".split()]
    merged, _, _ = load_tts(merge(result.checkpoint, tmp_path / "merged"))
    grid = torch.from_numpy(meta.layout.audio_ids(np.zeros((5, 2), dtype=np.int64)))[None]
    with torch.no_grad():
        assert torch.allclose(merged(grid), model(grid), atol=1e-4)


def _torchrun(script, *args):
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                    str(script), *map(str, args)], check=True, capture_output=True, timeout=300)


def test_fsdp_shards_train_like_ddp_and_resume_from_their_sharded_state(tts_corpus, tmp_path):
    script = tmp_path / "run.py"
    script.write_text(DDP_SCRIPT)
    common = ["trainer.save_every=2", "data.max_tokens=600"]
    _torchrun(script, tts_corpus / "packed", tmp_path / "ddp", "trainer.max_steps=4", *common)
    _torchrun(script, tts_corpus / "packed", tmp_path / "fsdp", "trainer.max_steps=4",
              "trainer.strategy=fsdp", *common)
    ddp = read_weights(tmp_path / "ddp" / "step_000000004" / "model.safetensors")
    fsdp = read_weights(tmp_path / "fsdp" / "step_000000004" / "model.safetensors")
    for name in ddp:
        assert torch.allclose(ddp[name], fsdp[name], atol=1e-6), name
    assert (tmp_path / "fsdp" / "step_000000004" / "dcp").is_dir()
    _torchrun(script, tts_corpus / "packed", tmp_path / "fsdp", "trainer.max_steps=6",
              "trainer.strategy=fsdp", *common)
    steps = [row["step"] for row in read_run_log(tmp_path / "fsdp") if "train/loss" in row]
    assert steps == sorted(set(steps)) and steps[-1] == 6
    model, _, _ = load_tts(tmp_path / "fsdp" / "step_000000006")
    assert model.layout.speakers == ["anna", "ben"]


def test_fsdp_refuses_tasks_of_several_modules(seed, tmp_path):
    from voxtune.codec.voxcodec import CodecTrainConfig
    from voxtune.codec.voxcodec.train import train_codec
    from voxtune.errors import ConfigError

    config = load_config(CodecTrainConfig, "codec-tiny", ["trainer.strategy=fsdp"])
    with pytest.raises(ConfigError, match="strategy=fsdp trains one module"):
        train_codec(seed, tmp_path / "run", config, show_progress=False)


def test_a_time_limit_stops_with_a_checkpoint_and_a_later_run_finishes(tts_corpus, tmp_path):
    from voxtune.train.checkpoints import list_checkpoints

    out = tmp_path / "run"
    limited = tiny("trainer.max_steps=6", "trainer.save_every=100",
                   "trainer.time_limit_minutes=0")
    assert train_tts(tts_corpus / "packed", out, limited, show_progress=False
                     ).checkpoint.name == "step_000000001"
    again = train_tts(tts_corpus / "packed", out, tiny("trainer.max_steps=6"),
                      show_progress=False)
    assert again.checkpoint.name == "step_000000006"
    assert [step for step, _ in list_checkpoints(out)][-1] == 6


def test_the_best_validated_checkpoint_is_kept_and_named(tts_corpus, tmp_path):
    from voxtune.train.checkpoints import best_checkpoint, list_checkpoints, read_best

    out = tmp_path / "run"
    # a learning rate this high overshoots, so the validation loss does not only fall
    config = tiny("trainer.max_steps=24", "trainer.val_every=3", "trainer.save_every=100",
                  "trainer.keep_last=1", "trainer.best_by=val/loss", "data.val_records=1",
                  "trainer.optim.lr=0.03")
    train_tts(tts_corpus / "packed", out, config, show_progress=False)
    scores = {row["step"]: row["val/loss"] for row in read_run_log(out) if "val/loss" in row}
    best = read_best(out)
    assert best["metric"] == "val/loss" and best["step"] == min(scores, key=scores.get)
    assert best["value"] == pytest.approx(min(scores.values()))
    assert best_checkpoint(out) == out / best["checkpoint"]
    assert best["step"] < 24  # it overshot after its best
    kept = {step for step, _ in list_checkpoints(out)}
    assert kept == {best["step"], 24}  # the last one and the best one, nothing else
    with pytest.raises(Exception, match="best_by=val/nothing"):
        train_tts(tts_corpus / "packed", tmp_path / "bad",
                  tiny("trainer.max_steps=3", "trainer.val_every=3",
                       "trainer.best_by=val/nothing", "data.val_records=1"),
                  show_progress=False)


def test_training_reads_the_packed_phonemes_without_phonemizing(tts_corpus, monkeypatch):
    def refuse(*args):
        raise AssertionError("phonemized during training")

    monkeypatch.setattr("voxtune.text.tokenizer.phonemize", refuse)
    task, batches, val = build_tts_run(tts_corpus / "packed", tiny("data.val_records=1"))
    assert next(iter(batches))["tokens"].shape[0] >= 1 and val
    assert task.meta.layout.position_rate is None or task.meta.layout.position_rate > 0


def test_validation_pairs_each_batch_with_a_wrong_text_twin(tts_corpus):
    config = tiny("data.val_records=1")
    task, _, val = build_tts_run(tts_corpus / "packed", config)
    batch = val[0]
    assert set(batch) == {"tokens", "labels", "attention_mask", "wrong_tokens",
                          "wrong_labels", "wrong_attention_mask"}
    labelled = (batch["labels"] != -100).sum()
    assert (batch["wrong_labels"] != -100).sum() == labelled  # the same audio is scored
    text = batch["tokens"][..., 0][batch["tokens"][..., 1] < 0]  # text positions only
    wrong_text = batch["wrong_tokens"][..., 0][batch["wrong_tokens"][..., 1] < 0]
    assert not torch.equal(text, wrong_text)
    scores = task.validation_step(task.modules, batch)
    assert set(scores) == {"loss", "accuracy", "text_gain"}


def _with_codec(packed, folder, **codec):
    """A copy of the packed dataset `packed` whose metadata names another codec."""
    shutil.copytree(packed, folder)
    metadata = json.loads((folder / METADATA).read_text())
    metadata["codec"].update(codec)
    (folder / METADATA).write_text(json.dumps(metadata))
    return folder


def test_init_from_starts_a_model_of_a_retrained_codec_from_another_models_weights(
        tts_corpus, tmp_path):
    source = train_tts(tts_corpus / "packed", tmp_path / "source",
                       tiny("trainer.max_steps=2", "trainer.save_every=2"),
                       show_progress=False).checkpoint
    retrained = _with_codec(tts_corpus / "packed", tmp_path / "packed", id="voxcodec:retrained")
    task, _, _ = build_tts_run(retrained, tiny(f"backbone.init_from={source}"))
    assert task.meta.codec.id == "voxcodec:retrained"
    started = task.model.state_dict()
    weights = load_tts(source)[0].state_dict()
    assert all(torch.equal(started[k], weights[k]) for k in weights)

    trained = train_tts(retrained, tmp_path / "warm",
                        tiny(f"backbone.init_from={source}", "trainer.max_steps=2",
                             "trainer.save_every=2"), show_progress=False).checkpoint
    assert load_tts(trained)[1].codec.id == "voxcodec:retrained"

    other_shape = _with_codec(tts_corpus / "packed", tmp_path / "wider",
                              id="voxcodec:wider", num_codebooks=8)
    with pytest.raises(ConfigError, match="the data.s 8 of 125"):
        build_tts_run(other_shape, tiny(f"backbone.init_from={source}"))
