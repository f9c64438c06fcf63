"""Neural audio codecs: the `Codec` protocol, `load_codec`, and the transformers backend."""

from voxtune.codec.base import Codec, codec_device, load_codec
from voxtune.codec.transformers_codec import TransformersCodec

__all__ = ["Codec", "TransformersCodec", "codec_device", "load_codec"]
