"""Where text, audio and speaker tokens sit in the LM's vocabulary, and the delay pattern.

Vocabulary: `[text tokens][<audio>][codebook 0: codes, EOS, PAD][codebook 1: …]…[speakers]`.
Speakers come last so a speaker learned in fine-tuning appends a row and moves nothing.

**Several codebooks: the delay pattern (MusicGen).** One LM position per codec frame; at
step s, codebook k holds frame s − k. All codebooks are predicted in parallel from one hidden
state, yet codebook k still sees codebooks < k of its own frame (they were emitted one or
more steps earlier). Why this and not fish-speech's slow + fast transformer or flattening:
the LM runs once per frame (25 steps per second of audio, not 100), which is what makes
real-time CPU synthesis and fast GPU decoding reachable, and it needs no second network.
VoxCodec's residual codebooks go coarse to fine, the order the delay favours.

For a sentence of N frames the audio segment has N + K steps: codebook k holds PAD before
its first frame (s < k), its frames, then EOS at s = N + k, then PAD.
"""

from dataclasses import dataclass, field

import numpy as np

NO_TOKEN = -1  # an empty codebook slot (text positions carry one token, in slot 0)


@dataclass
class TokenLayout:
    """The vocabulary of a VoxTTS model; stored in its folder's `voxtts.yaml`.

    `position_rate` (text tokens per audio step) aligns each sentence's audio positions with
    its text's (`voxtune.tts.positions`); None keeps positions consecutive."""

    text_vocab: int
    num_codebooks: int
    codebook_size: int
    speakers: list[str] = field(default_factory=list)
    position_rate: float | None = None

    @property
    def audio_start(self) -> int:
        """The `<audio>` marker: the next position is the first audio step."""
        return self.text_vocab

    @property
    def codebook_span(self) -> int:
        """Ids per codebook: the codes, then EOS, then PAD."""
        return self.codebook_size + 2

    @property
    def eos(self) -> int:
        """Local id (within a codebook) of end-of-audio."""
        return self.codebook_size

    @property
    def pad(self) -> int:
        """Local id of the delay pattern's filler."""
        return self.codebook_size + 1

    @property
    def audio_offset(self) -> int:
        return self.text_vocab + 1

    @property
    def speaker_offset(self) -> int:
        return self.audio_offset + self.num_codebooks * self.codebook_span

    @property
    def vocab_size(self) -> int:
        return self.speaker_offset + len(self.speakers)

    def audio_ids(self, local: np.ndarray) -> np.ndarray:
        """Local ids [..., K] → vocabulary ids, codebook k shifted by its offset."""
        return local + self.audio_offset + np.arange(self.num_codebooks) * self.codebook_span

    def speaker_id(self, name: str) -> int:
        return self.speaker_offset + self.speakers.index(name)


def delay(codes: np.ndarray, layout: TokenLayout) -> np.ndarray:
    """Codes [K, N] → local ids [N + K, K] in the delay pattern, EOS included."""
    k, n = codes.shape
    steps = np.full((n + k, k), layout.pad, dtype=np.int64)
    for book in range(k):
        steps[book:book + n, book] = codes[book]
        steps[book + n, book] = layout.eos
    return steps


def undelay(steps: np.ndarray, layout: TokenLayout) -> np.ndarray:
    """Local ids [S, K] (as generated, up to and possibly past EOS) → codes [K, N]."""
    k = layout.num_codebooks
    eos = np.flatnonzero(steps[:, 0] == layout.eos)
    complete = max(0, len(steps) - k + 1)  # frames whose every codebook was generated
    n = min(int(eos[0]), complete) if len(eos) else complete
    codes = np.stack([steps[book:book + n, book] for book in range(k)])
    if n and (codes >= layout.codebook_size).any():
        codes = np.minimum(codes, layout.codebook_size - 1)  # a stray EOS/PAD inside a frame
    return codes.astype(np.int64)
