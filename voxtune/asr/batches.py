"""Training batches of clips under a budget of audio frames: bucketed, shuffled, resumable.

Each epoch, as lhotse's duration buckets and Fun-ASR's `batch_type: token` do:

1. the clips are visited in a permutation seeded by (seed, epoch); under data parallelism
   rank r of w keeps every w-th clip of it;
2. within windows of `bucket_size` clips they are sorted by length, and a batch is cut as
   soon as clips × longest clip would pass `max_frames` (10 ms frames; a Whisper encoder's
   window counts whole, since its input is padded to it), so padding stays small and every
   batch holds about the same amount of audio;
3. the batches are shuffled again, so lengths are not ordered over the epoch.

The plan needs only the clip lengths read from the headers, so resuming mid-epoch
(`state_dict`/`load_state_dict`) skips the finished batches without decoding them and
yields exactly what an uninterrupted run would. Decoding and features run in
`num_workers` processes ahead of training; token sequences are built in the main process.
"""

from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from voxtune.asr.augment import spec_augment
from voxtune.asr.config import SpecAugmentConf
from voxtune.asr.data import AsrExample
from voxtune.asr.frontend import Frontend, load_16k
from voxtune.asr.sequences import (
    ChatEncoder,
    collate_ctc_targets,
    collate_features,
    collate_tokens,
)
from voxtune.errors import InputError

Batch = dict[str, torch.Tensor]


class ClipFeatures(Dataset):
    """Item (epoch, index) → (index, features [T, bins], frames holding the clip).

    The epoch is part of the key so that SpecAugment masks differ between epochs yet are the
    same whenever the same clip of the same epoch is drawn again (a resumed run)."""

    def __init__(self, examples: list[AsrExample], frontend: Frontend,
                 augment: SpecAugmentConf | None = None, seed: int = 0):
        self.examples, self.frontend, self.augment, self.seed = examples, frontend, augment, seed

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, key: tuple[int, int]) -> tuple[int, np.ndarray, int]:
        epoch, index = key
        example = self.examples[index]
        samples = load_16k(example.audio, example.start, example.end)
        features = self.frontend(samples)
        frames = self.frontend.frames(len(samples))
        if self.augment is not None and self.augment.enabled:
            rng = np.random.default_rng([self.seed, epoch, index])
            features = spec_augment(features, frames, self.augment, rng)
        return index, features, frames


def _collate(items: list[tuple[int, np.ndarray, int]]
             ) -> tuple[list[int], torch.Tensor, torch.Tensor]:
    features, lengths = collate_features([f for _, f, _ in items], [n for _, _, n in items])
    return [i for i, _, _ in items], features, lengths


class FrameBatches:
    """The training stream (see the module docstring); a `voxtune.train.Batches`.

    `positions(frames)` is the number of LLM positions a clip of that many frames takes."""

    def __init__(self, examples: list[AsrExample], frontend: Frontend, chat: ChatEncoder,
                 positions: Callable[[int], int], max_frames: int, bucket_size: int = 256,
                 seed: int = 0, rank: int = 0, world_size: int = 1, num_workers: int = 0,
                 augment: SpecAugmentConf | None = None):
        if not 0 <= rank < world_size:
            raise InputError(f"rank {rank} is outside world size {world_size}")
        self.examples, self.chat, self.positions = examples, chat, positions
        self.dataset = ClipFeatures(examples, frontend, augment, seed)
        self.costs = np.array([frontend.window_frames or frontend.frames(e.samples)
                               for e in examples], dtype=np.int64)
        self.max_frames, self.bucket_size, self.seed = max_frames, bucket_size, seed
        self.rank, self.world, self.num_workers = rank, world_size, num_workers
        self.epoch, self._done = 0, 0

    def state_dict(self) -> dict[str, int]:
        """Where the stream is: the epoch and the batches of it already yielded."""
        return {"epoch": self.epoch, "batches_done": self._done, "seed": self.seed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        if state.get("seed", self.seed) != self.seed:
            raise InputError(f"cannot resume: the run used seed {state['seed']}, this one "
                             f"{self.seed}; set trainer.seed back")
        self.epoch, self._done = int(state["epoch"]), int(state["batches_done"])

    def plan(self, epoch: int) -> list[list[int]]:
        """The epoch's batches as lists of example indices; decodes nothing."""
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(len(self.examples))[self.rank::self.world]
        batches: list[list[int]] = []
        for window in range(0, len(order), self.bucket_size):
            members = sorted(order[window:window + self.bucket_size].tolist(),
                             key=lambda i: self.costs[i])
            batch: list[int] = []
            for i in members:
                if batch and (len(batch) + 1) * self.costs[i] > self.max_frames:
                    batches.append(batch)
                    batch = []
                batch.append(i)
            if batch:
                batches.append(batch)
        return [batches[i] for i in rng.permutation(len(batches))]

    def __iter__(self) -> Iterator[Batch]:
        """The rest of the current epoch; the next call starts the next epoch."""
        rest = [[(self.epoch, i) for i in batch] for batch in self.plan(self.epoch)[self._done:]]
        # its own generator: a DataLoader otherwise draws its worker seed from the global
        # RNG, and one extra draw at a resume would shift every later dropout mask
        loader = DataLoader(self.dataset, batch_sampler=rest, collate_fn=_collate,
                            num_workers=self.num_workers,
                            generator=torch.Generator().manual_seed(self.seed))
        for indices, features, lengths in loader:
            self._done += 1
            yield self.batch(indices, features, lengths)
        self.epoch, self._done = self.epoch + 1, 0

    def batch(self, indices: list[int], features: torch.Tensor, lengths: torch.Tensor) -> Batch:
        """The model's inputs for these examples: features and labelled token sequences."""
        sequences = []
        for index, frames in zip(indices, lengths.tolist(), strict=True):
            example = self.examples[index]
            sequences.append(self.chat.sequence(example.system, example.prompt,
                                                self.positions(frames), example.text,
                                                example.suffix))
        return {**collate_tokens(sequences, self.chat.pad), **collate_ctc_targets(sequences),
                "features": features, "feature_lengths": lengths}
