"""`voxtune extract`: codes beside each clip, batched = one at a time, resumable."""

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
import torch

from tests.conftest import SEED_CLIPS
from tests.test_codec_transformers import tiny_config
from voxtune.codec import TransformersCodec
from voxtune.codec.extract import extract
from voxtune.codec.voxcodec import CodecTrainConfig, VoxCodec, VoxCodecModel
from voxtune.config import load_config
from voxtune.data.codes_index import CODES_INDEX


@pytest.fixture(scope="module", params=["mimi", "dac", "voxcodec"])
def codec(request):
    if request.param == "voxcodec":
        torch.manual_seed(0)
        return VoxCodec(VoxCodecModel(load_config(CodecTrainConfig, "codec-tiny").model))
    return TransformersCodec.from_config(tiny_config(request.param))


@pytest.fixture
def dataset(seed, tmp_path, espeak):
    data = tmp_path / "data"
    shutil.copytree(seed, data)
    for index, text in enumerate(["One more.", "Another clip of a different length here."]):
        samples, rate = espeak(text)
        sf.write(data / "alice" / f"x{index}.wav", samples, rate)
        (data / "alice" / f"x{index}.lab").write_text(text)
    return data


def _codes(data):
    return {p.relative_to(data).as_posix(): np.load(p) for p in sorted(data.rglob("*.npy"))}


def test_batched_codes_equal_one_at_a_time(codec, dataset, tmp_path):
    single = tmp_path / "single"
    shutil.copytree(dataset, single)
    batched = extract(dataset, codec, batch_size=4, num_workers=2, show_progress=False)
    alone = extract(single, codec, batch_size=1, num_workers=0, show_progress=False)
    assert batched.encoded == alone.encoded == len(SEED_CLIPS) + 2 and not batched.rejects
    ours, reference = _codes(dataset), _codes(single)
    assert ours.keys() == reference.keys() and len(ours) == len(SEED_CLIPS) + 2
    for name, codes in ours.items():
        assert np.array_equal(codes, reference[name]), name
        assert codes.dtype == np.int16 and codes.shape[0] == codec.num_codebooks
        samples, rate = sf.read(dataset / name.replace(".npy", ".wav"))
        assert codes.shape[1] == codec.frames_for(round(len(samples) * codec.sample_rate / rate))
        assert codes.min() >= 0 and codes.max() < codec.codebook_size


def test_rerun_skips_done_clips_and_redoes_changed_audio(codec, dataset, espeak):
    first = extract(dataset, codec, num_workers=0, show_progress=False)
    index = json.loads((dataset / CODES_INDEX).read_text())
    assert index["codec"]["id"] == codec.codec_id and len(index["clips"]) == first.encoded
    again = extract(dataset, codec, num_workers=0, show_progress=False)
    assert again.encoded == 0 and again.up_to_date == first.encoded
    samples, rate = espeak("This clip was recorded again.")
    sf.write(dataset / "alice" / "a1.wav", samples, rate)
    changed = extract(dataset, codec, num_workers=0, show_progress=False)
    assert changed.encoded == 1 and changed.up_to_date == first.encoded - 1


def test_another_codec_redoes_everything(dataset):
    extract(dataset, TransformersCodec.from_config(tiny_config("mimi")), num_workers=0,
            show_progress=False)
    other = extract(dataset, TransformersCodec.from_config(tiny_config("encodec")),
                    num_workers=0, show_progress=False)
    assert other.up_to_date == 0 and other.encoded == len(SEED_CLIPS) + 2


def test_unreadable_clip_is_set_aside_and_the_rest_encoded(codec, dataset):
    (dataset / "alice" / "a2.wav").write_bytes(b"not audio at all" * 50)
    summary = extract(dataset, codec, num_workers=2, show_progress=False)
    assert [r.reason for r in summary.rejects] == ["unreadable_audio"]
    assert summary.encoded == len(SEED_CLIPS) + 1
    assert not (dataset / "alice" / "a2.npy").exists()


def test_cli_extract_loads_a_codec_folder(dataset, tmp_path, capsys):
    from voxtune.cli import main

    folder = tmp_path / "codec"
    saved = TransformersCodec.from_config(tiny_config("mimi"))
    saved.save_pretrained(str(folder))
    assert main(["-q", "extract", str(dataset), "--codec", str(folder), "--num-workers", "0",
                 "--device", "cpu"]) == 0
    assert saved.codec_id in capsys.readouterr().out
    assert len(_codes(dataset)) == len(SEED_CLIPS) + 2


def test_torchrun_ranks_share_the_clips_and_merge_their_indexes(codec, dataset, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    done = 0
    for rank in ("0", "1"):
        monkeypatch.setenv("RANK", rank)
        done += extract(dataset, codec, num_workers=0, show_progress=False).encoded
    assert done == len(SEED_CLIPS) + 2
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert extract(dataset, codec, num_workers=0, show_progress=False).up_to_date == done
