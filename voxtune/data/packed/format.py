"""The on-disk shapes shared by the packer and the reader (see the package docstring)."""

import struct

import numpy as np

LENGTH_PREFIX = struct.Struct("<Q")
METADATA = "dataset.json"
RECORDS = "records.npy"
SENTENCES = "sentences.npy"
RECORD_DTYPE = np.dtype([("shard", "<u4"), ("offset", "<u8"), ("length", "<u8"),
                         ("speaker", "<u4"), ("sentences", "<u4"), ("frames", "<u8")])
SENTENCE_DTYPE = np.dtype([("record", "<u8"), ("position", "<u4"), ("frames", "<u4")])


def shard_name(number: int) -> str:
    return f"shard-{number:05d}.bin"
