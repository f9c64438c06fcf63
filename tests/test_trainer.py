"""The shared trainer: schedule, checkpoint folders, and DDP across two gloo processes."""

import subprocess
import sys
import textwrap

import pytest

from voxtune.train.checkpoints import (
    TRAINER_STATE,
    begin_checkpoint,
    commit_checkpoint,
    latest_checkpoint,
    list_checkpoints,
    remove_partial_checkpoints,
)
from voxtune.train.config import OptimConfig, TrainerConfig
from voxtune.train.loop import _lr_scale


def test_learning_rate_warms_up_then_decays_to_the_floor():
    config = TrainerConfig(max_steps=110, optim=OptimConfig(warmup_steps=10, min_lr_ratio=0.1))
    scales = [_lr_scale(step, config) for step in range(110)]
    assert scales[0] == pytest.approx(0.1) and scales[9] == pytest.approx(1.0)
    assert scales[10] == pytest.approx(1.0)
    assert scales[60] == pytest.approx(0.55)  # half way down the cosine
    assert all(a >= b for a, b in zip(scales[10:], scales[11:], strict=False))
    assert _lr_scale(110, config) == pytest.approx(0.1)
    config.optim.schedule = "constant"
    assert _lr_scale(50, config) == 1.0


def _write(out, step, keep_last):
    folder = begin_checkpoint(out, step)
    (folder / TRAINER_STATE).write_bytes(b"state")
    return commit_checkpoint(out, step, folder, keep_last)


def test_checkpoints_are_named_by_step_and_only_the_last_k_kept(tmp_path):
    for step in (10, 20, 30):
        _write(tmp_path, step, keep_last=2)
    assert [step for step, _ in list_checkpoints(tmp_path)] == [20, 30]
    assert latest_checkpoint(tmp_path) == tmp_path / "step_000000030"


def test_half_written_checkpoints_are_never_taken_for_whole_ones(tmp_path):
    killed = begin_checkpoint(tmp_path, 40)  # a run killed while writing this one
    (killed / "model.safetensors").write_bytes(b"half")
    assert latest_checkpoint(tmp_path) is None
    (tmp_path / "step_000000060").mkdir()  # no trainer state: not a checkpoint
    remove_partial_checkpoints(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step_000000060"]  # half-written: gone
    assert latest_checkpoint(tmp_path) is None


DDP_SCRIPT = textwrap.dedent("""
    import hashlib, os, sys
    from pathlib import Path
    import torch
    from voxtune.codec.voxcodec import CodecTrainConfig, VoxCodecModel
    from voxtune.codec.voxcodec.data import AudioCrops, load_clips
    from voxtune.codec.voxcodec.task import CodecTask
    from voxtune.config import load_config
    from voxtune.train.loop import fit

    data, out = Path(sys.argv[1]), Path(sys.argv[2])
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    config = load_config(CodecTrainConfig, "codec-tiny", ["trainer.max_steps=3"])
    torch.manual_seed(rank)  # different initial weights: DDP must broadcast rank 0's
    model = VoxCodecModel(config.model)
    clips, _ = load_clips(data, 16000, [], show_progress=False)
    crops = AudioCrops([a for _, a in clips], 7680, 4, seed=0, rank=rank, world_size=world)
    first = crops.batch(0)
    fit(CodecTask(model, config), crops, config.trainer, out, show_progress=False)
    digest = hashlib.sha256()
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().numpy().tobytes())
    (out / f"rank{rank}.txt").write_text(digest.hexdigest() + " " + str(float(first.sum())))
""")


def test_two_gloo_processes_train_one_model_on_different_data(seed, tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "run"
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
                    str(script), str(seed), str(out)], check=True, capture_output=True,
                   timeout=300)
    (hash0, data0), (hash1, data1) = ((out / f"rank{r}.txt").read_text().split()
                                      for r in (0, 1))
    assert hash0 == hash1, "the ranks' weights diverged: gradients were not averaged"
    assert data0 != data1, "both ranks drew the same crops"
    assert latest_checkpoint(out) == out / "step_000000003"
