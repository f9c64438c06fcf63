"""The one trainer shared by codec, TTS and ASR training: `fit(task, batches, config, out)`."""

from voxtune.train.config import OptimConfig, TrainerConfig
from voxtune.train.loop import fit
from voxtune.train.task import Batches, TrainingTask

__all__ = ["Batches", "OptimConfig", "TrainerConfig", "TrainingTask", "fit"]
