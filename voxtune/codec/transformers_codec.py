"""`TransformersCodec`: the Mimi, DAC and EnCodec models of `transformers` behind `Codec`.

Only mono models are supported. Each family is read for its sample rate (Hz), hop (samples per
frame), frame rate (frames per second) and codebooks; see `_family_layout`.
"""

import hashlib
import json
import math

import torch
from transformers import (
    AutoConfig,
    DacModel,
    EncodecModel,
    MimiModel,
    PretrainedConfig,
    PreTrainedModel,
)

from voxtune.errors import InputError

MODEL_CLASSES: dict[str, type[PreTrainedModel]] = {
    "mimi": MimiModel,
    "dac": DacModel,
    "encodec": EncodecModel,
}
SUPPORTED_MODEL_TYPES = frozenset(MODEL_CLASSES)
# Config keys that change when a config is saved or loaded but not what the model computes.
_VOLATILE_CONFIG_KEYS = {"transformers_version", "_name_or_path", "architectures", "dtype",
                         "torch_dtype", "_commit_hash"}


class TransformersCodec:
    """A `transformers` Mimi, DAC or EnCodec model used as a `Codec`.

    EnCodec codes all of `target_bandwidths[-1]`'s quantizers (the most, hence best quality);
    its codebooks are residual, so the first k of them are the codes of a lower bandwidth.
    """

    def __init__(self, model: PreTrainedModel, device: str = "cpu"):
        config = model.config
        _model_class(config.model_type, "model")
        if getattr(config, "audio_channels", 1) != 1:
            raise InputError(f"{config.model_type} model has {config.audio_channels} audio "
                             "channels; only mono codecs are supported")
        self.model = model.to(device).eval()
        self.family: str = config.model_type
        self.sample_rate: int = int(config.sampling_rate)
        self.hop_length, self.frame_rate, self.num_codebooks = _family_layout(model)
        self.codebook_size: int = int(config.codebook_size)
        # EnCodec reflect-pads every convolution and zero-extends inputs shorter than the pad
        # first, so a very short item would encode differently alone and in a batch; encoding at
        # least `last_kernel_size` frames keeps every layer longer than its pad.
        self._min_frames = int(config.last_kernel_size) if self.family == "encodec" else 1
        self.codec_id: str = f"transformers:{self.family}:{_fingerprint(model)}"
        # Mimi's decoder attends over hundreds of past frames and DAC's and EnCodec's
        # convolutions reach far: no small context makes chunks join exactly, so streaming
        # decodes whole sentences.
        self.decode_context: int | None = None

    @classmethod
    def from_pretrained(cls, name_or_path: str, device: str = "cpu") -> "TransformersCodec":
        """Load from a local folder or hub id holding a Mimi, DAC or EnCodec checkpoint."""
        config = AutoConfig.from_pretrained(name_or_path)
        model_class = _model_class(config.model_type, name_or_path)
        return cls(model_class.from_pretrained(name_or_path, config=config), device=device)

    @classmethod
    def from_config(cls, config: PretrainedConfig, device: str = "cpu") -> "TransformersCodec":
        """Randomly initialised model of `config` (tiny configs make fast offline tests)."""
        return cls(_model_class(config.model_type, "config")(config), device=device)

    @property
    def device(self) -> torch.device:
        """Where the model runs; `encode` and `decode` return on their inputs' device."""
        return next(self.model.parameters()).device

    def frames_for(self, num_samples: int) -> int:
        """Number of frames covering `num_samples` samples: ceil(num_samples / hop_length)."""
        return math.ceil(num_samples / self.hop_length)

    def save_pretrained(self, folder: str) -> None:
        """Write the model so that `load_codec(folder)` gives the same codec (and `codec_id`)."""
        self.model.save_pretrained(folder)

    @torch.inference_mode()
    def encode(self, wavs: torch.Tensor,
               lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Float [batch, samples] at `sample_rate`, valid lengths in samples [batch]
        → int64 codes [batch, num_codebooks, frames] and valid lengths in frames [batch].

        Samples past each length are zeroed and the batch is right-padded with zeros to a whole
        number of frames; frames past an item's length are meaningless and should be masked.
        Mimi and EnCodec are causal, so an item's codes do not depend on its batch; DAC is not,
        so its last frames (within its receptive field of the end) can differ slightly.
        """
        if wavs.ndim != 2 or lengths.shape != (wavs.shape[0],):
            raise ValueError(f"expected wavs [batch, samples] and lengths [batch], got "
                             f"{tuple(wavs.shape)} and {tuple(lengths.shape)}")
        lengths = lengths.to(torch.long).cpu()
        if wavs.shape[0] == 0 or lengths.min() < 1 or lengths.max() > wavs.shape[1]:
            raise ValueError(f"lengths must be in [1, {wavs.shape[1]}] samples, got "
                             f"{lengths.tolist()}")
        out_device = wavs.device
        num_frames = self.frames_for(int(lengths.max()))
        total = max(num_frames, self._min_frames) * self.hop_length
        mask = torch.arange(total)[None, :] < lengths[:, None]
        audio = torch.zeros(len(lengths), total, dtype=self.model.dtype)
        width = min(wavs.shape[1], total)
        audio[:, :width] = wavs[:, :width].detach().cpu().to(self.model.dtype)
        audio = (audio * mask).to(self.device)[:, None, :]  # [batch, channel, samples]
        mask = mask.to(self.device)[:, None, :]
        if self.family == "mimi":
            # Mimi's encoder accepts but (transformers 5.23) ignores the mask: its causal
            # convolutions and attention keep right-padding out of earlier frames.
            codes = self.model.encode(audio, padding_mask=mask).audio_codes
        elif self.family == "dac":
            codes = self.model.encode(audio).audio_codes  # no padding mask in DAC
        else:
            # [chunks=1, batch, codebooks, frames]; chunked (48 kHz) models are refused in init.
            out = self.model.encode(audio, padding_mask=mask, bandwidth=self._bandwidth)
            codes = out.audio_codes[0]
        codes = codes[:, :, :num_frames].to(torch.long)
        frame_lengths = torch.tensor([self.frames_for(int(n)) for n in lengths])
        return codes.to(out_device), frame_lengths.to(out_device)

    @torch.inference_mode()
    def decode(self, codes: torch.Tensor,
               lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Codes [batch, num_codebooks, frames], valid lengths in frames [batch]
        → float32 [batch, samples] at `sample_rate` and valid lengths in samples [batch].

        Codes past each length (e.g. a collator's -100) are replaced by 0 before decoding and
        samples past each returned length are zeroed. The returned length is frames × hop, so it
        can exceed the original recording by up to one frame: trim to the length you know.
        """
        if (codes.ndim != 3 or codes.shape[1] != self.num_codebooks
                or lengths.shape != (codes.shape[0],)):
            raise ValueError(f"expected codes [batch, {self.num_codebooks}, frames] and lengths "
                             f"[batch], got {tuple(codes.shape)} and {tuple(lengths.shape)}")
        lengths = lengths.to(torch.long).cpu()
        if codes.shape[0] == 0 or lengths.min() < 1 or lengths.max() > codes.shape[2]:
            raise ValueError(f"lengths must be in [1, {codes.shape[2]}] frames, got "
                             f"{lengths.tolist()}")
        out_device = codes.device
        num_frames = int(lengths.max())
        valid = (torch.arange(num_frames)[None, :] < lengths[:, None])[:, None, :]
        codes = codes.detach().cpu()[:, :, :num_frames].to(torch.long)
        if ((codes < 0) | (codes >= self.codebook_size))[valid.expand_as(codes)].any():
            raise ValueError(f"codes must be in [0, {self.codebook_size}) within their lengths")
        codes = (codes * valid).to(self.device)
        if self.family == "mimi":
            audio = self.model.decode(codes).audio_values[:, 0]
        elif self.family == "dac":
            audio = self.model.decode(audio_codes=codes).audio_values
        else:
            # Unnormalised EnCodec has no per-item scale: audio_scales is [None] for one chunk.
            audio = self.model.decode(codes[None], audio_scales=[None]).audio_values[:, 0]
        sample_lengths = torch.clamp(lengths * self.hop_length, max=audio.shape[-1])
        audio = audio[:, : int(sample_lengths.max())].float().cpu()
        audio = audio * (torch.arange(audio.shape[-1])[None, :] < sample_lengths[:, None])
        return audio.to(out_device), sample_lengths.to(out_device)

    @property
    def _bandwidth(self) -> float:
        """EnCodec bandwidth in kbps that gives `num_codebooks` quantizers."""
        return max(self.model.config.target_bandwidths)


def _model_class(model_type: str, source: str) -> type[PreTrainedModel]:
    """The transformers class for `model_type`; `source` names what it was read from."""
    if model_type not in MODEL_CLASSES:
        raise InputError(f"{source}: model_type {model_type!r} is not a supported codec; use one "
                         f"of {', '.join(sorted(SUPPORTED_MODEL_TYPES))}")
    return MODEL_CLASSES[model_type]


def _family_layout(model: PreTrainedModel) -> tuple[int, float, int]:
    """(hop in samples per frame, frames per second, number of codebooks) for a codec model."""
    config = model.config
    if config.model_type == "mimi":
        return int(config.frame_size), float(config.frame_rate), int(config.num_quantizers)
    if config.model_type == "dac":
        # DacConfig.frame_rate reads upsampling_ratios, not the hop; compute it directly.
        hop = int(config.hop_length)
        return hop, config.sampling_rate / hop, int(config.n_codebooks)
    if config.chunk_length_s is not None or config.normalize:
        raise InputError("EnCodec models that chunk or normalise their input (e.g. the 48 kHz "
                         "one) need per-chunk scales that codes alone cannot carry; use a model "
                         "with chunk_length_s=None and normalize=False (e.g. the 24 kHz one)")
    # EncodecConfig.frame_rate is rounded up to an int; the hop gives the exact rate.
    hop = int(config.hop_length)
    bandwidth = max(config.target_bandwidths)
    num_codebooks = model.quantizer.get_num_quantizers_for_bandwidth(bandwidth)
    return hop, config.sampling_rate / hop, int(num_codebooks)


def _fingerprint(model: PreTrainedModel) -> str:
    """First 12 hex digits of the sha256 of the config (less volatile keys) and all weights."""
    digest = hashlib.sha256()
    config = {k: v for k, v in model.config.to_dict().items() if k not in _VOLATILE_CONFIG_KEYS}
    digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    for name, tensor in sorted(model.state_dict().items()):
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:12]
