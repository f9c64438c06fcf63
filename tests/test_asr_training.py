"""Recognizer training: it learns, freeze flags freeze, LoRA adapts, Whisper fits, resume."""

import subprocess
import sys

import pytest
import torch

from tests.conftest import SENTENCES
from voxtune.asr.checkpoint import load_asr
from voxtune.asr.config import ASRTrainConfig
from voxtune.asr.decode import Recognizer
from voxtune.asr.frontend import load_16k
from voxtune.asr.task import ASRTask
from voxtune.asr.train import build_asr_run, train_asr
from voxtune.config import load_config
from voxtune.errors import ConfigError
from voxtune.eval.wer import error_rate
from voxtune.train.logs import read_run_log
from voxtune.train.loop import fit
from voxtune.weights import read_weights


def tiny(*overrides: str) -> ASRTrainConfig:
    return load_config(ASRTrainConfig, "asr-tiny", list(overrides))


def _cer(references: list[str], hypotheses: list[str]) -> float:
    ids = [str(i) for i in range(len(references))]
    return error_rate(dict(zip(ids, references, strict=True)),
                      dict(zip(ids, hypotheses, strict=True)), unit="char").rate


def test_tiny_model_learns_its_sentences(asr_model, asr_corpus):
    losses = [row["train/loss"] for row in read_run_log(asr_model.checkpoint.parent)]
    assert losses[-1] < 0.1 * losses[0]
    recognizer = Recognizer(asr_model.checkpoint, device="cpu")
    clips = [load_16k(asr_corpus / "clips" / "spk" / f"s{i}.wav") for i in range(3)]
    assert _cer(SENTENCES[:3], recognizer.transcribe(clips)) < 0.1


@pytest.mark.parametrize("flag, frozen", [("audio_encoder_conf.freeze", "encoder."),
                                          ("audio_adaptor_conf.freeze", "adaptor."),
                                          ("llm_conf.freeze", "llm.")])
def test_each_freeze_flag_keeps_its_part_bit_identical(asr_corpus, tmp_path, flag, frozen):
    config = tiny(f"{flag}=true", "trainer.max_steps=3", "trainer.save_every=3")
    task, batches, _, _ = build_asr_run(asr_corpus / "clips", config)
    model = task.loaded.model
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    fit(task, batches, config.trainer, tmp_path / "run", show_progress=False)
    saved = read_weights(tmp_path / "run" / "step_000000003" / "model.safetensors")
    for part in ("encoder.", "adaptor.", "llm."):
        same = [torch.equal(p, before[name]) and torch.equal(saved[name], before[name])
                for name, p in model.named_parameters() if name.startswith(part)
                and name in saved]
        assert all(same) if part == frozen else not all(same), part
    assert not model.get_submodule(frozen[:-1]).training  # no dropout in a frozen part


def test_nothing_to_train_is_refused(asr_corpus):
    config = tiny("audio_encoder_conf.freeze=true", "audio_adaptor_conf.freeze=true",
                  "llm_conf.freeze=true")
    with pytest.raises(ConfigError, match="nothing would train"):
        build_asr_run(asr_corpus / "clips", config)


def test_lora_trains_adapters_and_the_checkpoint_loads_merged(asr_corpus, tmp_path):
    config = tiny("llm_conf.use_lora=true", "llm_conf.freeze=true", "llm_conf.lora_conf.r=4",
                  "trainer.max_steps=3", "trainer.save_every=3", "trainer.optim.lr=0.01")
    task, batches, _, _ = build_asr_run(asr_corpus / "clips", config)
    before = {n: p.detach().clone() for n, p in task.loaded.model.named_parameters()}
    fit(task, batches, config.trainer, tmp_path / "run", show_progress=False)
    changed = {n for n, p in task.loaded.model.named_parameters()
               if not torch.equal(p, before[n])}
    assert any("lora_B" in n for n in changed) and any(n.startswith("encoder.") for n in changed)
    assert not any(n.startswith("llm.") and "lora_" not in n for n in changed)
    folder = tmp_path / "run" / "step_000000003"
    adapted, merged = load_asr(folder, merge=False), load_asr(folder, merge=True)
    ids = torch.tensor([[5, 9, 12, 7]])
    with torch.no_grad():
        assert torch.allclose(adapted.model.llm(ids).logits, merged.model.llm(ids).logits,
                              atol=1e-5)


def test_whisper_encoder_from_a_local_folder_trains_and_decodes(asr_corpus, tmp_path):
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    whisper = tmp_path / "whisper-tiny-test"
    torch.manual_seed(0)
    WhisperModel(WhisperConfig(
        d_model=64, encoder_layers=2, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=128, decoder_ffn_dim=128, num_mel_bins=80,
        max_source_positions=250, max_target_positions=16, vocab_size=64, pad_token_id=0,
        bos_token_id=1, eos_token_id=2, decoder_start_token_id=1,
    )).save_pretrained(whisper)
    WhisperFeatureExtractor(feature_size=80, chunk_length=5).save_pretrained(whisper)
    config = tiny("audio_encoder_conf.kind=whisper", f"audio_encoder_conf.pretrained={whisper}",
                  "trainer.max_steps=100", "trainer.optim.lr=0.005")
    result = train_asr(asr_corpus / "chatml" / "dataset.jsonl", tmp_path / "run", config,
                       show_progress=False)
    losses = [row["train/loss"] for row in read_run_log(tmp_path / "run")]
    assert losses[-1] < 0.2 * losses[0]
    assert (result.checkpoint / "encoder" / "preprocessor_config.json").is_file()
    recognizer = Recognizer(result.checkpoint, device="cpu")
    assert recognizer.loaded.frontend.window_frames == 500
    clips = [load_16k(asr_corpus / "clips" / "spk" / f"s{i}.wav") for i in range(2)]
    assert _cer(SENTENCES[:2], recognizer.transcribe(clips)) < 0.5


def _curve(run):
    return [{k: v for k, v in row.items() if k.startswith(("train/", "lr"))}
            for row in read_run_log(run)]


def test_a_killed_run_resumes_with_the_same_loss_curve(asr_corpus, tmp_path, monkeypatch):
    config = tiny("trainer.max_steps=12", "trainer.save_every=4", "trainer.log_every=2",
                  "data.max_frames=1200", "data.spec_augment.enabled=true",
                  "audio_encoder_conf.dropout=0.1")
    data = asr_corpus / "chatml" / "dataset.jsonl"
    straight = train_asr(data, tmp_path / "straight", config, show_progress=False)
    step_once = ASRTask.training_step

    def killed_at_8(self, modules, batch, step):
        if step == 7:
            raise KeyboardInterrupt
        return step_once(self, modules, batch, step)

    monkeypatch.setattr(ASRTask, "training_step", killed_at_8)
    with pytest.raises(KeyboardInterrupt):
        train_asr(data, tmp_path / "resumed", config, show_progress=False)
    monkeypatch.setattr(ASRTask, "training_step", step_once)
    resumed = train_asr(data, tmp_path / "resumed", config, show_progress=False)
    assert _curve(tmp_path / "resumed") == _curve(tmp_path / "straight")
    ours = read_weights(resumed.checkpoint / "model.safetensors")
    reference = read_weights(straight.checkpoint / "model.safetensors")
    assert all(torch.equal(ours[k], reference[k]) for k in reference)


DDP_SCRIPT = """
import sys
from pathlib import Path
from voxtune.asr.config import ASRTrainConfig
from voxtune.asr.train import train_asr
from voxtune.config import load_config

config = load_config(ASRTrainConfig, "asr-tiny", sys.argv[3:])
train_asr(Path(sys.argv[1]), Path(sys.argv[2]), config, show_progress=False)
"""


def test_two_gloo_processes_train_what_one_process_trains(asr_corpus, tmp_path):
    from tests.test_tts_training import Interleaved

    data = asr_corpus / "chatml" / "dataset.jsonl"
    overrides = ["trainer.max_steps=3", "trainer.save_every=3", "data.max_frames=900"]
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                    str(script), str(data), str(tmp_path / "ddp"), *overrides],
                   check=True, capture_output=True, timeout=300)
    config = tiny(*overrides, "trainer.grad_accum=2")
    task, rank0, _, _ = build_asr_run(data, config, rank=0, world_size=2)
    _, rank1, _, _ = build_asr_run(data, config, rank=1, world_size=2)
    fit(task, Interleaved(rank0, rank1), config.trainer, tmp_path / "one", show_progress=False)
    ddp = read_weights(tmp_path / "ddp" / "step_000000003" / "model.safetensors")
    one = read_weights(tmp_path / "one" / "step_000000003" / "model.safetensors")
    assert ddp.keys() == one.keys()
    for name in ddp:
        assert torch.allclose(ddp[name], one[name], atol=2e-5), name
