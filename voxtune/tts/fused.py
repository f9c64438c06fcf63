"""A decoding-time copy of a Llama/Qwen transformer: fused projections and its own KV cache.

At batch 1 a decoding step is a chain of small matrix products, each too small to fill the
GPU, so the step's time is their count. transformers' layers run seven per layer (q, k, v,
o, gate, up, down); this copy concatenates q/k/v into one weight and gate/up into another,
four per layer, as gpt-fast does. It holds a preallocated KV cache and reads RoPE from the
model's own rotary embedding, so its hidden states equal transformers' (a test checks
both architectures, with and without LoRA adapters). Weights are copied once, when
decoding starts: a model trained further needs a new copy (`fused_decoder` keys it by
device and dtype only).
"""

import torch
from peft.tuners.lora import LoraLayer
from torch import nn
from torch.nn import functional as F

from voxtune.errors import InputError

FUSABLE = ("llama", "qwen2", "qwen3")  # transformers model types with this layer layout


class KVCache:
    """Keys and values [B, kv_heads, length, head_dim] per layer, how many slots are
    filled, and which slots may be read (False for the left padding of shorter prompts).
    A decoding step writes at the filled count and advances it on the device, so a CUDA
    graph replays it unchanged."""

    def __init__(self, layers: int, batch: int, kv_heads: int, length: int, head_dim: int,
                 dtype: torch.dtype, device: torch.device):
        shape = (batch, kv_heads, length, head_dim)
        self.keys = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(layers)]
        self.values = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(layers)]
        self.readable = torch.ones((batch, length), dtype=torch.bool, device=device)
        self.filled = torch.zeros((), dtype=torch.long, device=device)
        self.slots = torch.arange(length, device=device)

    def reset(self, prompt_mask: torch.Tensor) -> None:
        """Empty, for prompts whose padding is `prompt_mask` [B, L] (1: a real token)."""
        self.filled.zero_()
        self.readable.fill_(True)
        self.readable[:, :prompt_mask.shape[1]].copy_(prompt_mask.bool())

    def static(self) -> None:
        """Mark every buffer as a fixed address for CUDA graphs."""
        for tensor in (*self.keys, *self.values, self.readable, self.filled, self.slots):
            torch._dynamo.mark_static_address(tensor)

    def next_slots(self, new: int) -> torch.Tensor:
        """[new]: the slots that `new` positions appended now are written to."""
        return self.filled + self.slots[:new]

    def attention_mask(self, where: torch.Tensor) -> torch.Tensor:
        """[B, 1, new, length]: what the positions written at slots `where` may read:
        earlier readable slots, and always their own (so a padding position attends to
        something and stays finite)."""
        at = where[:, None]
        earlier = (self.slots[None] <= at) & self.readable[:, None]
        return (earlier | (self.slots[None] == at))[:, None]


class FusedDecoder(nn.Module):
    """Hidden states of the decoder for positions appended to a `KVCache`."""

    def __init__(self, decoder: nn.Module):
        super().__init__()
        config = decoder.config
        _check_fusable(config)
        self.kv_heads, self.head_dim = config.num_key_value_heads, _head_dim(config)
        self.eps = config.rms_norm_eps
        self.rotary = decoder.rotary_emb
        self.layers = nn.ModuleList(_FusedLayer(layer, config) for layer in decoder.layers)
        self.norm = _frozen(decoder.norm.weight)

    def new_cache(self, batch: int, length: int) -> KVCache:
        """An empty cache of `length` slots, in the copy's dtype and on its device."""
        return KVCache(len(self.layers), batch, self.kv_heads, length, self.head_dim,
                       self.norm.dtype, self.norm.device)

    def forward(self, embeds: torch.Tensor, positions: torch.Tensor, cache: KVCache
                ) -> torch.Tensor:
        """Input embeddings [B, T, D] at RoPE positions [B, T] → final hidden [B, T, D];
        their keys and values are appended to `cache`."""
        cos, sin = self.rotary(embeds, positions)
        cos, sin = cos[:, None], sin[:, None]
        where = cache.next_slots(embeds.shape[1])
        mask = cache.attention_mask(where)
        hidden = embeds
        for layer, keys, values in zip(self.layers, cache.keys, cache.values, strict=True):
            hidden = layer(hidden, cos, sin, mask, where, keys, values)
        cache.filled.add_(embeds.shape[1])
        return _rms_norm(hidden, self.norm, self.eps)


class _FusedLayer(nn.Module):
    """One decoder layer's weights: q/k/v and gate/up concatenated."""

    def __init__(self, layer: nn.Module, config):
        super().__init__()
        self.heads, self.kv_heads = config.num_attention_heads, config.num_key_value_heads
        self.head_dim, self.eps = _head_dim(config), config.rms_norm_eps
        attention, mlp = layer.self_attn, layer.mlp
        self.qkv, self.qkv_bias = _concatenated(attention.q_proj, attention.k_proj,
                                                attention.v_proj)
        self.out, self.out_bias = _concatenated(attention.o_proj)
        self.gate_up, self.gate_up_bias = _concatenated(mlp.gate_proj, mlp.up_proj)
        self.down, self.down_bias = _concatenated(mlp.down_proj)
        self.attention_norm = _frozen(layer.input_layernorm.weight)
        self.mlp_norm = _frozen(layer.post_attention_layernorm.weight)
        q_norm = getattr(attention, "q_norm", None)  # Qwen3 normalises each head's q and k
        self.q_norm = _frozen(q_norm.weight) if q_norm is not None else None
        self.k_norm = _frozen(attention.k_norm.weight) if q_norm is not None else None

    def forward(self, hidden, cos, sin, mask, where, keys, values):
        """One layer on hidden [B, T, D], writing its keys and values at slots `where`."""
        batch, new, _ = hidden.shape
        heads, kv_heads, head_dim, eps = self.heads, self.kv_heads, self.head_dim, self.eps
        qkv = F.linear(_rms_norm(hidden, self.attention_norm, eps), self.qkv, self.qkv_bias)
        q, k, v = qkv.view(batch, new, heads + 2 * kv_heads, head_dim).split(
            [heads, kv_heads, kv_heads], dim=2)
        if self.q_norm is not None:
            q, k = _rms_norm(q, self.q_norm, eps), _rms_norm(k, self.k_norm, eps)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
        keys.index_copy_(2, where, k)
        values.index_copy_(2, where, v)
        attended = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask,
                                                  scale=head_dim ** -0.5, enable_gqa=True)
        attended = attended.transpose(1, 2).reshape(batch, new, heads * head_dim)
        hidden = hidden + F.linear(attended, self.out, self.out_bias)
        gate, up = F.linear(_rms_norm(hidden, self.mlp_norm, eps), self.gate_up,
                            self.gate_up_bias).chunk(2, dim=-1)
        return hidden + F.linear(F.silu(gate) * up, self.down, self.down_bias)


def fused_decoder(model: nn.Module) -> FusedDecoder:
    """The fused copy of `model.decoder` (a `VoxTTS`), made once per device and dtype."""
    weight = model.lm.get_input_embeddings().weight
    key = (weight.device, weight.dtype)
    copies = model.__dict__.setdefault("_fused_decoders", {})
    if key not in copies:
        copies[key] = FusedDecoder(model.decoder).eval()
    return copies[key]


def _check_fusable(config) -> None:
    """The layouts this copy reproduces exactly; others decode without compilation, through
    transformers' own layers."""
    kind = config.model_type
    if kind not in FUSABLE or config.hidden_act != "silu" or getattr(
            config, "use_sliding_window", False):
        raise InputError(f"compiled decoding supports {', '.join(FUSABLE)} backbones with SiLU "
                         f"and full attention, not {kind} (hidden_act {config.hidden_act}); "
                         "decode without --compile")


def _head_dim(config) -> int:
    return getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads


def _effective_weight(linear: nn.Module) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(weight, bias) of a linear layer, with its active LoRA adapters folded in."""
    if not isinstance(linear, LoraLayer):
        return linear.weight.detach(), linear.bias
    base = linear.get_base_layer()
    weight = base.weight.detach().clone()
    if not linear.merged and not linear.disable_adapters:
        for name in linear.active_adapters:
            if name in linear.lora_A:
                weight += linear.get_delta_weight(name).to(weight.dtype)
    return weight, base.bias


def _concatenated(*linears: nn.Module) -> tuple[nn.Parameter, nn.Parameter | None]:
    """One frozen weight (and bias, when they have one) for linear layers that read the
    same input, stacked by output row."""
    pairs = [_effective_weight(linear) for linear in linears]
    weight = _frozen(torch.cat([w for w, _ in pairs]))
    if all(b is None for _, b in pairs):
        return weight, None
    biases = [b.detach() if b is not None else torch.zeros(w.shape[0], dtype=w.dtype,
                                                           device=w.device)
              for w, b in pairs]
    return weight, _frozen(torch.cat(biases))


def _frozen(tensor: torch.Tensor) -> nn.Parameter:
    return nn.Parameter(tensor.detach().clone(), requires_grad=False)


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """transformers' Llama/Qwen RMSNorm: normalised in float32, scaled in the input dtype."""
    wide = x.float()
    normed = wide * torch.rsqrt(wide.pow(2).mean(-1, keepdim=True) + eps)
    return weight * normed.to(x.dtype)


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """RoPE as transformers applies it (rotate_half over the two halves of each head)."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin
