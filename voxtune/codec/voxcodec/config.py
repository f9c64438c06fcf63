"""VoxCodec's configs: the model (what a checkpoint's `config.yaml` holds) and its training.

Rates: audio at `sample_rate` Hz; mel and vocoder frames every `hop_length` samples; one
token frame every `hop_length × downsample` samples. The defaults give 16 kHz audio, 100 Hz
mel frames and 25 Hz token frames with 4 residual FSQ codebooks of 8·5·5·5 = 1000 codes.
"""

from dataclasses import dataclass, field

from voxtune.train.config import OptimConfig, TrainerConfig


@dataclass
class VoxCodecConfig:
    """Architecture. `*_layers` count ConvNeXt blocks at the token rate (`low`) and at the
    mel rate (`high`); `fsq_levels` are the quantisation levels of each FSQ dimension."""

    sample_rate: int = 16000
    hop_length: int = 160
    n_fft: int = 640
    n_mels: int = 80
    downsample: int = 4
    encoder_dim: int = 256
    encoder_high_layers: int = 4
    encoder_low_layers: int = 2
    decoder_dim: int = 384
    decoder_low_layers: int = 2
    vocoder_layers: int = 6
    ffn_ratio: float = 3.0
    fsq_levels: list[int] = field(default_factory=lambda: [8, 5, 5, 5])
    num_codebooks: int = 4

    @property
    def samples_per_frame(self) -> int:
        return self.hop_length * self.downsample

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.samples_per_frame

    @property
    def codebook_size(self) -> int:
        size = 1
        for level in self.fsq_levels:
            size *= level
        return size


@dataclass
class DiscriminatorConfig:
    """HiFi-GAN multi-period and UnivNet multi-resolution discriminators (sizes in channels)."""

    periods: list[int] = field(default_factory=lambda: [2, 3, 5, 7, 11])
    mpd_channels: int = 16
    resolutions: list[list[int]] = field(
        default_factory=lambda: [[512, 128, 512], [1024, 256, 1024], [256, 64, 256]])
    mrd_channels: int = 32


@dataclass
class CodecDataConfig:
    """Training crops: `segment_seconds` of audio (rounded to whole token frames) from clips
    drawn in proportion to their duration; a few whole clips are held out for validation."""

    segment_seconds: float = 2.0
    batch_size: int = 16
    speakers: list[str] = field(default_factory=list)  # empty: every speaker
    val_clips: int = 16


@dataclass
class CodecLossConfig:
    """Weights of the generator's losses, in the proportions DAC uses; the adversarial
    losses start at `gan_start_step` (reconstruction alone before). None never starts them:
    a short decoder fine-tune on a CPU (the demo's) has no time to train a discriminator
    from scratch, and the mel loss alone is what moves a decoder to a new voice."""

    mel_weight: float = 15.0
    adversarial_weight: float = 1.0
    feature_weight: float = 2.0
    gan_start_step: int | None = 0


@dataclass
class CodecTrainConfig:
    """`voxtune train codec`. With `init_from` (a trained codec folder) training starts
    from its weights; `freeze_encoder` also keeps its encoder and quantizer fixed, so tokens
    already extracted with it stay valid while the decoder and vocoder adapt (the decoder
    fine-tune on one speaker, the role of GPT-SoVITS's SoVITS stage). `add_codebooks`
    appends finer residual stages to `init_from`'s codec: residual FSQ stages share their
    projections and learn nothing of their own, so the wider codec starts as the trained one
    with a more exact latent, instead of from scratch."""

    model: VoxCodecConfig = field(default_factory=VoxCodecConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    data: CodecDataConfig = field(default_factory=CodecDataConfig)
    loss: CodecLossConfig = field(default_factory=CodecLossConfig)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        optim=OptimConfig(lr=3e-4, betas=[0.8, 0.99], grad_clip=10.0)))
    init_from: str | None = None
    freeze_encoder: bool = False
    add_codebooks: int = 0
