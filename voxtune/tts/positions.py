"""Rotary positions that line a sentence's audio up with its text.

With the usual consecutive positions, the audio of a sentence starts where its text ends,
and the phoneme a frame says lies ever further back as the sentence goes on: the LM must
discover the alignment from content alone, and a small LM trained on a few hours of
speech never does (it learns the audio of its corpus by heart instead; `docs/models.md`).
Aligned positions give each sentence's text the positions `base + i` and its audio steps
`base + round(rate · t)`, `rate` being text tokens per audio step measured on the training
corpus, so the phoneme a frame says sits at about the frame's own position and attending
to it is what rotary attention does most easily. The next sentence starts `SEGMENT_GAP`
past the longer of the two.

Positions follow from the token grid alone (text rows, then audio rows, per sentence), so
training, prompting and decoding compute them the same way.
"""

from collections.abc import Iterable

import numpy as np

from voxtune.tts.layout import TokenLayout

SEGMENT_GAP = 16


def is_audio(grid: np.ndarray, layout: TokenLayout) -> np.ndarray:
    """Which rows of a token grid [L, K] are audio steps (codebook 0's span)."""
    first = grid[:, 0]
    return (first >= layout.audio_offset) & (first < layout.speaker_offset)


def grid_positions(grid: np.ndarray, layout: TokenLayout) -> tuple[np.ndarray, int]:
    """(positions [L], base of audio that would follow the grid).

    Consecutive (0 … L−1, then L) when the layout has no `position_rate`; else aligned: the
    base returned is that of the grid's last sentence, whose audio is still to come."""
    if layout.position_rate is None:
        return np.arange(len(grid)), len(grid)
    audio = is_audio(grid, layout)
    positions = np.empty(len(grid), dtype=np.int64)
    base, text_count, audio_count = 0, 0, 0
    for row, is_step in enumerate(audio):
        if is_step:
            positions[row] = base + round(layout.position_rate * audio_count)
            audio_count += 1
            continue
        if audio_count:  # a new sentence begins after the last one's audio
            base += max(text_count, round(layout.position_rate * audio_count)) + SEGMENT_GAP
            text_count, audio_count = 0, 0
        positions[row] = base + text_count
        text_count += 1
    return positions, base


def expected_steps(grid: np.ndarray, layout: TokenLayout) -> float | None:
    """Audio steps (frames + K) that the grid's last sentence, still to be spoken, is
    expected to take: its text rows over `position_rate`; None without aligned positions."""
    if layout.position_rate is None:
        return None
    audio = np.flatnonzero(is_audio(grid, layout))
    text_rows = len(grid) - (int(audio[-1]) + 1 if len(audio) else 0)
    return text_rows / layout.position_rate


def measure_rate(pairs: Iterable[tuple[int, int]]) -> float:
    """Text tokens per audio step over (text tokens, audio steps) pairs of a corpus."""
    text, steps = map(sum, zip(*pairs, strict=True))
    return text / steps
