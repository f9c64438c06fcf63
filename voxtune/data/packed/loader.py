"""Batches of training samples from a packed dataset: shuffled, bucketed, resumable.

A sample is one to `max_sentences` consecutive sentences of one speaker, taken from one
record (the prompt-style samples fish-speech trains on: earlier sentences of a voice
condition the later ones). Each epoch:

1. records are visited in a permutation seeded by (seed, epoch), and each record's
   sentences are cut into runs of random length 1..`max_sentences`, one sample per run,
   so every sentence is seen once per epoch;
2. under data parallelism, rank r of w keeps every w-th record of that order;
3. samples are sorted by length within windows of `bucket_size`, so a batch holds similar
   lengths, and batches are cut so that batch size × longest sample ≤ `max_tokens` frames;
4. the batches are shuffled again, so lengths are not ordered over the epoch.

The plan is computed from the memory-mapped index alone, so resuming mid-epoch
(`state_dict` / `load_state_dict`) skips finished batches without reading a shard, and
gives exactly the batches an uninterrupted run would have given.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from voxtune.data.packed.reader import PackedDataset, codes_of
from voxtune.errors import InputError


@dataclass(frozen=True)
class Sample:
    """Consecutive sentences of one speaker: texts, their phonemes as `voxtune pack` stored
    them (joined by spaces; "" where it stored none), their languages and int64 codes
    [codebooks, frames] each."""

    speaker: str
    ids: list[str]
    texts: list[str]
    codes: list[np.ndarray]
    languages: list[str]
    phonemes: list[str]

    @property
    def frames(self) -> int:
        return sum(c.shape[1] for c in self.codes)


class PackedLoader:
    """Iterate over batches (lists of `Sample`) of one epoch at a time; see module docstring.

    `records` restricts the loader to those record numbers (a training or validation split).
    """

    def __init__(self, dataset: PackedDataset, max_tokens: int = 8192, max_sentences: int = 4,
                 bucket_size: int = 256, seed: int = 0, rank: int = 0, world_size: int = 1,
                 records: np.ndarray | None = None):
        if not 0 <= rank < world_size:
            raise InputError(f"rank {rank} is outside world size {world_size}")
        self.dataset, self.max_tokens, self.max_sentences = dataset, max_tokens, max_sentences
        self.bucket_size, self.seed, self.rank, self.world = bucket_size, seed, rank, world_size
        self.subset = np.arange(len(dataset)) if records is None else np.asarray(records)
        counts = np.asarray(dataset.records["sentences"], dtype=np.int64)
        self._first_sentence = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.epoch, self._done = 0, 0

    def state_dict(self) -> dict[str, int]:
        """Where the loader is: the epoch and the batches of it already yielded."""
        return {"epoch": self.epoch, "batches_done": self._done, "seed": self.seed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        if state.get("seed", self.seed) != self.seed:
            raise InputError(f"cannot resume: the run used seed {state['seed']}, this loader "
                             f"{self.seed}")
        self.epoch, self._done = int(state["epoch"]), int(state["batches_done"])

    def plan(self, epoch: int) -> list[list[tuple[int, int, int]]]:
        """The epoch's batches as (record, first sentence, count) triples; reads no shard."""
        rng = np.random.default_rng([self.seed, epoch])
        order = self.subset[rng.permutation(len(self.subset))][self.rank::self.world]
        specs, lengths = [], []
        frames = self.dataset.sentences["frames"]
        for record in order:
            available = int(self.dataset.records[record]["sentences"])
            first = 0
            while first < available:  # cover the record with runs of 1..max_sentences
                count = int(rng.integers(1, min(available - first, self.max_sentences) + 1))
                start = int(self._first_sentence[record]) + first
                specs.append((int(record), first, count))
                lengths.append(int(frames[start:start + count].sum()))
                first += count
        batches = []
        for window in range(0, len(specs), self.bucket_size):
            members = sorted(range(window, min(window + self.bucket_size, len(specs))),
                             key=lambda i: lengths[i])
            batch: list[int] = []
            for i in members:
                if batch and (len(batch) + 1) * lengths[i] > self.max_tokens:
                    batches.append([specs[j] for j in batch])
                    batch = []
                batch.append(i)
            if batch:
                batches.append([specs[j] for j in batch])
        return [batches[i] for i in rng.permutation(len(batches))]

    def __iter__(self) -> Iterator[list[Sample]]:
        """The rest of the current epoch; the next call starts the next epoch."""
        batches = self.plan(self.epoch)
        while self._done < len(batches):
            batch = batches[self._done]
            self._done += 1
            yield [self._sample(*spec) for spec in batch]
        self.epoch, self._done = self.epoch + 1, 0

    def _sample(self, record: int, first: int, count: int) -> Sample:
        data = self.dataset.record(record)
        chosen = data.sentences[first:first + count]
        return Sample(speaker=data.speaker, ids=[s.id for s in chosen],
                      texts=[s.text for s in chosen], codes=[codes_of(s) for s in chosen],
                      languages=[s.language for s in chosen],
                      phonemes=[" ".join(s.phonemes) for s in chosen])
