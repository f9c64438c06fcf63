"""VoxCodec: log-mel encoder → residual FSQ at 25 Hz → decoder → Vocos-style ISTFT vocoder.

Why these parts:
- **Residual FSQ** (finite scalar quantisation, Mentzer et al. 2023, applied residually as in
  `vector_quantize_pytorch.ResidualFSQ`): FSQ has no codebook to learn, so no commitment loss,
  no EMA updates, no dead codes, and every code gets used from the first step, which matters
  for a small codec trained in minutes. Residual stages order the codebooks coarse to fine,
  as the first codebook of RVQ is, which suits a TTS LM that predicts codebook 0 first.
- **Mel input**: the tokens need not carry phase, so the encoder reads a log-mel
  spectrogram; the vocoder makes the phase.
- **ISTFT vocoder** (Vocos): predicting STFT magnitude and phase at the mel frame rate and
  inverting is far cheaper than upsampling convolutions to the sample rate, which keeps CPU
  synthesis fast.

Shapes: audio [batch, samples] with samples a multiple of `samples_per_frame`; mel frames
`samples / hop_length`; token frames `samples / samples_per_frame`; codes
[batch, num_codebooks, token frames].
"""

import math

import torch
from torch import nn
from vector_quantize_pytorch import ResidualFSQ

from voxtune.codec.voxcodec.blocks import ConvNeXtStack, ISTFTHead
from voxtune.codec.voxcodec.config import VoxCodecConfig
from voxtune.codec.voxcodec.mel import LogMel


class Encoder(nn.Module):
    """Log-mel at `sample_rate / hop_length` Hz → latent [batch, encoder_dim, token frames]."""

    def __init__(self, config: VoxCodecConfig):
        super().__init__()
        dim = config.encoder_dim
        self.mel = LogMel(config.sample_rate, config.n_fft, config.hop_length, config.n_mels)
        self.embed = nn.Conv1d(config.n_mels, dim, kernel_size=7, padding=3)
        self.high = ConvNeXtStack(dim, config.encoder_high_layers, config.ffn_ratio)
        self.down = nn.Conv1d(dim, dim, kernel_size=config.downsample, stride=config.downsample)
        self.low = ConvNeXtStack(dim, config.encoder_low_layers, config.ffn_ratio)
        self.hop_length = config.hop_length

    def forward(self, wavs: torch.Tensor) -> torch.Tensor:
        frames = wavs.shape[-1] // self.hop_length
        mel = self.mel(wavs)[..., :frames]  # drop the extra centred frame at the end
        return self.low(self.down(self.high(self.embed(mel))))


class Decoder(nn.Module):
    """Quantised latent at the token rate → features at the mel frame rate."""

    def __init__(self, config: VoxCodecConfig):
        super().__init__()
        dim = config.decoder_dim
        self.embed = nn.Conv1d(config.encoder_dim, dim, kernel_size=3, padding=1)
        self.low = ConvNeXtStack(dim, config.decoder_low_layers, config.ffn_ratio)
        self.up = nn.ConvTranspose1d(dim, dim, kernel_size=config.downsample,
                                     stride=config.downsample)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.up(self.low(self.embed(latent)))


class Vocoder(nn.Module):
    """Features at the mel frame rate → waveform, through ConvNeXt blocks and an ISTFT head."""

    def __init__(self, config: VoxCodecConfig):
        super().__init__()
        self.backbone = ConvNeXtStack(config.decoder_dim, config.vocoder_layers,
                                      config.ffn_ratio)
        self.head = ISTFTHead(config.decoder_dim, config.n_fft, config.hop_length)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(features))


class VoxCodecModel(nn.Module):
    """The whole codec as one module (what `model.safetensors` holds)."""

    def __init__(self, config: VoxCodecConfig):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.quantizer = ResidualFSQ(levels=list(config.fsq_levels),
                                     num_quantizers=config.num_codebooks,
                                     dim=config.encoder_dim, is_channel_first=True)
        self.decoder = Decoder(config)
        self.vocoder = Vocoder(config)

    def forward(self, wavs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Resynthesis [batch, samples] and codes [batch, num_codebooks, frames] in one pass."""
        quantized, indices = self.quantizer(self.encoder(wavs))
        return self.vocoder(self.decoder(quantized)), indices

    def encode(self, wavs: torch.Tensor) -> torch.Tensor:
        """Audio [batch, samples] → int64 codes [batch, num_codebooks, frames]."""
        _, indices = self.quantizer(self.encoder(wavs))
        return indices.long()

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes [batch, num_codebooks, frames] → audio [batch, frames × samples_per_frame]."""
        latent = self.quantizer.get_output_from_indices(codes.transpose(1, 2))
        return self.vocoder(self.decoder(latent.transpose(1, 2)))

    @property
    def decode_context(self) -> int:
        """Token frames on either side that decoding one frame reads: its receptive field.

        Decoder: the embedding conv (kernel 3) reaches 1 frame, each ConvNeXt block
        (kernel 7) 3 frames at the token rate. Vocoder: each block 3 mel frames, and the
        ISTFT's overlap-add at most `n_fft / hop_length` mel frames; the transposed conv
        maps a token frame to `downsample` mel frames without mixing them. LayerNorms work
        per frame. A chunk decoded with this many frames either side is therefore exact in
        its middle (`voxtune.codec.chunked`)."""
        config = self.config
        mel = 3 * config.vocoder_layers + math.ceil(config.n_fft / config.hop_length)
        return 1 + 3 * config.decoder_low_layers + math.ceil(mel / config.downsample)

    def tokenizer_modules(self) -> list[nn.Module]:
        """The parts that decide the codes; fixed when only the decoder is fine-tuned."""
        return [self.encoder, self.quantizer]
