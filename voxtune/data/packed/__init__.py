"""Packed datasets: text + codec tokens in protobuf shards with a memory-mappable index.

Layout of a packed folder:
* `shard-00000.bin`, …: records, each a little-endian uint64 byte length followed by one
  serialized `SpeakerData` message (`dataset.proto`); shards stay under a size bound.
* `records.npy`: one row per record (shard, offset, length, speaker, sentences, frames),
  read with `np.load(mmap_mode="r")` so memory does not grow with the dataset.
* `sentences.npy`: one row per sentence (record, position in it, frames), for length
  bucketing without opening shards.
* `dataset.json`: codec (id, frame rate, codebooks, codebook size), languages, speakers,
  hours, counts and each shard's size.
"""

from voxtune.data.packed.loader import PackedLoader, Sample
from voxtune.data.packed.pack import PackSummary, pack
from voxtune.data.packed.reader import PackedDataset, check_codec, codes_of

__all__ = ["PackSummary", "PackedDataset", "PackedLoader", "Sample", "check_codec", "codes_of",
           "pack"]
