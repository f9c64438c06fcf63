"""Transcribing audio with a trained recognizer: greedy or beam search, batched, KV-cached.

Clips are sorted by length and decoded in batches: the encoder and adaptor run on the
batch, each clip's conversation (system prompt, task prompt, its audio embeddings, the
assistant's turn) is left-padded so all prompts end together, and the LLM generates with
transformers' `generate` from those input embeddings (KV cache, greedy or beam search,
stopping at `<|im_end|>`), with the encoder's CTC head scoring each prefix beside the LLM
when the model has one (joint CTC/attention decoding, `ctc_prefix`). The answer is capped at
`tokens_per_second` × the clip's length plus `min_new_tokens` (25 per second covers fast
speech spelled in characters), so a clip that sends the model into a loop costs a bounded
time.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import GenerationConfig, LogitsProcessorList

from voxtune.asr.checkpoint import AsrMeta, LoadedASR, load_asr
from voxtune.asr.ctc_prefix import CTCPrefixScorer
from voxtune.asr.frontend import SAMPLE_RATE
from voxtune.asr.prompts import restyle
from voxtune.asr.sequences import ChatEncoder, collate_features, collate_tokens
from voxtune.asr.tokenizer import stop_ids
from voxtune.errors import InputError
from voxtune.train.distributed import resolve_device


@dataclass
class DecodeOptions:
    """How to decode. `beam_size` 1 is greedy search. `language` and `itn` ask for a
    task-prompt variant (Fun-ASR's 语音转写成英文：, …，不进行文本规整：) in the wording the
    model was trained on; `prompt` replaces the task prompt altogether. `ctc_weight` mixes
    the CTC head's prefix scores into the search (joint CTC/attention decoding); unset, it
    is the weight the model was trained with, 0 for models without a CTC head. `batch_size`
    clips are decoded together."""

    beam_size: int = 1
    batch_size: int = 8
    language: str | None = None
    itn: bool | None = None
    prompt: str | None = None
    ctc_weight: float | None = None
    tokens_per_second: float = 25.0
    min_new_tokens: int = 16


class Recognizer:
    """A model loaded once (LoRA folded in) on `device`, for many clips."""

    def __init__(self, model_dir: str | Path, device: str = "auto"):
        self.device = resolve_device(device)
        self.loaded: LoadedASR = load_asr(model_dir, merge=True)
        self.loaded.model.to(self.device)
        self.chat = ChatEncoder(self.loaded.tokenizer)
        self.stop = stop_ids(self.loaded.tokenizer)

    @property
    def meta(self) -> AsrMeta:
        """The model's description: its usual prompts and language."""
        return self.loaded.meta

    def transcribe(self, clips: Sequence[np.ndarray], options: DecodeOptions | None = None
                   ) -> list[str]:
        """The transcript of each clip (mono float32 samples at 16 kHz), in input order."""
        options = options or DecodeOptions()
        frontend = self.loaded.frontend
        audible = [i for i in range(len(clips)) if frontend.frames(len(clips[i])) > 0]
        order = sorted(audible, key=lambda i: len(clips[i]))
        texts: list[str] = [""] * len(clips)  # shorter than one 25 ms window: nothing said
        for first in range(0, len(order), max(1, options.batch_size)):
            chosen = order[first:first + options.batch_size]
            for index, text in zip(chosen, self.decode_batch([clips[i] for i in chosen],
                                                             options), strict=True):
                texts[index] = text
        return texts

    @torch.inference_mode()
    def decode_batch(self, clips: Sequence[np.ndarray], options: DecodeOptions) -> list[str]:
        """Transcripts of clips decoded as one batch."""
        model, frontend = self.loaded.model, self.loaded.frontend
        frames = [frontend.frames(len(c)) for c in clips]
        prompt = options.prompt or restyle(self.meta.prompt, options.language, options.itn)
        sequences = [self.chat.sequence(self.meta.system, prompt, model.audio_positions(n))
                     for n in frames]
        self._check_length(clips, max(len(s.ids) for s in sequences), options)
        features, lengths = collate_features([frontend(c) for c in clips], frames)
        tokens = collate_tokens(sequences, self.chat.pad, left=True)
        hidden, encoded = model.encoder(features.to(self.device), lengths.to(self.device))
        embeds = model.place_audio(tokens["input_ids"].to(self.device),
                                   tokens["audio_mask"].to(self.device),
                                   *model.adaptor(hidden, encoded))
        generation = GenerationConfig(
            max_new_tokens=self._max_new_tokens(clips, options), num_beams=options.beam_size,
            do_sample=False, eos_token_id=self.stop, pad_token_id=self.chat.pad)
        weight = self.meta.ctc_weight if options.ctc_weight is None else options.ctc_weight
        processors = LogitsProcessorList()
        if weight > 0 and model.ctc is not None:
            processors.append(CTCPrefixScorer(model.ctc(hidden).float().log_softmax(-1),
                                              encoded, weight, self.stop, options.beam_size))
        out = model.llm.generate(inputs_embeds=embeds,
                                 attention_mask=tokens["attention_mask"].to(self.device),
                                 generation_config=generation, logits_processor=processors)
        return [self.loaded.tokenizer.decode(row, skip_special_tokens=True).strip()
                for row in out.tolist()]

    def _max_new_tokens(self, clips: Sequence[np.ndarray], options: DecodeOptions) -> int:
        seconds = max(len(c) for c in clips) / SAMPLE_RATE
        return int(options.tokens_per_second * seconds) + options.min_new_tokens

    def _check_length(self, clips: Sequence[np.ndarray], prompt_length: int,
                      options: DecodeOptions) -> None:
        limit = self.loaded.model.llm.config.max_position_embeddings
        needed = prompt_length + self._max_new_tokens(clips, options)
        window = self.loaded.frontend.window_frames
        longest = max(len(c) for c in clips) / SAMPLE_RATE
        if needed > limit or (window is not None and longest > window / 100):
            raise InputError(f"a clip of {longest:.1f} s is longer than this model reads at "
                             "once; cut long recordings into sentences first (voxtune prepare "
                             "slices them at silences)")
