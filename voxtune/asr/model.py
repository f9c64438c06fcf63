"""VoxASR: audio encoder → adaptor → causal LM, the Fun-ASR-Nano shape.

A conversation's token sequence holds placeholder positions between `<|startofspeech|>`
and `<|endofspeech|>` (`audio_mask`); their input embeddings are replaced by the adaptor's
outputs, one per audio position, in order. The LLM then reads text and audio alike. Logits
are formed only where a target token is predicted, so a pretrained LLM's 150 k-word output
layer is never applied to the prompt and audio positions.

Frozen parts (`audio_encoder_conf.freeze` and the like) get no gradient and run in eval
mode, so they compute exactly what their weights compute, without dropout.

With `ctc_weight` > 0 the encoder also has a CTC head over the LLM's tokens (hybrid
CTC/attention training, as in ESPnet and WeNet). The CTC loss makes the encoder emit the
transcript's tokens in order, monotonically aligned to the audio, which a decoder that
must find that alignment by attention alone learns slowly from little data: without it, a
small model trained on a few hundred sentences learns to recall whole training sentences
instead of spelling what it hears. Decoding then scores the LLM's hypotheses with the CTC
head too (`ctc_prefix`).
"""

import torch
from torch import nn
from transformers import AutoModelForCausalLM, PreTrainedModel, Qwen3Config

from voxtune.asr.adaptor import Adaptor
from voxtune.asr.config import LLMConf
from voxtune.asr.encoder import AudioEncoder, padding_mask
from voxtune.errors import ConfigError, InputError

IGNORE = -100  # label of positions that predict nothing
PARTS = ("encoder", "adaptor", "llm")


class VoxASR(nn.Module):
    """`ctc_vocab`: give the encoder a CTC head over that many tokens (plus a blank), for
    the auxiliary loss of `ctc_weight`."""

    def __init__(self, encoder: AudioEncoder, adaptor: Adaptor, llm: PreTrainedModel,
                 ctc_vocab: int | None = None):
        super().__init__()
        self.encoder, self.adaptor, self.llm = encoder, adaptor, llm
        self.ctc = nn.Linear(encoder.output_size, ctc_vocab + 1) if ctc_vocab else None

    def audio_positions(self, frames: int) -> int:
        """LLM positions that a clip of `frames` 10 ms frames takes."""
        return self.adaptor.output_length(self.encoder.output_length(frames))

    def freeze(self, part: str) -> None:
        """Fix the weights of `part` ("encoder", with its CTC head; "adaptor"; "llm")."""
        getattr(self, part).requires_grad_(False)
        if part == "encoder" and self.ctc is not None:
            self.ctc.requires_grad_(False)

    def train(self, mode: bool = True) -> "VoxASR":
        super().train(mode)
        for part in PARTS:
            module = getattr(self, part)
            if not any(p.requires_grad for p in module.parameters()):
                module.eval()
        return self

    def embed(self, input_ids: torch.Tensor, audio_mask: torch.Tensor, features: torch.Tensor,
              feature_lengths: torch.Tensor) -> torch.Tensor:
        """Input embeddings [B, L, D]: the text tokens', with the audio positions replaced."""
        hidden, lengths = self.encoder(features, feature_lengths)
        return self.place_audio(input_ids, audio_mask, *self.adaptor(hidden, lengths))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                audio_mask: torch.Tensor, features: torch.Tensor, feature_lengths: torch.Tensor,
                labels: torch.Tensor, ctc_targets: torch.Tensor | None = None,
                ctc_lengths: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits [N, vocabulary] at the N positions whose label is not IGNORE, in order;
        and with a CTC head and targets ([B, S] token ids, lengths [B]), the CTC loss."""
        hidden, lengths = self.encoder(features, feature_lengths)
        embeds = self.place_audio(input_ids, audio_mask, *self.adaptor(hidden, lengths))
        states = self.llm.get_decoder()(inputs_embeds=embeds,
                                        attention_mask=attention_mask).last_hidden_state
        logits = self.llm.get_output_embeddings()(states[labels != IGNORE])
        if self.ctc is None or ctc_targets is None:
            return logits, None
        log_probs = self.ctc(hidden).float().log_softmax(-1).transpose(0, 1)
        ctc = nn.functional.ctc_loss(log_probs, ctc_targets, lengths, ctc_lengths,
                                     blank=self.ctc.out_features - 1, zero_infinity=True)
        return logits, ctc

    def place_audio(self, input_ids: torch.Tensor, audio_mask: torch.Tensor, audio: torch.Tensor,
               counts: torch.Tensor) -> torch.Tensor:
        """The text tokens' embeddings with the audio positions replaced, in order."""
        text = self.llm.get_input_embeddings()(input_ids)
        valid = audio[~padding_mask(counts, audio.shape[1])]
        if valid.shape[0] != int(audio_mask.sum()):
            raise ValueError(f"{int(audio_mask.sum())} audio positions in the token sequences "
                             f"but {valid.shape[0]} audio embeddings")
        return text.masked_scatter(audio_mask[..., None], valid.to(text.dtype))


def build_llm(conf: LLMConf, vocab_size: int, pad_id: int) -> PreTrainedModel:
    """A fresh Qwen3 causal LM of `conf`'s sizes (voxtune's own models)."""
    if conf.hidden_size % conf.heads or conf.heads % conf.kv_heads:
        raise ConfigError(f"llm_conf: hidden_size {conf.hidden_size} must divide into heads "
                          f"{conf.heads}, and heads into kv_heads {conf.kv_heads}")
    config = Qwen3Config(
        vocab_size=vocab_size, hidden_size=conf.hidden_size,
        intermediate_size=conf.intermediate_size, num_hidden_layers=conf.layers,
        num_attention_heads=conf.heads, num_key_value_heads=conf.kv_heads,
        head_dim=conf.hidden_size // conf.heads, max_position_embeddings=conf.max_positions,
        rope_theta=conf.rope_theta, tie_word_embeddings=True, pad_token_id=pad_id,
        attn_implementation=conf.attention)
    return AutoModelForCausalLM.from_config(config)


def load_llm(path_or_id: str, attention: str) -> PreTrainedModel:
    """A pretrained causal LM from a local folder or hub id, in float32 for training."""
    try:
        return AutoModelForCausalLM.from_pretrained(path_or_id, dtype=torch.float32,
                                                    attn_implementation=attention)
    except (OSError, ValueError) as exc:
        raise InputError(f"llm_conf.pretrained={path_or_id!r}: cannot load a causal LM "
                         f"({exc}); give a local model folder or a hub id") from exc
