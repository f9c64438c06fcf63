"""Sampling codec tokens from VoxTTS with a KV cache, several prompts at once.

Each prompt is a token grid ending in `<audio>`. Every step runs the LM on one new position
per prompt, reading the KV cache, and samples K codebook tokens under the delay pattern's
rules: before its first frame a codebook is PAD; codebook 0 may end the audio (EOS) at step
N, after which codebook k is forced to EOS at step N + k and PAD after that; EOS and PAD are
never sampled anywhere else. A prompt is finished once its last codebook has ended.

The whole step (constraints, repetition penalty, top-k/top-p sampling) runs on the model's
device without reading anything back, so the host only checks for the end every few steps.
Prompts of different lengths are left-padded, with an attention mask. By default the KV
cache grows (dynamic); with `compile=True` it is a preallocated static cache and the decoder
step is compiled with CUDA graphs (`torch.compile(mode="reduce-overhead")`), the gpt-fast
recipe: the first call compiles, later calls replay.
"""

from dataclasses import dataclass

import numpy as np
import torch
from transformers import DynamicCache, StaticCache

from voxtune.tts.layout import NO_TOKEN, TokenLayout, undelay
from voxtune.tts.model import VoxTTS

CHECK_EVERY = 8  # steps between the host's checks for the end of every prompt
CACHE_BUCKET = 256  # static caches come in multiples of this many positions


@dataclass
class SamplingConfig:
    """`temperature` 0 means greedy. `repetition_penalty` > 1 discourages a codebook from
    repeating its last `repetition_window` codes. `max_frames` bounds each output (frames at
    the codec's rate); `min_frames` keeps EOS away from the first frames."""

    temperature: float = 0.7
    top_k: int = 50
    top_p: float = 0.9
    repetition_penalty: float = 1.1
    repetition_window: int = 16
    max_frames: int = 1500
    min_frames: int = 4
    seed: int = 0


class _DelaySampler:
    """Per-step sampling state on the device: the step, each prompt's end, recent codes."""

    def __init__(self, layout: TokenLayout, sampling: SamplingConfig, batch: int,
                 device: torch.device):
        k = layout.num_codebooks
        self.layout, self.sampling = layout, sampling
        self.book = torch.arange(k, device=device)
        self.step = torch.zeros((), dtype=torch.long, device=device)
        self.ended = torch.full((batch,), -1, dtype=torch.long, device=device)
        window = max(1, sampling.repetition_window)
        self.recent = torch.full((batch, k, window), layout.pad, dtype=torch.long,
                                 device=device)
        self.generator = torch.Generator(device=device).manual_seed(sampling.seed)

    def __call__(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits [B, K, V] → local ids [B, K] for this step; advances the state."""
        layout, sampling = self.layout, self.sampling
        logits = logits.float()
        logits[..., layout.pad] = -torch.inf
        logits[:, 1:, layout.eos] = -torch.inf
        too_early = self.step < sampling.min_frames
        logits[:, 0, layout.eos] = torch.where(too_early, -torch.inf, logits[:, 0, layout.eos])
        if sampling.repetition_penalty != 1.0:
            picked = logits.gather(2, self.recent)
            penalised = torch.where(picked > 0, picked / sampling.repetition_penalty,
                                    picked * sampling.repetition_penalty)
            logits = logits.scatter(2, self.recent, penalised)
        chosen = _draw(logits, sampling, self.generator)
        done = (self.ended >= 0)[:, None]
        since_end = self.step - self.ended[:, None]
        chosen = torch.where(self.step < self.book, layout.pad, chosen)
        chosen = torch.where(done & (since_end == self.book), layout.eos, chosen)
        chosen = torch.where(done & (since_end > self.book), layout.pad, chosen)
        newly = (self.ended < 0) & (chosen[:, 0] == layout.eos)
        self.ended = torch.where(newly, self.step, self.ended)
        codes = chosen.clamp(max=layout.codebook_size - 1)
        self.recent = torch.cat([self.recent[..., 1:], codes[..., None]], dim=-1)
        self.step = self.step + 1
        return chosen

    def all_done(self) -> bool:
        k = self.layout.num_codebooks
        return bool(((self.ended >= 0) & (self.step > self.ended + k - 1)).all())


def _draw(logits: torch.Tensor, sampling: SamplingConfig,
          generator: torch.Generator) -> torch.Tensor:
    """Top-k, then top-p (nucleus) sampling at `temperature`; argmax when it is 0."""
    if sampling.temperature <= 0:
        return logits.argmax(-1)
    logits = logits / sampling.temperature
    if 0 < sampling.top_k < logits.shape[-1]:
        kth = logits.topk(sampling.top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, -torch.inf)
    if 0 < sampling.top_p < 1:
        ordered, order = logits.sort(dim=-1, descending=True)
        probs = ordered.softmax(-1)
        drop = probs.cumsum(-1) - probs > sampling.top_p  # keep the first token past p
        logits = logits.scatter(-1, order, ordered.masked_fill(drop, -torch.inf))
    noise = torch.empty_like(logits).exponential_(generator=generator)
    return (logits.softmax(-1) / noise).argmax(-1)  # exponential race = a categorical draw


@torch.inference_mode()
def generate(model: VoxTTS, prompts: list[np.ndarray], sampling: SamplingConfig,
             compile: bool = False) -> list[np.ndarray]:
    """Codes [K, N] for each prompt (a token grid [L, K] ending in `<audio>`)."""
    layout = model.layout
    device = next(model.parameters()).device
    batch, k = len(prompts), layout.num_codebooks
    longest = max(len(p) for p in prompts)
    tokens = np.full((batch, longest, k), NO_TOKEN, dtype=np.int64)
    mask = np.zeros((batch, longest), dtype=np.int64)
    for row, prompt in enumerate(prompts):
        tokens[row, longest - len(prompt):] = prompt
        mask[row, longest - len(prompt):] = 1
    padded = bool((mask == 0).any())
    prompt_mask = torch.from_numpy(mask).to(device)
    steps_max = sampling.max_frames + k
    if compile:
        cache, step_fn, length = _static_decoder(model, batch, longest + steps_max)
        full = np.ones((batch, length), dtype=np.int64)
        full[:, :longest] = mask
        mask_t = torch.from_numpy(full).to(device) if padded else None
        prefill_mask = mask_t
    else:
        cache, step_fn = DynamicCache(), _Step(model)
        mask_t = prefill_mask = prompt_mask if padded else None
    positions = (prompt_mask.cumsum(1) - 1).clamp(min=0)
    hidden = model.decoder(inputs_embeds=model.embed(torch.from_numpy(tokens).to(device)),
                           attention_mask=prefill_mask, position_ids=positions,
                           past_key_values=cache, use_cache=True).last_hidden_state[:, -1:]
    sampler = _DelaySampler(layout, sampling, batch, device)
    position = positions[:, -1:] + 1
    offsets = layout.audio_offset + sampler.book * layout.codebook_span
    chosen_steps = []
    for step in range(steps_max):
        chosen = sampler(model.audio_logits(hidden)[:, 0])
        chosen_steps.append(chosen)
        if step + 1 == steps_max or ((step + 1) % CHECK_EVERY == 0 and sampler.all_done()):
            break
        if mask_t is not None and not compile:
            mask_t = torch.cat([mask_t, torch.ones_like(mask_t[:, :1])], dim=1)
        hidden = step_fn((chosen + offsets)[:, None], position, mask_t, cache)
        position = position + 1
    steps = torch.stack(chosen_steps, dim=1).cpu().numpy()
    return [undelay(steps[row], layout) for row in range(batch)]


def _static_decoder(model: VoxTTS, batch: int, length: int):
    """(static cache, compiled step, cache length) for `batch` prompts, reused across calls.

    The cache length is rounded up to a multiple of `CACHE_BUCKET`, and cache and compiled
    step are kept on the model, so later calls of similar length neither allocate nor
    recompile (the compiled step's CUDA graphs are replayed).
    """
    length = -(-length // CACHE_BUCKET) * CACHE_BUCKET
    decoders = model.__dict__.setdefault("_static_decoders", {})
    key = (batch, length)
    if key not in decoders:
        cache = StaticCache(config=model.lm.config, max_cache_len=length)
        decoders[key] = (cache, torch.compile(_Step(model), mode="reduce-overhead"))
    cache, step = decoders[key]
    cache.reset()
    return cache, step, length


class _Step:
    """One decoder step on new audio positions."""

    def __init__(self, model: VoxTTS):
        self.model = model

    def __call__(self, ids: torch.Tensor, position: torch.Tensor, mask: torch.Tensor | None,
                 cache) -> torch.Tensor:
        return self.model.decoder(inputs_embeds=self.model.embed(ids), attention_mask=mask,
                                  position_ids=position, past_key_values=cache,
                                  use_cache=True).last_hidden_state.clone()
