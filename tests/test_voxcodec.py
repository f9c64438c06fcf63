"""VoxCodec: trains on CPU with falling loss, loads as a `Codec`, fine-tunes its decoder only."""

import math
import shutil

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors.torch import load_file

from voxtune.codec import load_codec
from voxtune.codec.voxcodec import CodecTrainConfig, VoxCodec, VoxCodecModel
from voxtune.codec.voxcodec.train import train_codec
from voxtune.config import load_config
from voxtune.errors import ConfigError, InputError
from voxtune.train.logs import read_run_log


def tiny(**overrides) -> CodecTrainConfig:
    return load_config(CodecTrainConfig, "codec-tiny",
                       [f"{k}={v}" for k, v in overrides.items()])


@pytest.fixture(scope="module")
def trained(seed, tmp_path_factory):
    """A tiny codec trained for 60 steps on the six espeak-ng seed clips."""
    out = tmp_path_factory.mktemp("codec") / "run"
    result = train_codec(seed, out, tiny(**{"trainer.max_steps": 60, "trainer.save_every": 30}),
                         show_progress=False)
    return result


def test_training_on_cpu_lowers_the_reconstruction_loss(trained):
    mel = [row["train/mel"] for row in read_run_log(trained.checkpoint.parent)
           if "train/mel" in row]
    assert len(mel) == 12
    assert np.mean(mel[-2:]) < 0.8 * mel[0]


def test_run_folder_has_checkpoints_logs_and_config(trained):
    run = trained.checkpoint.parent
    assert trained.checkpoint.name == "step_000000060"
    assert sorted(p.name for p in run.glob("step_*")) == ["step_000000030", "step_000000060"]
    assert list((run / "logs").glob("events.out.tfevents.*"))
    assert (run / "train_config.yaml").read_text().startswith("model:")
    assert {"model.safetensors", "discriminator.safetensors", "config.yaml",
            "trainer_state.pt"} <= {p.name for p in trained.checkpoint.iterdir()}


def test_checkpoint_loads_as_a_codec_and_round_trips(trained):
    codec = load_codec(str(trained.checkpoint))
    assert isinstance(codec, VoxCodec) and codec.codec_id.startswith("voxcodec:")
    assert codec.frame_rate == 25.0 and codec.num_codebooks == 2 and codec.codebook_size == 125
    wavs = torch.randn(2, 9000) * 0.1
    codes, frames = codec.encode(wavs, torch.tensor([9000, 5000]))
    assert codes.shape == (2, 2, math.ceil(9000 / 640)) and codes.dtype == torch.int64
    assert frames.tolist() == [15, 8]
    assert 0 <= int(codes.min()) and int(codes.max()) < codec.codebook_size
    audio, samples = codec.decode(codes, frames)
    assert audio.shape == (2, 15 * 640) and samples.tolist() == [15 * 640, 8 * 640]
    assert torch.isfinite(audio).all()
    assert load_codec(str(trained.checkpoint)).codec_id == codec.codec_id


def test_interrupted_run_resumes_exactly(seed, tmp_path, monkeypatch):
    config = tiny(**{"trainer.max_steps": 20, "trainer.save_every": 10})
    straight = train_codec(seed, tmp_path / "straight", config, show_progress=False)

    from voxtune.codec.voxcodec.task import CodecTask
    step_once = CodecTask.training_step

    def crash_at_13(self, modules, batch, step):
        if step == 12:
            raise RuntimeError("killed")
        return step_once(self, modules, batch, step)

    monkeypatch.setattr(CodecTask, "training_step", crash_at_13)
    with pytest.raises(RuntimeError, match="killed"):
        train_codec(seed, tmp_path / "resumed", config, show_progress=False)
    monkeypatch.setattr(CodecTask, "training_step", step_once)
    resumed = train_codec(seed, tmp_path / "resumed", config, show_progress=False)

    def curve(run):
        return [{k: v for k, v in row.items() if k.startswith(("train/", "val/", "lr"))}
                for row in read_run_log(run)]
    assert curve(tmp_path / "resumed") == curve(tmp_path / "straight")
    ours = load_file(str(resumed.checkpoint / "model.safetensors"))
    reference = load_file(str(straight.checkpoint / "model.safetensors"))
    assert all(torch.equal(ours[k], reference[k]) for k in reference)


def test_decoder_finetune_keeps_encoder_quantizer_and_tokens(trained, seed, tmp_path):
    base = load_codec(str(trained.checkpoint))
    probe = torch.randn(1, 6400) * 0.1
    codes_before, _ = base.encode(probe, torch.tensor([6400]))
    config = tiny(**{"init_from": str(trained.checkpoint), "freeze_encoder": "true",
                     "trainer.max_steps": 10, "data.speakers": "[alice]"})
    tuned = train_codec(seed, tmp_path / "tuned", config, show_progress=False)
    before = load_file(str(trained.checkpoint / "model.safetensors"))
    after = load_file(str(tuned.checkpoint / "model.safetensors"))
    for name in before:
        same = torch.equal(before[name], after[name])
        assert same == name.startswith(("encoder.", "quantizer.")), name
    codec = load_codec(str(tuned.checkpoint))
    assert codec.codec_id == base.codec_id
    assert torch.equal(codec.encode(probe, torch.tensor([6400]))[0], codes_before)


def test_added_codebooks_start_from_the_trained_codec_and_refine_it(trained, seed, tmp_path):
    from voxtune.codec.voxcodec.train import _initial_model

    base = load_codec(str(trained.checkpoint))
    audio, _ = sf.read(next(seed.rglob("*.wav")), dtype="float32")
    probe = torch.from_numpy(audio[: len(audio) // 640 * 640])[None]
    narrow = base.model.eval()
    wider = _initial_model(tiny(**{"init_from": str(trained.checkpoint),
                                   "add_codebooks": 2})).eval()
    assert wider.config.num_codebooks == narrow.config.num_codebooks + 2
    with torch.no_grad():
        codes = wider.encode(probe)
        assert torch.equal(codes[:, :narrow.config.num_codebooks], narrow.encode(probe))
        latent = narrow.encoder(probe)

        def error(model, codes):
            out = model.quantizer.get_output_from_indices(codes.transpose(1, 2))
            return (out.transpose(1, 2) - latent).abs().mean()
        assert error(wider, codes) < error(narrow, codes[:, :narrow.config.num_codebooks])
    run = train_codec(seed, tmp_path / "wide", tiny(**{
        "init_from": str(trained.checkpoint), "add_codebooks": 2, "trainer.max_steps": 2}),
        show_progress=False)
    assert load_codec(str(run.checkpoint)).model.config.num_codebooks == \
        narrow.config.num_codebooks + 2
    with pytest.raises(ConfigError, match="cannot go with freeze_encoder"):
        _initial_model(tiny(**{"init_from": str(trained.checkpoint), "add_codebooks": 2,
                               "freeze_encoder": "true"}))
    with pytest.raises(ConfigError, match="add_codebooks needs init_from"):
        _initial_model(tiny(add_codebooks=2))


def test_reconstruction_only_finetune_never_runs_the_discriminator(trained, seed, tmp_path):
    config = tiny(**{"init_from": str(trained.checkpoint), "freeze_encoder": "true",
                     "loss.gan_start_step": "null", "trainer.max_steps": 4})
    tuned = train_codec(seed, tmp_path / "tuned", config, show_progress=False)
    rows = [row for row in read_run_log(tmp_path / "tuned") if "train/mel" in row]
    assert rows and not any("train/discriminator" in row or "train/adversarial" in row
                            for row in rows)
    assert load_codec(str(tuned.checkpoint)).codec_id == load_codec(
        str(trained.checkpoint)).codec_id


def test_the_demo_preset_starts_from_the_shipped_codec_by_name():
    from voxtune.codec.voxcodec.train import _initial_model

    config = load_config(CodecTrainConfig, "codec-demo")
    assert config.init_from == "vox-base" and config.loss.gan_start_step is None
    model = _initial_model(config)
    assert VoxCodec(model).codec_id == load_codec("vox-base").codec_id
    trainable = {name.split(".")[0] for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and not trainable & {"encoder", "quantizer"}


def test_cli_trains_and_prints_the_checkpoint(seed, tmp_path, capsys):
    from voxtune.cli import main

    code = main(["-q", "train", "codec", "codec-tiny", str(seed), str(tmp_path / "run"),
                 "trainer.max_steps=4", "trainer.val_every=0"])
    assert code == 0
    assert f"codec: {tmp_path / 'run' / 'step_000000004'}" in capsys.readouterr().out
    assert main(["train", "codec", "codec-tiny", "--print-config",
                 "model.num_codebooks=3"]) == 0
    assert "num_codebooks: 3" in capsys.readouterr().out


def test_bad_inputs_get_clear_messages(seed, trained, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="empty: no dataset layout recognised"):
        train_codec(empty, tmp_path / "run", tiny(), show_progress=False)
    with pytest.raises(InputError, match="no readable clips of speakers nobody"):
        train_codec(seed, tmp_path / "run", tiny(**{"data.speakers": "[nobody]"}),
                    show_progress=False)
    with pytest.raises(InputError, match="not a VoxCodec folder"):
        train_codec(seed, tmp_path / "run", tiny(init_from=str(seed)), show_progress=False)
    with pytest.raises(ConfigError, match="needs init_from"):
        train_codec(seed, tmp_path / "run", tiny(freeze_encoder="true"), show_progress=False)
    with pytest.raises(ConfigError, match="segment_seconds"):
        train_codec(seed, tmp_path / "run", tiny(**{"data.segment_seconds": 0.1}),
                    show_progress=False)
    broken = tmp_path / "broken"
    shutil.copytree(trained.checkpoint, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(InputError, match="model.safetensors: cannot be read"):
        load_codec(str(broken))
    codec = VoxCodec(VoxCodecModel(tiny().model))
    with pytest.raises(InputError, match="outside"):
        codec.decode(torch.full((1, 2, 3), 999), torch.tensor([3]))
