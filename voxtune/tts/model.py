"""VoxTTS: a transformers causal LM whose vocabulary is extended by codec and speaker tokens.

Inputs are token grids [batch, positions, K]: a text position holds its token in slot 0 and
`NO_TOKEN` elsewhere; an audio position holds one id per codebook, and its embedding is the
sum of the K codebook embeddings (as MusicGen does). Output logits for audio come from the
rows of the LM's output matrix that belong to each codebook, [batch, positions, K, C + 2],
so the full-vocabulary logits of a large text backbone are never formed.
"""

import torch
from torch import nn
from transformers import AutoModelForCausalLM, PreTrainedModel, Qwen3Config

from voxtune.tts.config import BackboneConfig
from voxtune.tts.layout import TokenLayout


class VoxTTS(nn.Module):
    """The LM and its token layout. `lm` is a transformers `*ForCausalLM` (possibly with PEFT
    LoRA layers injected into it)."""

    def __init__(self, lm: PreTrainedModel, layout: TokenLayout):
        super().__init__()
        self.lm, self.layout = lm, layout

    @property
    def decoder(self) -> nn.Module:
        """The transformer without its output layer (`Qwen3Model`, `LlamaModel`, …)."""
        return self.lm.get_decoder()

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token grid [B, L, K] → input embeddings [B, L, D]."""
        table = self.lm.get_input_embeddings()
        present = (tokens >= 0).unsqueeze(-1)
        return (table(tokens.clamp(min=0)) * present).sum(dim=2)

    def audio_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Hidden states [B, L, D] → logits per codebook [B, L, K, C + 2]."""
        layout = self.layout
        rows = self.lm.get_output_embeddings().weight[
            layout.audio_offset:layout.speaker_offset]
        heads = rows.view(layout.num_codebooks, layout.codebook_span, -1)
        return torch.einsum("bld,kvd->blkv", hidden, heads.to(hidden.dtype))

    def forward(self, tokens: torch.Tensor, attention_mask: torch.Tensor | None = None,
                position_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Audio logits for a batch of token grids (positions: consecutive unless given).

        Given positions come with a mask: without one, transformers reads every position that
        is not one more than the last as the start of another packed sequence and masks
        attention across it, which aligned positions do at every sentence's audio."""
        if position_ids is not None and attention_mask is None:
            attention_mask = torch.ones(tokens.shape[:2], dtype=torch.long,
                                        device=tokens.device)
        hidden = self.decoder(inputs_embeds=self.embed(tokens), attention_mask=attention_mask,
                              position_ids=position_ids, use_cache=False).last_hidden_state
        return self.audio_logits(hidden)


def build_lm(config: BackboneConfig, vocab_size: int) -> PreTrainedModel:
    """A fresh Qwen3 causal LM of the configured size (voxtune's own models)."""
    lm_config = Qwen3Config(
        vocab_size=vocab_size, hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size, num_hidden_layers=config.layers,
        num_attention_heads=config.heads, num_key_value_heads=config.kv_heads,
        head_dim=config.head_dim or config.hidden_size // config.heads,
        max_position_embeddings=config.max_positions, rope_theta=config.rope_theta,
        tie_word_embeddings=True, attn_implementation=config.attention)
    return AutoModelForCausalLM.from_config(lm_config)


def load_lm(path: str, attention: str) -> PreTrainedModel:
    """A pretrained causal LM from a local folder or hub id, in float32 for training."""
    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32,
                                                attn_implementation=attention)


def grow_vocabulary(lm: PreTrainedModel, vocab_size: int) -> None:
    """Add rows for new tokens, initialised to the mean of the existing rows (so new
    tokens start inside the distribution the LM already knows)."""
    old = lm.get_input_embeddings().weight.shape[0]
    if vocab_size <= old:
        return
    lm.resize_token_embeddings(vocab_size, mean_resizing=True)
