"""Reading a packed dataset by record, with the index memory-mapped.

Opening costs the same for ten clips or ten million: `records.npy` and `sentences.npy` are
memory-mapped, and each record is read from its shard only when asked for. Every read is
checked against the index, so a truncated shard or an index that disagrees with its shard
is an error naming the file, never a silently wrong record.
"""

import json
from pathlib import Path

import numpy as np
from google.protobuf.message import DecodeError

from voxtune.data.packed import dataset_pb2
from voxtune.data.packed.format import LENGTH_PREFIX, METADATA, RECORDS, SENTENCES, shard_name
from voxtune.errors import InputError


class PackedDataset:
    """Random access to the `SpeakerData` records of a packed folder."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.metadata = json.loads((self.path / METADATA).read_text(encoding="utf-8"))
            self.records = np.load(self.path / RECORDS, mmap_mode="r")
            self.sentences = np.load(self.path / SENTENCES, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.path}: not a readable packed dataset ({exc}); run "
                             "voxtune pack again") from exc
        if len(self.records) == 0:
            raise InputError(f"{self.path}: the packed dataset is empty")
        self.codec_id: str = self.metadata["codec"]["id"]
        for number, shard in enumerate(self.metadata["shards"]):
            path = self.path / shard_name(number)
            size = path.stat().st_size if path.is_file() else -1
            if size != shard["bytes"]:
                raise InputError(f"{path}: {size} bytes on disk, {shard['bytes']} in "
                                 f"{METADATA}; the shard is missing or truncated, pack again")

    def __len__(self) -> int:
        return len(self.records)

    def record(self, number: int) -> dataset_pb2.SpeakerData:
        """Read and parse record `number`, checking its length prefix against the index."""
        row = self.records[number]
        path = self.path / shard_name(int(row["shard"]))
        with open(path, "rb") as handle:
            handle.seek(int(row["offset"]) - LENGTH_PREFIX.size)
            prefix = handle.read(LENGTH_PREFIX.size)
            blob = handle.read(int(row["length"]))
        if len(prefix) < LENGTH_PREFIX.size or len(blob) != int(row["length"]):
            raise InputError(f"{path}: record {number} runs past the end of the shard; the "
                             "shard is truncated, pack again")
        if LENGTH_PREFIX.unpack(prefix)[0] != len(blob):
            raise InputError(f"{path}: record {number} has length {LENGTH_PREFIX.unpack(prefix)[0]}"
                             f" in the shard but {len(blob)} in {RECORDS}; the index does not "
                             "belong to this shard, pack again")
        message = dataset_pb2.SpeakerData()
        try:
            message.ParseFromString(blob)
        except DecodeError as exc:
            raise InputError(f"{path}: record {number} is corrupt ({exc}); pack again") from exc
        return message


def codes_of(sentence: dataset_pb2.Sentence) -> np.ndarray:
    """A sentence's codes as int64 [num_codebooks, frames]."""
    return np.array([list(row.values) for row in sentence.semantics], dtype=np.int64)


def check_codec(dataset: PackedDataset, codec_id: str) -> None:
    """Refuse training a model of one codec on tokens of another."""
    if dataset.codec_id != codec_id:
        raise InputError(f"{dataset.path}: packed with codec {dataset.codec_id}, but the model "
                         f"uses codec {codec_id}; extract and pack the data with the model's "
                         "codec")
