"""A trained voxtune recognizer as an ASR backend: `asr.backend=voxtune asr.model=MODEL_DIR`.

`prepare` then labels unlabelled clips with it, and `eval folder`/`eval tts` score
intelligibility with it, through the same `Transcriber` interface as Whisper. A model
fine-tuned on one person's voice transcribes that voice better than a general one, which
is what both uses want.
"""

from pathlib import Path

import numpy as np
import torch

from voxtune.asr.decode import DecodeOptions, Recognizer
from voxtune.asr.frontend import SAMPLE_RATE
from voxtune.audio.io import resample
from voxtune.errors import VoxtuneError
from voxtune.labeling.backends import AsrConfig, TranscribeOptions, Transcript


class VoxtuneTranscriber:
    """Transcribes one clip at a time with the model in `config.model` (beam
    `config.beam_size`), on a GPU when there is one."""

    def __init__(self, config: AsrConfig):
        if not config.model:
            raise VoxtuneError("asr.backend=voxtune needs asr.model=MODEL_DIR: a voxtune ASR "
                               "model folder (a step_… checkpoint of voxtune train asr)")
        if config.threads:
            torch.set_num_threads(config.threads)
        self.recognizer = Recognizer(config.model)
        self.options = DecodeOptions(beam_size=config.beam_size, batch_size=1)
        self.name = f"voxtune:{Path(config.model).name}"

    def transcribe(self, samples: np.ndarray, rate: int, language: str,
                   options: TranscribeOptions | None = None) -> Transcript:
        clip = resample(samples.astype(np.float32), rate, SAMPLE_RATE)
        text = self.recognizer.transcribe([clip], self.options)[0]
        return Transcript(text, self.recognizer.meta.language if language == "auto" else language)
