"""Token sequences of conversations, with room for the audio, and padded batches of them.

One sequence is the ChatML text before the audio (`prompts.conversation`), one placeholder
position per audio embedding, the text after it up to the assistant's turn, and for training
the transcript and `<|im_end|>`. Labels mark what each position predicts: the transcript's
tokens and the closing `<|im_end|>`, nothing else (the loss is on the assistant's answer
only). Training batches are padded on the right; decoding prompts on the left, so every
prompt ends where generation starts.
"""

from dataclasses import dataclass

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from voxtune.asr.model import IGNORE
from voxtune.asr.prompts import IM_END, conversation
from voxtune.asr.tokenizer import encode, pad_id


@dataclass
class TokenSequence:
    """Ids [L] (placeholders at the audio positions), where the audio sits, labels [L]."""

    ids: np.ndarray
    audio_start: int
    audio_count: int
    labels: np.ndarray


class ChatEncoder:
    """Builds `TokenSequence`s; the prompt text is tokenized once per distinct prompt."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase):
        self.tokenizer = tokenizer
        self.pad = pad_id(tokenizer)
        self.end = encode(tokenizer, IM_END)
        self._prompts: dict[tuple[str, str, str], tuple[list[int], list[int]]] = {}

    def sequence(self, system: str, prompt: str, audio_count: int, text: str | None = None,
                 suffix: str = "") -> TokenSequence:
        """The conversation around `audio_count` audio positions; with `text`, the answer
        follows and is labelled."""
        key = (system, prompt, suffix)
        if key not in self._prompts:
            before, after = conversation(system, prompt, suffix)
            self._prompts[key] = (encode(self.tokenizer, before), encode(self.tokenizer, after))
        before, after = self._prompts[key]
        answer = [] if text is None else encode(self.tokenizer, text) + self.end
        ids = np.array(before + [self.pad] * audio_count + after + answer, dtype=np.int64)
        labels = np.full(len(ids), IGNORE, dtype=np.int64)
        if answer:
            labels[len(ids) - len(answer) - 1:-1] = answer  # position t predicts token t + 1
        return TokenSequence(ids, len(before), audio_count, labels)


def collate_tokens(sequences: list[TokenSequence], pad: int, left: bool = False
                   ) -> dict[str, torch.Tensor]:
    """input_ids, attention_mask, audio_mask and labels [B, L], padded right (or `left`)."""
    length = max(len(s.ids) for s in sequences)
    ids = np.full((len(sequences), length), pad, dtype=np.int64)
    labels = np.full((len(sequences), length), IGNORE, dtype=np.int64)
    mask = np.zeros((len(sequences), length), dtype=np.int64)
    audio = np.zeros((len(sequences), length), dtype=bool)
    for row, seq in enumerate(sequences):
        first = length - len(seq.ids) if left else 0
        ids[row, first:first + len(seq.ids)] = seq.ids
        labels[row, first:first + len(seq.ids)] = seq.labels
        mask[row, first:first + len(seq.ids)] = 1
        audio[row, first + seq.audio_start:first + seq.audio_start + seq.audio_count] = True
    return {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask),
            "audio_mask": torch.from_numpy(audio), "labels": torch.from_numpy(labels)}


def collate_ctc_targets(sequences: list[TokenSequence]) -> dict[str, torch.Tensor]:
    """Each sequence's answer without its closing `<|im_end|>`, [B, S] zero-padded, and the
    lengths [B]: the targets of the encoder's CTC head."""
    answers = [seq.labels[seq.labels != IGNORE][:-1] for seq in sequences]
    targets = np.zeros((len(answers), max(1, max(len(a) for a in answers))), dtype=np.int64)
    for row, answer in enumerate(answers):
        targets[row, :len(answer)] = answer
    return {"ctc_targets": torch.from_numpy(targets),
            "ctc_lengths": torch.tensor([len(a) for a in answers], dtype=torch.long)}


def collate_features(features: list[np.ndarray], frames: list[int]
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Features [B, T, bins] padded with zeros, and the frames [B] that hold each clip
    (fewer than its rows where the front end pads to a window, as Whisper's does)."""
    longest = max(len(f) for f in features)
    out = np.zeros((len(features), longest, features[0].shape[1]), dtype=np.float32)
    for row, item in enumerate(features):
        out[row, :len(item)] = item
    return torch.from_numpy(out), torch.tensor(frames, dtype=torch.long)
