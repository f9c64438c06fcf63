"""pocketsphinx: CMU Sphinx's English acoustic model, dictionary and LM, inside its wheel.

Far less accurate than Whisper, but small and always available offline: the fallback.
"""

import numpy as np

from voxtune.audio.io import resample
from voxtune.errors import VoxtuneError
from voxtune.labeling.backends import TranscribeOptions, Transcript

SPHINX_RATE = 16000


class SphinxTranscriber:
    name = "pocketsphinx"

    def __init__(self) -> None:
        try:
            from pocketsphinx import Config, Decoder
        except ImportError as exc:
            raise VoxtuneError("pocketsphinx is not installed; pip install pocketsphinx") from exc
        config = Config(samprate=SPHINX_RATE)
        config["logfn"] = "/dev/null"
        self._decoder = Decoder(config)

    def transcribe(self, samples: np.ndarray, rate: int, language: str,
                   options: TranscribeOptions | None = None) -> Transcript:
        if language != "auto" and not language.startswith("en"):
            raise VoxtuneError(f"pocketsphinx has only an English model, not {language!r}")
        pcm = np.clip(resample(samples, rate, SPHINX_RATE), -1, 1)
        self._decoder.start_utt()
        self._decoder.process_raw((pcm * 32767).astype(np.int16).tobytes(), full_utt=True)
        self._decoder.end_utt()
        hypothesis = self._decoder.hyp()
        return Transcript(hypothesis.hypstr if hypothesis is not None else "", "en")
