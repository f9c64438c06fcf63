"""Configs of the speech recognizer: audio encoder, adaptor, LLM, data, and the run.

The group names and freeze flags are Fun-ASR's (`audio_encoder_conf.freeze=true`,
`audio_adaptor_conf.freeze=true`, `llm_conf.freeze=true`, `llm_conf.use_lora=true`,
`init_param=MODEL`), so a Fun-ASR recipe's overrides read the same here. Every key can be
overridden on the command line: `voxtune train asr asr-tiny DATA OUT llm_conf.layers=4`.
"""

from dataclasses import dataclass, field
from typing import Literal

from voxtune.train.config import OptimConfig, TrainerConfig


@dataclass
class AudioEncoderConf:
    """The audio encoder over 10 ms log-mel frames.

    `kind` "voxtune": voxtune's own encoder (two stride-2 convolutions, so 40 ms per output
    frame, then conformer-lite blocks of the sizes below) on 80-bin Kaldi fbank.
    `kind` "whisper": a Whisper encoder (20 ms per output frame) on Whisper's own log-mel
    features, loaded from `pretrained` (a local Whisper folder or hub id such as
    openai/whisper-small) or, without it, built from the sizes below with a window of
    `max_seconds` (Whisper's is 30). `freeze` keeps its weights fixed during training.
    """

    kind: Literal["voxtune", "whisper"] = "voxtune"
    pretrained: str | None = None
    hidden_size: int = 256
    layers: int = 6
    heads: int = 4
    ffn_size: int = 1024
    conv_kernel: int = 15
    dropout: float = 0.1
    mel_bins: int = 80
    max_seconds: float = 30.0
    freeze: bool = False


@dataclass
class AudioAdaptorConf:
    """Downsampling (stacking `downsample_rate` encoder frames into one) and a two-layer MLP
    (`ffn_dim` wide) into the LLM's embedding size. Fewer, wider audio positions make the
    LLM's sequences shorter, which is where the compute goes."""

    downsample_rate: int = 2
    ffn_dim: int = 1024
    freeze: bool = False


@dataclass
class LoraConf:
    """PEFT LoRA on the LLM's linear layers; the names are PEFT's (and Fun-ASR's `lora_conf`)."""

    r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])


@dataclass
class LLMConf:
    """The causal LM that writes the transcript.

    With `pretrained` (a local folder or hub id of a Qwen-family chat model, e.g.
    Qwen/Qwen3-0.6B) its weights and its tokenizer are loaded; otherwise a Qwen3 model of the
    sizes below is built with voxtune's character tokenizer over the training texts.
    `freeze` keeps its weights fixed; `use_lora` trains LoRA adapters (`lora_conf`) instead of
    the weights themselves.
    """

    pretrained: str | None = None
    hidden_size: int = 512
    layers: int = 8
    heads: int = 8
    kv_heads: int = 2
    intermediate_size: int = 1536
    max_positions: int = 4096
    rope_theta: float = 10000.0
    attention: Literal["sdpa", "eager", "flash_attention_2"] = "sdpa"
    freeze: bool = False
    use_lora: bool = False
    lora_conf: LoraConf = field(default_factory=LoraConf)


@dataclass
class SpecAugmentConf:
    """SpecAugment on the training features: up to `freq_masks` bands of at most `freq_width`
    mel bins and `time_masks` spans of at most `time_width` frames (and 10 % of the clip)
    are set to the clip's mean. Drawn from (seed, epoch, utterance), so a resumed run masks
    exactly what the uninterrupted run would have."""

    enabled: bool = False
    freq_masks: int = 2
    freq_width: int = 10
    time_masks: int = 2
    time_width: int = 40


@dataclass
class AsrDataConfig:
    """The training data and how it is batched.

    A batch holds clips of similar length, as many as fit `max_frames` 10 ms frames
    (clips × longest clip; Whisper's fixed window counts whole); clips longer than that are
    set aside. Clips of layouts that carry no task prompt get `prompt` (Fun-ASR's
    "语音转写：" by default). `language` fills layouts that name none. `valid` is a
    held-out set in any layout, scored every `trainer.val_every` steps. `num_workers`
    processes decode audio and compute features ahead of the training step.
    """

    max_frames: int = 24000
    bucket_size: int = 256
    prompt: str = "语音转写："
    language: str = "en"
    valid: str | None = None
    num_workers: int = 0
    spec_augment: SpecAugmentConf = field(default_factory=SpecAugmentConf)


@dataclass
class ASRTrainConfig:
    """`voxtune train asr`: from scratch, full fine-tuning, partly frozen, or LoRA.

    `init_param` names a trained voxtune ASR model folder to start from (Fun-ASR's
    `init_param`); its architecture and tokenizer are used and the model sections here only
    contribute their freeze and LoRA flags. `ctc_weight` w > 0 adds a CTC head on the encoder
    and trains with (1 − w) × the LLM's loss + w × the CTC loss (see `voxtune.asr.model`);
    unset, it is the `init_param` model's weight, or 0 for a new model. The head has a row
    per LLM token, so it suits character tokenizers rather than a pretrained LLM's 150 k.
    """

    init_param: str | None = None
    ctc_weight: float | None = None
    audio_encoder_conf: AudioEncoderConf = field(default_factory=AudioEncoderConf)
    audio_adaptor_conf: AudioAdaptorConf = field(default_factory=AudioAdaptorConf)
    llm_conf: LLMConf = field(default_factory=LLMConf)
    data: AsrDataConfig = field(default_factory=AsrDataConfig)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        optim=OptimConfig(lr=5e-4, betas=[0.9, 0.98], weight_decay=0.01, warmup_steps=500)))
