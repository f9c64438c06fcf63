"""Reading a packed dataset by record, with the index memory-mapped.

Opening costs the same for ten clips or ten million: `records.npy` and `sentences.npy` are
memory-mapped, and each record is read from its shard only when asked for. A dataset on
any fsspec file system (`s3://…`, `gcs://…`, `file://…`) is read the same way, except that
its index is loaded rather than memory-mapped. Every read is
checked against the index, so a truncated shard or an index that disagrees with its shard
is an error naming the file, never a silently wrong record.
"""

import io
import json
from pathlib import Path

import fsspec
import numpy as np
from google.protobuf.message import DecodeError

from voxtune.data.packed import dataset_pb2
from voxtune.data.packed.format import LENGTH_PREFIX, METADATA, RECORDS, SENTENCES, shard_name
from voxtune.errors import InputError


class PackedDataset:
    """Random access to the `SpeakerData` records of a packed folder."""

    def __init__(self, path: Path | str):
        self.path = str(path).rstrip("/")
        self.fs, self._root = fsspec.core.url_to_fs(self.path)
        try:
            with self.fs.open(f"{self._root}/{METADATA}", "rb") as handle:
                self.metadata = json.loads(handle.read().decode("utf-8"))
            self.records = self._array(RECORDS)
            self.sentences = self._array(SENTENCES)
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.path}: not a readable packed dataset ({exc}); run "
                             "voxtune pack again") from exc
        if len(self.records) == 0:
            raise InputError(f"{self.path}: the packed dataset is empty")
        self.codec_id: str = self.metadata["codec"]["id"]
        for number, shard in enumerate(self.metadata["shards"]):
            path = f"{self._root}/{shard_name(number)}"
            size = self.fs.size(path) if self.fs.exists(path) else -1
            if size != shard["bytes"]:
                raise InputError(f"{path}: {size} bytes on disk, {shard['bytes']} in "
                                 f"{METADATA}; the shard is missing or truncated, pack again")

    def __len__(self) -> int:
        return len(self.records)

    def _array(self, name: str) -> np.ndarray:
        path = f"{self._root}/{name}"
        if "file" in self.fs.protocol:  # local: memory-map, so memory stays flat
            return np.load(path, mmap_mode="r")
        with self.fs.open(path, "rb") as handle:
            return np.load(io.BytesIO(handle.read()))

    def record(self, number: int) -> dataset_pb2.SpeakerData:
        """Read and parse record `number`, checking its length prefix against the index."""
        row = self.records[number]
        path = f"{self._root}/{shard_name(int(row['shard']))}"
        with self.fs.open(path, "rb") as handle:
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
