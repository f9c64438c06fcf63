"""Training sequences for VoxTTS from a packed dataset.

A sample of m consecutive sentences of one speaker becomes one sequence:

    [<spk:NAME>]  text_1 <audio> steps_1  text_2 <audio> steps_2 … text_m <audio> steps_m

where `steps_j` is sentence j's codes in the delay pattern (N + K steps, EOS included).
A model with aligned positions also gets each token's rotary position
(`voxtune.tts.positions`).
Earlier sentences are the voice prompt for later ones, so the same model clones a voice
from a reference (zero-shot) and, with the speaker token, speaks a voice learned in
fine-tuning. Labels are the local codebook ids of the next step at every position that
precedes an audio step (the `<audio>` marker and each step but the last); PAD slots and
text carry no loss.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch

from voxtune.data.packed.loader import PackedLoader, Sample
from voxtune.tts.layout import NO_TOKEN, TokenLayout, delay
from voxtune.tts.loss import IGNORE
from voxtune.tts.positions import grid_positions

# (text, its stored phonemes or "", language) → text token ids
TextEncoder = Callable[[str, str, str], list[int]]


@dataclass
class Sequence:
    """One training sequence: token grid [L, K], labels [L, K], and positions [L] when the
    model aligns them (None: consecutive)."""

    tokens: np.ndarray
    labels: np.ndarray
    positions: np.ndarray | None = None


def build_sequence(sample: Sample, layout: TokenLayout, encode_text: TextEncoder,
                   speaker_token: bool) -> Sequence:
    k = layout.num_codebooks
    parts_tokens, parts_labels = [], []

    def text_run(ids: list[int]) -> None:
        grid = np.full((len(ids), k), NO_TOKEN, dtype=np.int64)
        grid[:, 0] = ids
        parts_tokens.append(grid)
        parts_labels.append(np.full((len(ids), k), IGNORE, dtype=np.int64))

    if speaker_token and sample.speaker in layout.speakers:
        text_run([layout.speaker_id(sample.speaker)])
    for text, phonemes, language, codes in zip(sample.texts, sample.phonemes, sample.languages,
                                               sample.codes, strict=True):
        text_run(encode_text(text, phonemes, language) + [layout.audio_start])
        steps = delay(codes, layout)
        targets = np.where(steps == layout.pad, IGNORE, steps)
        parts_labels[-1][-1] = targets[0]  # the <audio> marker predicts the first step
        labels = np.full_like(steps, IGNORE)
        labels[:-1] = targets[1:]
        parts_tokens.append(layout.audio_ids(steps))
        parts_labels.append(labels)
    tokens = np.concatenate(parts_tokens)
    positions = grid_positions(tokens, layout)[0] if layout.position_rate else None
    return Sequence(tokens, np.concatenate(parts_labels), positions)


def collate(sequences: list[Sequence]) -> dict[str, torch.Tensor]:
    """Right-pad to the longest sequence: tokens with NO_TOKEN, labels with IGNORE, and
    positions (`position_ids`, only for aligned models) with 0."""
    length = max(len(s.tokens) for s in sequences)
    k = sequences[0].tokens.shape[1]
    tokens = np.full((len(sequences), length, k), NO_TOKEN, dtype=np.int64)
    labels = np.full((len(sequences), length, k), IGNORE, dtype=np.int64)
    mask = np.zeros((len(sequences), length), dtype=np.int64)
    positions = np.zeros((len(sequences), length), dtype=np.int64)
    for row, seq in enumerate(sequences):
        tokens[row, :len(seq.tokens)] = seq.tokens
        labels[row, :len(seq.labels)] = seq.labels
        mask[row, :len(seq.tokens)] = 1
        if seq.positions is not None:
            positions[row, :len(seq.positions)] = seq.positions
    batch = {"tokens": torch.from_numpy(tokens), "labels": torch.from_numpy(labels),
             "attention_mask": torch.from_numpy(mask)}
    if sequences[0].positions is not None:
        batch["position_ids"] = torch.from_numpy(positions)
    return batch


class TTSBatches:
    """`PackedLoader` batches turned into padded tensors; resumable through the loader.

    Whether a sample starts with its speaker token is drawn from a generator seeded by the
    sample's first sentence id, so a resumed run makes the same choice.
    """

    def __init__(self, loader: PackedLoader, layout: TokenLayout, encode_text: TextEncoder,
                 speaker_token_rate: float, seed: int):
        self.loader, self.layout, self.encode_text = loader, layout, encode_text
        self.rate, self.seed = speaker_token_rate, seed

    def state_dict(self) -> dict[str, int]:
        return self.loader.state_dict()

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.loader.load_state_dict(state)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        for batch in self.loader:
            yield collate([self.sequence(sample) for sample in batch])

    def validation(self) -> list[dict[str, torch.Tensor]]:
        """One pass of batches, each with a twin (`wrong_*` keys) in which every sample's
        last sentence has the text of another sample's last sentence and its own audio.

        The loss on the twin minus the loss on the batch is how much the model reads the
        text. A model that learned its corpus's audio by heart scores both alike, however
        low its loss; only this gap tells a model that reads from one that recites.
        """
        batches = list(self.loader)
        lasts = [(sample.texts[-1], sample.phonemes[-1]) for batch in batches
                 for sample in batch]
        shifted = iter(lasts[1:] + lasts[:1])
        out = []
        for batch in batches:
            wrong = [_with_last(s, *next(shifted)) for s in batch]
            merged = collate([self.sequence(sample) for sample in batch])
            merged.update({f"wrong_{key}": value for key, value in
                           collate([self.sequence(sample) for sample in wrong]).items()})
            out.append(merged)
        return out

    def sequence(self, sample: Sample) -> Sequence:
        draw = np.random.default_rng([self.seed, *sample.ids[0].encode()]).random()
        return build_sequence(sample, self.layout, self.encode_text, draw < self.rate)


def _with_last(sample: Sample, text: str, phonemes: str) -> Sample:
    """`sample` with its last sentence's text (and phonemes) replaced; its audio stays."""
    return replace(sample, texts=[*sample.texts[:-1], text],
                   phonemes=[*sample.phonemes[:-1], phonemes])
