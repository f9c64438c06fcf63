"""Configs of the text-to-speech LM: the backbone, LoRA, the data it trains on, the run.

`voxtune train tts DATA OUT --config tts-lora` reads these; every key can be overridden on
the command line (`lora.rank=16`, `trainer.max_steps=2000`).
"""

from dataclasses import dataclass, field
from typing import Literal

from voxtune.train.config import OptimConfig, TrainerConfig


@dataclass
class BackboneConfig:
    """The causal LM. With `pretrained` (a local folder or hub id of a Qwen3 or LLaMA model,
    or a voxtune TTS checkpoint) its weights are loaded; otherwise a Qwen3 model of the sizes
    below is built from scratch. The text tokenizer is voxtune's phoneme tokenizer for
    models built here, or the backbone's own (`backbone`) for pretrained text LLMs.
    `aligned_positions` lines each sentence's audio positions up with its text's, at a rate
    measured on the training data (`voxtune.tts.positions`); a voxtune TTS checkpoint keeps
    the positions it was trained with.

    `init_from` (a VoxTTS folder or shipped name) starts from that model's weights even when
    the data's codec is another one of the same shape (codebooks and their size): reading,
    alignment and the text side carry over and the audio tokens are relearned, which is far
    faster than from scratch when a base model moves to a retrained codec."""

    pretrained: str | None = None
    init_from: str | None = None
    hidden_size: int = 384
    layers: int = 8
    heads: int = 6
    kv_heads: int = 2
    intermediate_size: int = 1024
    head_dim: int | None = None  # per attention head; hidden_size / heads when unset
    max_positions: int = 4096
    rope_theta: float = 10000.0
    text_tokens: Literal["phonemes", "backbone"] = "phonemes"
    attention: Literal["sdpa", "eager", "flash_attention_2"] = "sdpa"
    aligned_positions: bool = False


@dataclass
class LoraConfig:
    """PEFT LoRA on the backbone's linear layers; fish-speech's `r_8_alpha_16` by default.

    `train_audio_embeddings` also trains the audio-token rows of the embedding and output
    matrices (needed when the backbone never saw codec tokens, or to learn a new speaker
    token), through PEFT's trainable token indices.
    """

    enabled: bool = False
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.0
    target_modules: list[str] = field(default_factory=lambda: [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    train_audio_embeddings: bool = False


@dataclass
class TTSDataConfig:
    """Samples from a packed dataset: up to `max_sentences` consecutive sentences of one
    speaker (earlier ones act as the voice prompt), batched under `max_tokens` frames.

    `speaker_token_rate` is the share of samples that start with the speaker's own token
    (`--speaker NAME` at synthesis); the others must clone the voice from their prompt.
    The last `val_records` records are held out of training and scored every
    `trainer.val_every` steps: loss, accuracy, and `text_gain`, the loss added by giving
    each sample's last sentence another sentence's text (near 0: the model does not read).
    """

    max_tokens: int = 8192
    max_sentences: int = 4
    bucket_size: int = 256
    speaker_token_rate: float = 0.5
    val_records: int = 0


@dataclass
class QualityEvalConfig:
    """Per-checkpoint quality (`voxtune.tts.quality`): every `every` steps (0: never) the
    saved checkpoint speaks `sentences` (a text file, one a line, that no training data
    says) as the run's voice (`speaker`; by default the dataset's only speaker) in
    `language`, decoded by `codec` (the voice's own decoder; by default the model's
    codec), and is scored against `refs` (the voice's held-out recordings) and `others`
    (a folder of other voices' recordings, for the similarity margin). The best checkpoint
    has the highest margin among those whose CER is within `cer_slack` of the lowest;
    after `patience` evaluations without a new best (0: never) training stops."""

    every: int = 0
    sentences: str | None = None
    refs: str | None = None
    others: str | None = None
    speaker: str | None = None
    language: str = "en"
    codec: str | None = None
    cer_slack: float = 0.02
    patience: int = 0
    seed: int = 0  # for the sampling of the evaluation's speech
    max_frames: int = 1500  # longest sentence spoken, in codec frames


@dataclass
class TTSTrainConfig:
    """`voxtune train tts`: full fine-tuning, LoRA, or training a model from scratch."""

    backbone: BackboneConfig = field(default_factory=BackboneConfig)
    lora: LoraConfig = field(default_factory=LoraConfig)
    data: TTSDataConfig = field(default_factory=TTSDataConfig)
    eval: QualityEvalConfig = field(default_factory=QualityEvalConfig)
    trainer: TrainerConfig = field(default_factory=lambda: TrainerConfig(
        optim=OptimConfig(lr=1e-4, betas=[0.9, 0.95], weight_decay=0.0, warmup_steps=100)))
