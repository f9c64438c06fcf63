"""Sampling codec tokens from VoxTTS with a KV cache, several prompts at once.

Each prompt is a token grid ending in `<audio>`. Every step runs the LM on one new position
per prompt, reading the KV cache, and samples K codebook tokens under the delay pattern's
rules: before its first frame a codebook is PAD; codebook 0 may end the audio (EOS) at step
N, after which codebook k is forced to EOS at step N + k and PAD after that; EOS and PAD are
never sampled anywhere else. A prompt is finished once its last codebook has ended.
Prompts of different lengths are left-padded, with positions counted from each prompt's
first real token.
"""

from dataclasses import dataclass

import numpy as np
import torch
from transformers import DynamicCache

from voxtune.tts.layout import NO_TOKEN, TokenLayout, undelay
from voxtune.tts.model import VoxTTS


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


@torch.inference_mode()
def generate(model: VoxTTS, prompts: list[np.ndarray], sampling: SamplingConfig
             ) -> list[np.ndarray]:
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
    mask_t = torch.from_numpy(mask).to(device)
    positions = (mask_t.cumsum(1) - 1).clamp(min=0)
    generator = torch.Generator(device=device).manual_seed(sampling.seed)
    cache = DynamicCache()
    hidden = model.decoder(inputs_embeds=model.embed(torch.from_numpy(tokens).to(device)),
                           attention_mask=mask_t, position_ids=positions,
                           past_key_values=cache, use_cache=True).last_hidden_state[:, -1:]
    steps = np.zeros((batch, 0, k), dtype=np.int64)
    ended = np.full(batch, -1)  # the step at which codebook 0 emitted EOS
    next_position = positions[:, -1:] + 1
    for step in range(sampling.max_frames + k):
        logits = model.audio_logits(hidden)[:, 0].float()  # [B, K, V]
        chosen = _sample(logits, steps, step, ended, layout, sampling, generator)
        steps = np.concatenate([steps, chosen[:, None]], axis=1)
        ended[(ended < 0) & (chosen[:, 0] == layout.eos)] = step
        if step + 1 >= sampling.max_frames + k or np.all((ended >= 0) & (step >= ended + k - 1)):
            break
        ids = torch.from_numpy(layout.audio_ids(chosen)).to(device)[:, None]
        mask_t = torch.cat([mask_t, torch.ones_like(mask_t[:, :1])], dim=1)
        hidden = model.decoder(inputs_embeds=model.embed(ids), attention_mask=mask_t,
                               position_ids=next_position, past_key_values=cache,
                               use_cache=True).last_hidden_state
        next_position = next_position + 1
    return [undelay(steps[row], layout) for row in range(batch)]


def _sample(logits: torch.Tensor, history: np.ndarray, step: int, ended: np.ndarray,
            layout: TokenLayout, sampling: SamplingConfig,
            generator: torch.Generator) -> np.ndarray:
    """Local ids [B, K] for this step, forced where the delay pattern decides."""
    batch, k, _ = logits.shape
    logits[..., layout.pad] = -torch.inf
    logits[:, 1:, layout.eos] = -torch.inf
    if step < sampling.min_frames:
        logits[:, 0, layout.eos] = -torch.inf
    if sampling.repetition_penalty != 1.0 and history.shape[1]:
        recent = torch.from_numpy(history[:, -sampling.repetition_window:]).to(logits.device)
        recent = recent.transpose(1, 2).clamp(max=layout.codebook_size - 1)  # [B, K, W]
        picked = logits.gather(2, recent)
        penalised = torch.where(picked > 0, picked / sampling.repetition_penalty,
                                picked * sampling.repetition_penalty)
        logits.scatter_(2, recent, penalised)
    chosen = _draw(logits, sampling, generator).cpu().numpy()
    for book in range(k):
        chosen[:, book] = np.where(step < book, layout.pad, chosen[:, book])
        done = ended >= 0
        chosen[done & (step == ended + book), book] = layout.eos
        chosen[done & (step > ended + book), book] = layout.pad
    return chosen


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
        cumulative = ordered.softmax(-1).cumsum(-1)
        drop = cumulative - ordered.softmax(-1) > sampling.top_p  # keep the first past p
        ordered = ordered.masked_fill(drop, -torch.inf)
        logits = torch.full_like(logits, -torch.inf).scatter(-1, order, ordered)
    probs = logits.softmax(-1)
    flat = torch.multinomial(probs.flatten(0, -2), 1, generator=generator)
    return flat.view(probs.shape[:-1])
