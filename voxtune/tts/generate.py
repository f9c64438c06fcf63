"""Sampling codec tokens from VoxTTS with a KV cache, several prompts at once.

Each prompt is a token grid ending in `<audio>`. Every step runs the LM on one new position
per prompt, reading the KV cache, and samples K codebook tokens under the delay pattern's
rules: before its first frame a codebook is PAD; codebook 0 may end the audio (EOS) at step
N, after which codebook k is forced to EOS at step N + k and PAD after that; EOS and PAD are
never sampled anywhere else. A prompt is finished once its last codebook has ended.
Codebook 0 is made to end at `max_frames` at the latest, and for a model with aligned
positions at `max_stretch` times the audio its text is expected to take: a small LM that
loses its place in the text does not stop by itself, and talks on.

The whole step (constraints, repetition penalty, top-k/top-p sampling) runs on the model's
device without reading anything back; the host checks for the end every few steps, without
waiting for the device.
Prompts of different lengths are left-padded, with an attention mask. By default the
model's own transformers decoder runs with a growing KV cache; with `compile=True`, voxtune's
fused copy of it (`voxtune.tts.fused`: q/k/v and gate/up in one product each, a
preallocated cache) runs, and the whole step (decoder, audio logits, sampling) is compiled
into one CUDA graph (`torch.compile(mode="reduce-overhead")`), the gpt-fast recipe: the
first call compiles, later calls replay, and the host launches one graph per step.

`generate_stream` also reports the frames made so far at every check, for audio that
streams while it is generated; reading them waits for the device, a cost `generate`
does not pay.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from transformers import DynamicCache

from voxtune.tts.fused import FusedDecoder, fused_decoder
from voxtune.tts.layout import NO_TOKEN, TokenLayout, undelay
from voxtune.tts.model import VoxTTS
from voxtune.tts.positions import expected_steps, grid_positions

CHECK_EVERY = 8  # steps between the host's checks for the end of every prompt
UNROLL = 2  # decoding steps per compiled call (one CUDA graph launch); divides CHECK_EVERY
CACHE_BUCKET = 256  # static caches come in multiples of this many positions
COMPILE_MODE = "reduce-overhead"  # torch.compile mode of the decoding step (CUDA graphs)


@dataclass
class SamplingConfig:
    """`temperature` 0 means greedy. `repetition_penalty` > 1 discourages a codebook from
    repeating its last `repetition_window` codes. `max_frames` bounds each output (frames at
    the codec's rate); `min_frames` keeps EOS away from the first frames and wins over the
    other bounds. `max_stretch` (models with aligned positions; 0: off) bounds each output
    by its text: at most this many times the audio steps that the text's length and the
    model's `position_rate` predict (in the base corpus the slowest sentence took 1.58
    times its prediction, 1 in 1,000 more than 1.44)."""

    temperature: float = 0.7
    top_k: int = 50
    top_p: float = 0.9
    repetition_penalty: float = 1.1
    repetition_window: int = 16
    max_frames: int = 1500
    min_frames: int = 4
    max_stretch: float = 1.6
    seed: int = 0


class _DecodeState:
    """What decoding changes from step to step, held in fixed device buffers: the step, each
    prompt's end, recent codes (for the repetition penalty), the codes chosen so far, the
    positions, and the sampling noise for the next `CHECK_EVERY` steps.

    A step updates these in place, so the compiled step (one CUDA graph: decoder, audio
    logits, sampling) replays on the same addresses and the host launches nothing else.
    """

    def __init__(self, model: VoxTTS, sampling: SamplingConfig, batch: int, steps: int,
                 device: torch.device):
        layout, k = model.layout, model.layout.num_codebooks
        self.layout, self.sampling = layout, sampling
        self.book = torch.arange(k, device=device)
        self.offsets = layout.audio_offset + self.book * layout.codebook_span
        self.step = torch.zeros((), dtype=torch.long, device=device)
        self.ended = torch.full((batch,), -1, dtype=torch.long, device=device)
        self.end_by = torch.full((batch,), sampling.max_frames, dtype=torch.long, device=device)
        window = max(1, sampling.repetition_window)
        self.recent = torch.full((batch, k, window), layout.pad, dtype=torch.long,
                                 device=device)
        self.chosen = torch.full((batch, steps, k), layout.pad, dtype=torch.long,
                                 device=device)
        self.position = torch.zeros((batch, 1), dtype=torch.long, device=device)
        self.base = torch.zeros((batch, 1), dtype=torch.long, device=device)
        self.rate = layout.position_rate or 1.0
        self.noise = torch.ones((CHECK_EVERY, batch, k, layout.codebook_span), device=device)

    def reset(self, base: torch.Tensor, end_by: torch.Tensor) -> None:
        """A new prompt batch, whose audio positions start at `base` [B, 1] and whose
        codebook 0 ends at step `end_by` [B] at the latest."""
        self.step.zero_()
        self.ended.fill_(-1)
        self.end_by.copy_(end_by)
        self.recent.fill_(self.layout.pad)
        self.base.copy_(base)

    def advance_position(self) -> None:
        """The position of the step chosen last, the next input: consecutive after the
        prompt, or aligned with the text (`voxtune.tts.positions`)."""
        offset = (self.step - 1).float() * self.rate
        self.position.copy_(self.base + offset.round().long())

    def static(self) -> None:
        """Mark the buffers as fixed addresses for CUDA graphs (as transformers' StaticCache
        does), so a compiled step may update them in place."""
        for tensor in (self.step, self.ended, self.end_by, self.recent, self.chosen,
                       self.position, self.base, self.noise, self.book, self.offsets):
            torch._dynamo.mark_static_address(tensor)

    def draw_noise(self, generator: torch.Generator) -> None:
        """Exponential noise for the next `CHECK_EVERY` steps (unused when greedy)."""
        if self.sampling.temperature > 0:
            self.noise.exponential_(generator=generator)

    def last(self) -> torch.Tensor:
        """The ids chosen at the previous step, as vocabulary ids [B, 1, K]."""
        previous = self.chosen.index_select(1, (self.step - 1).view(1))
        return previous + self.offsets

    def sample(self, logits: torch.Tensor) -> None:
        """Logits [B, K, V] → this step's local ids, under the delay pattern's rules."""
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
        slot = (self.step - 1) % CHECK_EVERY  # steps 1…8 use a fill, 9…16 the next, …
        noise = self.noise.index_select(0, slot.view(1))[0]
        chosen = _draw(logits, sampling, noise)
        due = (self.ended < 0) & (self.step >= self.end_by)
        chosen[:, 0] = torch.where(due, layout.eos, chosen[:, 0])
        done = (self.ended >= 0)[:, None]
        since_end = self.step - self.ended[:, None]
        chosen = torch.where(self.step < self.book, layout.pad, chosen)
        chosen = torch.where(done & (since_end == self.book), layout.eos, chosen)
        chosen = torch.where(done & (since_end > self.book), layout.pad, chosen)
        newly = (self.ended < 0) & (chosen[:, 0] == layout.eos)
        self.ended.copy_(torch.where(newly, self.step, self.ended))
        codes = chosen.clamp(max=layout.codebook_size - 1)
        self.recent.copy_(torch.cat([self.recent[..., 1:], codes[..., None]], dim=-1))
        self.chosen.index_copy_(1, self.step.view(1), chosen[:, None])
        self.step.add_(1)

    def finished(self) -> torch.Tensor:
        """Whether every prompt has ended its last codebook (a device tensor)."""
        k = self.layout.num_codebooks
        return ((self.ended >= 0) & (self.step > self.ended + k - 1)).all()


class _EndWatch:
    """Reads `finished` one check late: the flag is copied to the host without waiting, and
    read at the next check, by when the GPU has long computed it. The host thus never stalls
    the GPU's queue; the price is at most `CHECK_EVERY` steps decoded past the end (PAD)."""

    def __init__(self) -> None:
        self.pending: tuple[torch.Tensor, torch.cuda.Event | None] | None = None

    def ended(self, state: _DecodeState) -> bool:
        previous, flag = self.pending, state.finished()
        if flag.device.type == "cuda":
            host = torch.empty((), dtype=torch.bool, pin_memory=True)
            host.copy_(flag, non_blocking=True)
            event = torch.cuda.Event()
            event.record()
            self.pending = (host, event)
        else:
            self.pending = (flag, None)
        if previous is None:
            return False
        host, event = previous
        if event is not None:
            event.synchronize()
        return bool(host)


def _draw(logits: torch.Tensor, sampling: SamplingConfig, noise: torch.Tensor
          ) -> torch.Tensor:
    """Top-k, then top-p (nucleus) sampling at `temperature`; argmax when it is 0.

    `noise` holds Exponential(1) draws: the argmax of probabilities over noise is a draw
    from the categorical distribution (the exponential race), with the randomness made
    outside the step so that the step itself is deterministic and graph-capturable."""
    if sampling.temperature <= 0:
        return logits.argmax(-1)
    logits = logits / sampling.temperature
    keep = sampling.top_k if 0 < sampling.top_k < logits.shape[-1] else logits.shape[-1]
    values, ids = logits.topk(keep, dim=-1)  # sorted: top-p needs no second sort
    if 0 < sampling.top_p < 1:
        probs = values.softmax(-1)
        drop = probs.cumsum(-1) - probs > sampling.top_p  # keep the first token past p
        values = values.masked_fill(drop, -torch.inf)
    pick = (values.softmax(-1) / noise.gather(-1, ids)).argmax(-1, keepdim=True)
    return ids.gather(-1, pick)[..., 0]


@dataclass
class Progress:
    """Each prompt's frames so far (codes [K, n]: frames whose every codebook has been
    sampled, so a frame once reported never changes), and whether the prompt has ended."""

    codes: list[np.ndarray]
    ended: list[bool]


def generate(model: VoxTTS, prompts: list[np.ndarray], sampling: SamplingConfig,
             compile: bool = False) -> list[np.ndarray]:
    """Codes [K, N] for each prompt (a token grid [L, K] ending in `<audio>`)."""
    *_, last = generate_stream(model, prompts, sampling, compile=compile, partial=False)
    return last.codes


@torch.inference_mode()
def generate_stream(model: VoxTTS, prompts: list[np.ndarray], sampling: SamplingConfig,
                    compile: bool = False, partial: bool = True) -> Iterator[Progress]:
    """`Progress` every `CHECK_EVERY` steps while decoding (with `partial`), and at the end
    the final codes, every prompt ended; the codes are those `generate` returns."""
    layout = model.layout
    device = next(model.parameters()).device
    batch, k = len(prompts), layout.num_codebooks
    longest = max(len(p) for p in prompts)
    tokens = np.full((batch, longest, k), NO_TOKEN, dtype=np.int64)
    mask = np.zeros((batch, longest), dtype=np.int64)
    positions = np.zeros((batch, longest), dtype=np.int64)
    bases = np.zeros((batch, 1), dtype=np.int64)
    for row, prompt in enumerate(prompts):
        tokens[row, longest - len(prompt):] = prompt
        mask[row, longest - len(prompt):] = 1
        positions[row, longest - len(prompt):], bases[row, 0] = grid_positions(prompt, layout)
    prompt_mask = torch.from_numpy(mask).to(device)
    steps_max = sampling.max_frames + k
    unroll = UNROLL if compile else 1
    if compile:
        decode, state, step = _static_decoder(model, sampling, batch,
                                              longest + steps_max + unroll)
        decode.reset(prompt_mask)
    else:
        decode = _TransformersDecoder(model, prompt_mask)
        state = _DecodeState(model, sampling, batch, steps_max, device)
        step = _Step(model, state, decode, unroll)
    end_by = torch.tensor([_frame_limit(prompt, layout, sampling) for prompt in prompts],
                          device=device)
    hidden = decode(model.embed(torch.from_numpy(tokens).to(device)),
                    torch.from_numpy(positions).to(device))[:, -1:]
    generator = torch.Generator(device=device).manual_seed(sampling.seed)
    state.reset(torch.from_numpy(bases).to(device), end_by)
    state.draw_noise(generator)
    state.sample(model.audio_logits(hidden)[:, 0])
    steps, watch = 1, _EndWatch()
    while steps < steps_max:
        if steps % CHECK_EVERY == 1:
            if steps > 1 and partial:
                yield _progress(state.chosen[:, :steps].cpu().numpy(), layout)
            if steps > 1 and watch.ended(state):
                break
            state.draw_noise(generator)
        step()
        steps += unroll
    steps = min(steps, steps_max)
    chosen = state.chosen[:, :steps].cpu().numpy()
    yield Progress([undelay(chosen[row], layout) for row in range(batch)], [True] * batch)


def _progress(chosen: np.ndarray, layout: TokenLayout) -> Progress:
    """Progress from the local ids chosen so far [B, S, K]."""
    return Progress([undelay(rows, layout) for rows in chosen],
                    [_ended(rows, layout) for rows in chosen])


def _ended(rows: np.ndarray, layout: TokenLayout) -> bool:
    """Whether codebook 0 has said EOS (at step N) and every frame before it is complete,
    which frame N - 1 is once its last codebook has been sampled, at step N + K - 2."""
    eos = np.flatnonzero(rows[:, 0] == layout.eos)
    return len(eos) > 0 and len(rows) >= int(eos[0]) + layout.num_codebooks - 1


def _frame_limit(prompt: np.ndarray, layout: TokenLayout, sampling: SamplingConfig) -> int:
    """The step by which codebook 0 must end for `prompt` (see `SamplingConfig`)."""
    limit = sampling.max_frames
    expected = expected_steps(prompt, layout)
    if expected is not None and sampling.max_stretch > 0:
        limit = min(limit, math.ceil(sampling.max_stretch * expected) - layout.num_codebooks)
    return max(limit, sampling.min_frames)


def _static_decoder(model: VoxTTS, sampling: SamplingConfig, batch: int, length: int):
    """(decoder with a static cache, decoding state, compiled step) for `batch` prompts,
    reused across calls.

    The cache length is rounded up to a multiple of `CACHE_BUCKET`; cache, state and compiled
    step are kept on the model per batch size, length and sampling settings (the compiled
    step has them built in), so later calls of similar length neither allocate nor
    recompile: the step's CUDA graph is replayed.
    """
    length = -(-length // CACHE_BUCKET) * CACHE_BUCKET
    decoders = model.__dict__.setdefault("_static_decoders", {})
    rules = (sampling.temperature, sampling.top_k, sampling.top_p,
             sampling.repetition_penalty, sampling.repetition_window, sampling.min_frames)
    key = (batch, length, rules)
    if key not in decoders:
        device = next(model.parameters()).device
        decode = _CachedDecoder(fused_decoder(model), batch, length)
        state = _DecodeState(model, sampling, batch, length, device)
        state.static()
        decoders[key] = (decode, state, torch.compile(_Step(model, state, decode, UNROLL),
                                                      mode=COMPILE_MODE))
    return decoders[key]


class _TransformersDecoder:
    """The model's own decoder with a growing cache (`DynamicCache`): any architecture, no
    compilation. The attention mask, needed only when prompts are padded, grows with them."""

    def __init__(self, model: VoxTTS, prompt_mask: torch.Tensor):
        self.decoder, self.cache = model.decoder, DynamicCache()
        self.mask = prompt_mask if bool((prompt_mask == 0).any()) else None

    def __call__(self, embeds: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        if self.mask is not None and self.cache.get_seq_length() > 0:
            self.mask = torch.cat([self.mask, torch.ones_like(self.mask[:, :embeds.shape[1]])],
                                  dim=1)
        return self.decoder(inputs_embeds=embeds, attention_mask=self.mask,
                            position_ids=positions, past_key_values=self.cache,
                            use_cache=True).last_hidden_state


class _CachedDecoder:
    """voxtune's fused copy of the decoder (`voxtune.tts.fused`) with a preallocated cache
    of `length` slots, whose buffers stay at fixed addresses for CUDA graphs."""

    def __init__(self, fused: FusedDecoder, batch: int, length: int):
        self.fused, self.cache = fused, fused.new_cache(batch, length)
        self.cache.static()

    def reset(self, prompt_mask: torch.Tensor) -> None:
        self.cache.reset(prompt_mask)

    def __call__(self, embeds: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        return self.fused(embeds, positions, self.cache)


class _Step:
    """`unroll` decoding steps: the decoder on the previous step's codes, then sampling.

    Compiled, several steps make one CUDA graph, so the host's cost per launch (guards,
    graph replay) is shared by them; steps past the end only fill unused cache slots."""

    def __init__(self, model: VoxTTS, state: _DecodeState, decode, unroll: int):
        self.model, self.state, self.decode, self.unroll = model, state, decode, unroll

    def __call__(self) -> None:
        model, state = self.model, self.state
        for _ in range(self.unroll):
            state.advance_position()
            hidden = self.decode(model.embed(state.last()), state.position)
            state.sample(model.audio_logits(hidden)[:, 0])
