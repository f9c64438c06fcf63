"""VoxCodec, voxtune's own small trainable codec (the embedded default); see `model.py`."""

from voxtune.codec.voxcodec.codec import VoxCodec
from voxtune.codec.voxcodec.config import CodecTrainConfig, VoxCodecConfig
from voxtune.codec.voxcodec.model import VoxCodecModel

__all__ = ["CodecTrainConfig", "VoxCodec", "VoxCodecConfig", "VoxCodecModel"]
