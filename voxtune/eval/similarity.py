"""Speaker similarity: cosine similarity of speaker embeddings (resemblyzer by default).

The embedder is pluggable (`module:factory` returning an object with
`embed(audio, rate) -> vector`), so a stronger speaker-verification model can replace
resemblyzer's d-vector without touching the callers. Synthetic voices sound alike (two
espeak-ng voices score about 0.75 against 0.84 for the same voice), so besides the plain
similarity to a target, `similarity_margin` measures how much closer an output is to its
target than to the nearest other voice.
"""

import importlib
from functools import lru_cache
from typing import Protocol

import numpy as np

from voxtune.audio.io import resample
from voxtune.errors import InputError

EMBEDDER_RATE = 16000


class SpeakerEmbedder(Protocol):
    def embed(self, audio: np.ndarray, rate: int) -> np.ndarray:
        """Mono float audio → a unit-length speaker embedding."""
        ...


class ResemblyzerEmbedder:
    """resemblyzer's GE2E d-vector (256 dims), with its own trimming of silences."""

    def __init__(self) -> None:
        from resemblyzer import VoiceEncoder

        self.encoder = VoiceEncoder(device="cpu", verbose=False)

    def embed(self, audio: np.ndarray, rate: int) -> np.ndarray:
        from resemblyzer import preprocess_wav

        wav = preprocess_wav(resample(audio.astype(np.float32), rate, EMBEDDER_RATE),
                             source_sr=EMBEDDER_RATE)
        if len(wav) < EMBEDDER_RATE // 4:
            raise InputError("too little speech to embed (under 0.25 s after trimming "
                             "silence); is the audio silent?")
        return self.encoder.embed_utterance(wav)


@lru_cache(maxsize=4)
def load_embedder(name: str = "resemblyzer") -> SpeakerEmbedder:
    """`resemblyzer`, or `package.module:factory` for your own embedder."""
    if name == "resemblyzer":
        return ResemblyzerEmbedder()
    module, _, factory = name.partition(":")
    if not factory:
        raise InputError(f"speaker embedder {name!r} is neither 'resemblyzer' nor "
                         "'package.module:factory'")
    try:
        return getattr(importlib.import_module(module), factory)()
    except (ImportError, AttributeError) as exc:
        raise InputError(f"speaker embedder {name!r} cannot be loaded ({exc})") from exc


def centroid(embeddings: list[np.ndarray]) -> np.ndarray:
    """The unit-length mean of several embeddings (a voice's reference)."""
    if not embeddings:
        raise InputError("no reference recordings to compare with")
    mean = np.mean(embeddings, axis=0)
    return mean / np.linalg.norm(mean)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def similarity_margin(output: np.ndarray, target: np.ndarray,
                      others: dict[str, np.ndarray]) -> float:
    """Similarity to the target voice minus the highest similarity to any other voice."""
    if not others:
        raise InputError("a margin needs at least one other voice to compare with")
    return cosine(output, target) - max(cosine(output, ref) for ref in others.values())
