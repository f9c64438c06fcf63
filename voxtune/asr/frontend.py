"""Audio front ends: 16 kHz mono audio → log-mel frames every 10 ms (25 ms windows).

Two kinds, one per encoder kind, both computed with transformers' audio utilities:

- `KaldiFbank` for voxtune's own encoder: Kaldi-compatible fbank as Fun-ASR's front end
  computes it (povey window, pre-emphasis 0.97, DC removal, power spectrum, 80 triangular
  filters on Kaldi's mel scale, natural log, `snip_edges` framing, so a clip of N samples has
  `1 + (N - 400) // 160` frames: the ChatML `speech_length`). Each clip's features are then
  normalised to zero mean and unit variance per bin, which removes the recording level and
  channel colouring that a few hours of one person's recordings cannot teach a model to
  ignore, and needs no statistics file beside the model.
- `WhisperFbank` for a Whisper encoder: Whisper's own feature extractor (log10 mel, padded to
  its fixed window), the input its weights were trained on.
"""

import math
from pathlib import Path
from typing import Protocol

import numpy as np
from transformers import WhisperFeatureExtractor
from transformers.audio_utils import mel_filter_bank, spectrogram, window_function

from voxtune.asr.config import AudioEncoderConf
from voxtune.audio.io import read_audio, resample, to_mono
from voxtune.data.layouts.lengths import fbank_frames
from voxtune.errors import InputError

SAMPLE_RATE = 16000  # Hz, what every front end here reads
HOP = 160  # samples: 10 ms
WINDOW = 400  # samples: 25 ms


class Frontend(Protocol):
    """Samples at 16 kHz → features [frames, num_bins] (float32)."""

    num_bins: int
    window_frames: int | None  # a fixed input length in frames (Whisper's window), or None

    def frames(self, num_samples: int) -> int:
        """How many frames of a clip of `num_samples` carry speech (padding excluded)."""
        ...

    def __call__(self, samples: np.ndarray) -> np.ndarray: ...


class KaldiFbank:
    """Kaldi-style 10 ms fbank with per-clip mean and variance normalisation."""

    window_frames = None

    def __init__(self, num_bins: int = 80):
        self.num_bins = num_bins
        self.window = window_function(WINDOW, "povey", periodic=False)
        self.filters = mel_filter_bank(num_frequency_bins=257, num_mel_filters=num_bins,
                                       min_frequency=20.0, max_frequency=SAMPLE_RATE / 2,
                                       sampling_rate=SAMPLE_RATE, norm=None, mel_scale="kaldi",
                                       triangularize_in_mel_space=True)

    def frames(self, num_samples: int) -> int:
        return fbank_frames(num_samples, SAMPLE_RATE)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        if len(samples) < WINDOW:
            return np.zeros((0, self.num_bins), dtype=np.float32)
        features = spectrogram(
            samples.astype(np.float64) * 32768, self.window, frame_length=WINDOW,
            hop_length=HOP, fft_length=512, power=2.0, center=False, preemphasis=0.97,
            mel_filters=self.filters, log_mel="log", mel_floor=1.192092955078125e-07,
            remove_dc_offset=True).T
        features -= features.mean(axis=0)
        features /= features.std(axis=0) + 1e-5
        return features.astype(np.float32)


class WhisperFbank:
    """Whisper's log-mel features, padded to the encoder's window."""

    def __init__(self, extractor: WhisperFeatureExtractor):
        self.extractor = extractor
        self.num_bins = extractor.feature_size
        self.window_frames = extractor.nb_max_frames

    @classmethod
    def for_window(cls, num_bins: int, seconds: float) -> "WhisperFbank":
        """Whisper's extractor for a window of `seconds` (30 for every released Whisper)."""
        return cls(WhisperFeatureExtractor(feature_size=num_bins, chunk_length=seconds))

    def frames(self, num_samples: int) -> int:
        return min(math.ceil(num_samples / HOP), self.window_frames)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        features = self.extractor(samples, sampling_rate=SAMPLE_RATE, return_tensors="np")
        return features["input_features"][0].T.astype(np.float32)

    def save(self, folder: Path) -> None:
        self.extractor.save_pretrained(str(folder))


def load_16k(path: Path, start: float | None = None, end: float | None = None) -> np.ndarray:
    """A clip (or its `start`..`end` seconds) as mono float32 samples at 16 kHz."""
    audio, rate = read_audio(Path(path), start=start, end=end)
    return resample(to_mono(audio), rate, SAMPLE_RATE).astype(np.float32)


def new_frontend(conf: AudioEncoderConf) -> Frontend:
    """The front end a new model of `conf`'s encoder kind reads (a pretrained Whisper's own
    feature extractor, from its folder or hub id)."""
    if conf.kind == "voxtune":
        return KaldiFbank(conf.mel_bins)
    if conf.pretrained is None:
        return WhisperFbank.for_window(conf.mel_bins, conf.max_seconds)
    try:
        return WhisperFbank(WhisperFeatureExtractor.from_pretrained(conf.pretrained))
    except (OSError, ValueError) as exc:
        raise InputError(f"audio_encoder_conf.pretrained={conf.pretrained!r}: no Whisper "
                         f"feature extractor there ({exc}); a Whisper folder holds "
                         "preprocessor_config.json") from exc
