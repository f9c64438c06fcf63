"""The `voxtune prepare` config: one dataclass per step, each with an `enabled` switch."""

from dataclasses import dataclass, field

from voxtune.audio.denoise import DenoiseConfig
from voxtune.audio.loudness import LoudnessConfig
from voxtune.audio.slicer import SlicerConfig
from voxtune.audio.vad import VadConfig
from voxtune.data.gate import GateConfig
from voxtune.labeling import AsrConfig


@dataclass
class AudioConfig:
    """Decoding and format steps. `sample_rate` in Hz; `format` of the written clips.

    Files with more than `max_channels` channels are set aside: they are usually
    multitrack sessions or surround mixes, whose plain average is not a voice recording.
    """

    sample_rate: int = 24000
    resample: bool = True
    mono: bool = True
    max_channels: int = 8
    format: str = "wav"


@dataclass
class PrepareConfig:
    """Every step of preparation, in the order it runs.

    decode → mono → resample → slice (unlabelled audio only) → VAD trim → denoise →
    measure → transcribe (unlabelled clips) → gate → loudness → write.
    `language` is used where a layout does not say (ISO 639-1, like "en" or "zh"); "auto"
    lets the ASR backend detect the language of each unlabelled clip.
    """

    language: str = "en"
    audio: AudioConfig = field(default_factory=AudioConfig)
    slicer: SlicerConfig = field(default_factory=SlicerConfig)
    vad: VadConfig = field(default_factory=VadConfig)
    denoise: DenoiseConfig = field(default_factory=DenoiseConfig)
    asr: AsrConfig = field(default_factory=AsrConfig)
    gate: GateConfig = field(default_factory=GateConfig)
    loudness: LoudnessConfig = field(default_factory=LoudnessConfig)
