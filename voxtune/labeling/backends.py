"""Choosing and loading a transcription backend by name (see the package docstring)."""

import importlib
import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voxtune.errors import VoxtuneError

log = logging.getLogger(__name__)
# Short names of backends that live in later stages (imported only when chosen).
ALIASES = {"voxtune": "voxtune.asr.backend:VoxtuneTranscriber"}


@dataclass
class AsrConfig:
    """Which ASR labels unlabelled clips.

    `backend`: "whisper", "pocketsphinx", "voxtune" (a recognizer trained with
    `voxtune train asr`), "none" (unlabelled clips are rejected), or
    "package.module:factory" (called with this config, returns a `Transcriber`).
    `model`: for whisper, a faster-whisper model folder or hub id (empty: the packaged
    Whisper-base); for voxtune, the model folder (a `step_…` checkpoint).
    `fallback`: backend tried when `backend` cannot be loaded; "" for none.
    `label_missing`: also transcribe audio that lacks its label in a labelled layout
    (by default such a file is set aside, since a missing label is usually a mistake);
    long unlabelled recordings are always transcribed.
    """

    backend: str = "whisper"
    label_missing: bool = False
    model: str = ""
    fallback: str = "pocketsphinx"
    beam_size: int = 5
    threads: int = 0  # CPU threads per worker; 0 lets the backend decide


@dataclass(frozen=True)
class Word:
    """One word and when it is said, in seconds from the clip's start."""

    word: str
    start: float
    end: float


@dataclass(frozen=True)
class Segment:
    """A stretch of the transcript and its times in seconds from the clip's start, with
    Whisper's own measures of how sure it was where the backend has them (as Whisper's
    and OpenAI's verbose output report them)."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    tokens: tuple[int, ...] = ()
    seek: int = 0
    temperature: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    no_speech_prob: float = 0.0


@dataclass(frozen=True)
class Transcript:
    """What a backend heard, and in which language (the detected one when asked "auto");
    `segments` are empty where the backend does not time its output."""

    text: str
    language: str
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True)
class TranscribeOptions:
    """What a caller may ask beyond the language: a `prompt` of earlier text or spellings,
    the sampling `temperature` (0: the most likely words), and `words`: time each word.
    Only Whisper can honour them; the other backends take them and transcribe as usual."""

    prompt: str = ""
    temperature: float = 0.0
    words: bool = False


class Transcriber(Protocol):
    name: str

    def transcribe(self, samples: np.ndarray, rate: int, language: str,
                   options: TranscribeOptions | None = None) -> Transcript:
        """Transcribe a mono float clip at `rate` Hz.

        `language` is ISO 639-1 ("en", "zh"), or "auto" to let the backend detect it.
        """
        ...


def load_transcriber(config: AsrConfig) -> Transcriber | None:
    """The configured backend, or its fallback with a warning, or None for "none"."""
    try:
        return _load(config.backend, config)
    except VoxtuneError as exc:
        if not config.fallback or config.fallback == config.backend:
            raise
        log.warning("ASR backend %r unavailable (%s); falling back to %r",
                    config.backend, exc, config.fallback)
        return _load(config.fallback, config)


def _load(name: str, config: AsrConfig) -> Transcriber | None:
    if name == "none":
        return None
    if name == "whisper":
        from voxtune.labeling.whisper import WhisperTranscriber

        return WhisperTranscriber(config)
    if name == "pocketsphinx":
        from voxtune.labeling.sphinx import SphinxTranscriber

        return SphinxTranscriber()
    module_name, sep, factory = ALIASES.get(name, name).partition(":")
    if not sep:
        raise VoxtuneError(f"unknown ASR backend {name!r}; use whisper, pocketsphinx, voxtune, "
                           "none, or package.module:factory")
    try:
        return getattr(importlib.import_module(module_name), factory)(config)
    except (ImportError, AttributeError) as exc:
        raise VoxtuneError(f"ASR backend {name!r} cannot be loaded: {exc}") from exc
