"""voxtune's fused decoding copy of a transformer gives transformers' own hidden states."""

import pytest
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, DynamicCache, LlamaConfig, Qwen3Config

from voxtune.errors import InputError
from voxtune.tts.fused import FusedDecoder

SHAPE = dict(vocab_size=64, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, head_dim=16)
PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _lm(kind: str, lora: bool = False):
    torch.manual_seed(0)
    if kind == "llama":
        config = LlamaConfig(**SHAPE)
    else:
        config = Qwen3Config(**SHAPE, attention_bias=kind == "qwen3-with-biases")
    lm = AutoModelForCausalLM.from_config(config).eval()
    if lora:
        lm = get_peft_model(lm, LoraConfig(r=4, lora_alpha=8, target_modules=PROJECTIONS))
        for name, weight in lm.named_parameters():
            if "lora_B" in name:  # PEFT starts B at zero, which would hide a missing delta
                torch.nn.init.normal_(weight, std=0.1)
        lm.eval()
    return lm


def _transformers_steps(decoder, embeds, positions, mask, steps):
    """Prefill, then one new position per step, through transformers with its cache."""
    cache = DynamicCache()
    outputs = [decoder(inputs_embeds=embeds, attention_mask=mask, position_ids=positions,
                       past_key_values=cache, use_cache=True).last_hidden_state]
    for embed, position in steps:
        mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
        outputs.append(decoder(inputs_embeds=embed, attention_mask=mask,
                               position_ids=position, past_key_values=cache,
                               use_cache=True).last_hidden_state)
    return outputs


def _fused_steps(decoder, embeds, positions, mask, steps):
    fused = FusedDecoder(decoder)
    cache = fused.new_cache(batch=embeds.shape[0], length=16)
    cache.reset(mask)
    outputs = [fused(embeds, positions, cache)]
    outputs += [fused(embed, position, cache) for embed, position in steps]
    return outputs


@pytest.mark.parametrize("lora", [False, True], ids=["plain", "lora"])
@pytest.mark.parametrize("kind", ["qwen3", "qwen3-with-biases", "llama"])
@torch.inference_mode()
def test_fused_decoder_gives_the_hidden_states_of_transformers(kind, lora):
    """Left-padded prompts, positions that skip (as aligned audio positions do), then
    three single-position steps: every real position's hidden state matches."""
    lm = _lm(kind, lora)
    decoder = lm.get_decoder()
    embeds = torch.randn(2, 5, SHAPE["hidden_size"])
    mask = torch.tensor([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]])
    positions = torch.tensor([[0, 1, 2, 7, 8], [0, 0, 0, 1, 5]])
    steps = [(torch.randn(2, 1, SHAPE["hidden_size"]), positions[:, -1:] + 3 * i + 1)
             for i in range(3)]
    expected = _transformers_steps(decoder, embeds, positions, mask, steps)
    got = _fused_steps(decoder, embeds, positions, mask, steps)
    real = mask.bool()
    assert torch.allclose(got[0][real], expected[0][real], atol=1e-5)
    for a, b in zip(got[1:], expected[1:], strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_fused_decoder_refuses_a_layout_it_does_not_reproduce():
    config = Qwen3Config(**SHAPE, use_sliding_window=True, sliding_window=4)
    decoder = AutoModelForCausalLM.from_config(config).get_decoder()
    with pytest.raises(InputError, match="decode without --compile"):
        FusedDecoder(decoder)
