"""`voxtune pack`: a packed dataset reads back exactly what went in; bad input is named."""

import shutil
import sys

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import SEED_CLIPS
from tests.test_codec_transformers import tiny_config
from voxtune.codec import TransformersCodec
from voxtune.codec.extract import extract
from voxtune.data.layouts import read_layout
from voxtune.data.packed import PackedDataset, check_codec, codes_of, pack
from voxtune.data.packed.format import RECORDS, shard_name
from voxtune.errors import InputError
from voxtune.text import text_to_phonemes


@pytest.fixture(scope="module")
def codec():
    return TransformersCodec.from_config(tiny_config("mimi"))


@pytest.fixture
def extracted(seed, tmp_path, codec):
    data = tmp_path / "data"
    shutil.copytree(seed, data)
    extract(data, codec, num_workers=0, show_progress=False)
    return data


def test_reads_back_text_speaker_and_codes(extracted, tmp_path, codec):
    summary = pack(extracted, tmp_path / "packed", sentences_per_record=2, shard_mb=0.0005,
                   show_progress=False)
    assert summary.sentences == len(SEED_CLIPS) and not summary.rejects
    packed = PackedDataset(tmp_path / "packed")
    assert summary.shards > 1 and len(packed) == summary.records == 4
    check_codec(packed, codec.codec_id)
    utterances = {u.id: u for u in read_layout(extracted)[0]}
    seen = set()
    for number in range(len(packed)):
        record = packed.record(number)
        assert 1 <= len(record.sentences) <= 2
        for sentence in record.sentences:
            source = utterances[sentence.id]
            assert (record.speaker, sentence.text) == (source.speaker, source.text)
            assert np.array_equal(codes_of(sentence), np.load(source.audio.with_suffix(".npy")))
            seen.add(sentence.id)
    assert seen == set(utterances)
    assert packed.metadata["speakers"] == ["alice", "zoë"]
    assert int(packed.sentences["frames"].sum()) == sum(
        np.load(u.audio.with_suffix(".npy")).shape[1] for u in utterances.values())


def test_each_sentence_carries_its_phonemes_word_by_word(extracted, tmp_path):
    pack(extracted, tmp_path / "packed", show_progress=False)
    packed = PackedDataset(tmp_path / "packed")
    sentences = [s for n in range(len(packed)) for s in packed.record(n).sentences]
    for sentence in sentences:
        assert " ".join(sentence.phonemes) == text_to_phonemes(sentence.text, sentence.language)
        assert len(sentence.phonemes) > 1


def test_without_espeak_ng_it_packs_without_phonemes(extracted, tmp_path, monkeypatch, caplog):
    def no_espeak(text, language):
        raise RuntimeError("espeak not installed on your system")

    module = sys.modules["voxtune.data.packed.pack"]  # the package's `pack` is the function
    monkeypatch.setattr(module, "text_to_phonemes", no_espeak)
    summary = pack(extracted, tmp_path / "packed", show_progress=False)
    packed = PackedDataset(tmp_path / "packed")
    assert summary.sentences == len(SEED_CLIPS)
    assert not any(s.phonemes for n in range(len(packed)) for s in packed.record(n).sentences)
    assert "espeak not installed" in caplog.text


def test_missing_stale_and_malformed_codes_are_set_aside(extracted, tmp_path, espeak):
    (extracted / "alice" / "a1.npy").unlink()
    samples, rate = espeak("Changed after extraction.")
    sf.write(extracted / "alice" / "a2.wav", samples, rate)
    np.save(extracted / "zoë" / "b1.npy", np.zeros((3, 5), dtype=np.int16))
    summary = pack(extracted, tmp_path / "packed", show_progress=False)
    reasons = {r.id: r.reason for r in summary.rejects}
    assert reasons == {"alice/a1": "missing_codes", "alice/a2": "stale_codes",
                       "zoë/b1": "bad_codes"}
    assert summary.sentences == len(SEED_CLIPS) - 3


def test_truncated_shard_and_foreign_index_are_errors(extracted, tmp_path):
    pack(extracted, tmp_path / "packed", sentences_per_record=2, show_progress=False)
    shard = tmp_path / "packed" / shard_name(0)
    shard.write_bytes(shard.read_bytes()[:-10])
    with pytest.raises(InputError, match="truncated"):
        PackedDataset(tmp_path / "packed")
    pack(extracted, tmp_path / "packed", sentences_per_record=2, show_progress=False)
    records = np.load(tmp_path / "packed" / RECORDS)
    records["length"] = records["length"][::-1]
    np.save(tmp_path / "packed" / RECORDS, records)
    with pytest.raises(InputError, match="does not belong|past the end"):
        PackedDataset(tmp_path / "packed").record(0)


def test_codec_mismatch_and_empty_dataset_are_refused(extracted, tmp_path):
    pack(extracted, tmp_path / "packed", show_progress=False)
    with pytest.raises(InputError, match="extract and pack the data with the model's codec"):
        check_codec(PackedDataset(tmp_path / "packed"), "transformers:dac:000000000000")
    for npy in extracted.rglob("*.npy"):
        npy.unlink()
    with pytest.raises(InputError, match="no clip could be packed"):
        pack(extracted, tmp_path / "again", show_progress=False)
