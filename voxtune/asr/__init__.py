"""Speech recognition in the Fun-ASR-Nano style: audio encoder → adaptor → causal LM.

Train with `train_asr` (`voxtune train asr`) on ChatML JSONL or any labelled layout,
transcribe with `Recognizer` or `transcribe` (`voxtune transcribe`), score with
`voxtune eval asr`. A trained model folder loads with `load_asr`.
"""

from voxtune.asr.checkpoint import LoadedASR, load_asr
from voxtune.asr.config import ASRTrainConfig
from voxtune.asr.decode import DecodeOptions, Recognizer
from voxtune.asr.train import train_asr
from voxtune.asr.transcribe import transcribe

__all__ = ["ASRTrainConfig", "DecodeOptions", "LoadedASR", "Recognizer", "load_asr",
           "train_asr", "transcribe"]
