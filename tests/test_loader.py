"""The packed-dataset loader: deterministic shuffles, token budgets, ranks, exact resume."""

import numpy as np
import pytest
import soundfile as sf

from tests.test_codec_transformers import tiny_config
from voxtune.codec import TransformersCodec
from voxtune.codec.extract import extract
from voxtune.data.packed import PackedDataset, PackedLoader, pack


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """48 clips of 4 speakers, 0.2–2 s each, packed 4 sentences to a record."""
    root = tmp_path_factory.mktemp("loader")
    rng = np.random.default_rng(0)
    for number in range(48):
        folder = root / "data" / f"spk{number % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        sf.write(folder / f"c{number:02d}.wav", rng.normal(0, 0.1, int(rng.uniform(0.2, 2) * 8000)),
                 8000)
        (folder / f"c{number:02d}.lab").write_text(f"clip number {number}")
    extract(root / "data", TransformersCodec.from_config(tiny_config("mimi")), num_workers=0,
            show_progress=False)
    pack(root / "data", root / "packed", sentences_per_record=4, show_progress=False)
    return PackedDataset(root / "packed")


def _ids(batches):
    return [[tuple(s.ids) for s in batch] for batch in batches]


def test_same_seed_same_batches_and_epochs_differ(packed):
    first = PackedLoader(packed, max_tokens=80, seed=3)
    again = PackedLoader(packed, max_tokens=80, seed=3)
    epoch0 = _ids(first)
    assert epoch0 == _ids(again)
    assert _ids(first) != epoch0  # the next epoch is shuffled anew


def test_batches_respect_token_budget_and_one_speaker_per_sample(packed):
    loader = PackedLoader(packed, max_tokens=80, max_sentences=3)
    batches = list(loader)
    seen = [i for batch in batches for sample in batch for i in sample.ids]
    assert sorted(seen) == sorted(set(seen)) and len(seen) == len(packed.sentences)
    for batch in batches:
        longest = max(s.frames for s in batch)
        assert len(batch) == 1 or len(batch) * longest <= 80
        for sample in batch:
            assert 1 <= len(sample.ids) <= 3
            assert {i.split("/")[0] for i in sample.ids} == {sample.speaker}
            assert all(c.shape[0] == 4 for c in sample.codes)


def test_ranks_split_the_epoch(packed):
    records = []
    for rank in range(3):
        loader = PackedLoader(packed, seed=1, rank=rank, world_size=3)
        records.append({spec[0] for batch in loader.plan(0) for spec in batch})
    # ranks take disjoint records, so no sentence is seen twice in an epoch
    assert set.union(*records) == set(range(len(packed)))
    assert sum(len(r) for r in records) == len(packed)


def test_resume_mid_epoch_gives_the_uninterrupted_batches(packed):
    whole = _ids(PackedLoader(packed, max_tokens=60, seed=5))
    interrupted = PackedLoader(packed, max_tokens=60, seed=5)
    iterator = iter(interrupted)
    head = [_ids([next(iterator)])[0] for _ in range(3)]
    state = interrupted.state_dict()
    resumed = PackedLoader(packed, max_tokens=60, seed=5)
    resumed.load_state_dict(state)
    assert head + _ids(resumed) == whole


def test_reads_through_an_fsspec_url(packed):
    remote = PackedDataset(f"file://{packed.path}")
    assert remote.record(0) == packed.record(0)


def test_reads_from_a_non_local_file_system(packed):
    import fsspec

    memory = fsspec.filesystem("memory")
    for path in sorted(packed.fs.ls(packed._root)):
        memory.pipe(f"/packed-copy/{path.rsplit('/', 1)[-1]}", packed.fs.cat(path))
    remote = PackedDataset("memory://packed-copy")
    assert not isinstance(remote.records, np.memmap)
    assert remote.record(len(packed) - 1) == packed.record(len(packed) - 1)
