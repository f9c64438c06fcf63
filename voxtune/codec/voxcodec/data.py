"""Training audio for VoxCodec: random fixed-length crops of a prepared dataset's clips.

All clips are decoded once, resampled to the codec's rate and kept in memory as 16-bit
samples (an hour of 16 kHz audio is 115 MB). A batch is `batch_size` crops of
`segment_seconds`, from clips drawn in proportion to their duration, so every second of
audio is equally likely; clips shorter than a crop are zero-padded. Batch i of rank r comes
from a generator seeded by (seed, r, i), so resuming at batch i gives exactly the batches an
uninterrupted run would have given, and ranks under torchrun draw different crops.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from voxtune.audio.io import read_audio, resample
from voxtune.data.layouts import read_layout
from voxtune.data.manifest import Reject
from voxtune.errors import ClipRejected, InputError

_INT16 = 32767.0


def load_clips(data: Path, sample_rate: int, speakers: list[str],
               show_progress: bool = True) -> tuple[list[tuple[str, np.ndarray]], list[Reject]]:
    """(clip id, int16 mono audio at `sample_rate`) for every readable clip of the dataset.

    `speakers` keeps only those speakers (empty: all). Unreadable clips come back as rejects.
    """
    utterances, rejects = read_layout(data)
    if speakers:
        utterances = [u for u in utterances if u.speaker in speakers]
    clips = []
    for utt in tqdm(utterances, desc="load audio", unit="clip", disable=not show_progress):
        try:
            audio, rate = read_audio(utt.audio)
        except ClipRejected as exc:
            rejects.append(Reject(str(utt.audio), exc.reason, str(exc), id=utt.id))
            continue
        if utt.start is not None or utt.end is not None:
            audio = audio[:, int((utt.start or 0) * rate):
                          int(utt.end * rate) if utt.end is not None else None]
        mono = resample(audio.mean(axis=0), rate, sample_rate)
        clips.append((utt.id, np.round(np.clip(mono, -1, 1) * _INT16).astype(np.int16)))
    if not clips:
        wanted = f" of speakers {', '.join(speakers)}" if speakers else ""
        raise InputError(f"{data}: no readable clips{wanted} to train the codec on; "
                         "prepare a dataset first (voxtune prepare)")
    return clips, rejects


class AudioCrops:
    """Batches of crops, float32 [batch_size, segment_samples]; see the module docstring.

    One "epoch" is as many batches as it takes to draw the dataset's duration once.
    """

    def __init__(self, clips: list[np.ndarray], segment_samples: int, batch_size: int,
                 seed: int = 0, rank: int = 0, world_size: int = 1):
        self.clips, self.segment, self.batch_size = clips, segment_samples, batch_size
        self.seed, self.rank = seed, rank
        lengths = np.array([len(c) for c in clips], dtype=np.float64)
        self.weights = lengths / lengths.sum()
        total = lengths.sum() / (segment_samples * batch_size * world_size)
        self.batches_per_epoch = max(1, int(total))
        self.drawn = 0

    def state_dict(self) -> dict[str, int]:
        return {"drawn": self.drawn, "seed": self.seed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        if state.get("seed", self.seed) != self.seed:
            raise InputError(f"cannot resume: the run used seed {state['seed']}, "
                             f"this one {self.seed}")
        self.drawn = int(state["drawn"])

    def __iter__(self) -> Iterator[torch.Tensor]:
        end = (self.drawn // self.batches_per_epoch + 1) * self.batches_per_epoch
        while self.drawn < end:
            batch = self.batch(self.drawn)
            self.drawn += 1
            yield batch

    def batch(self, index: int) -> torch.Tensor:
        """Batch number `index` of this rank, the same on every call."""
        rng = np.random.default_rng([self.seed, self.rank, index])
        out = np.zeros((self.batch_size, self.segment), dtype=np.float32)
        for row, clip in enumerate(rng.choice(len(self.clips), self.batch_size, p=self.weights)):
            audio = self.clips[clip]
            start = int(rng.integers(0, max(1, len(audio) - self.segment + 1)))
            piece = audio[start:start + self.segment]
            out[row, :len(piece)] = piece / _INT16
        return torch.from_numpy(out)


def validation_batches(clips: list[np.ndarray], segment_samples: int,
                       batch_size: int) -> list[torch.Tensor]:
    """The first `segment_samples` of each held-out clip (zero-padded), in fixed batches."""
    rows = np.zeros((len(clips), segment_samples), dtype=np.float32)
    for row, audio in enumerate(clips):
        piece = audio[:segment_samples]
        rows[row, :len(piece)] = piece / _INT16
    return [torch.from_numpy(rows[i:i + batch_size]) for i in range(0, len(rows), batch_size)]
