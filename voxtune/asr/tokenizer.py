"""Text tokens of the recognizer's LLM: voxtune's character tokenizer, or a pretrained LLM's own.

Models built here read and write characters: one token per character of the training texts
(plus printable ASCII and the task prompts' characters, so any prompt can be spelled), and
the ChatML special tokens. Characters need no tokenizer training, spell any word a voice
says, and keep the output layer small, which is what a model trained on a few hours of
speech can afford. The tokenizer is a `tokenizers` WordLevel model over single characters,
wrapped as a transformers fast tokenizer and saved in the model folder beside the weights.
A pretrained LLM (Qwen family) brings its own tokenizer, which already has the ChatML
tokens; the speech markers are then ordinary text to it.
"""

import string
from collections.abc import Iterable

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from voxtune.asr.prompts import END, IM_END, IM_START, START, SYSTEM, known_prompts
from voxtune.errors import ConfigError, InputError

ENDOFTEXT, UNKNOWN = "<|endoftext|>", "<|unk|>"
SPECIALS = (ENDOFTEXT, IM_START, IM_END, START, END, UNKNOWN)


def char_tokenizer(texts: Iterable[str]) -> PreTrainedTokenizerFast:
    """A character tokenizer over `texts`, printable ASCII, the task prompts and the system
    prompt; ids are the ChatML specials first, then the characters in sorted order."""
    chars = set(string.printable) | set("".join(texts)) | set("".join(known_prompts()))
    chars |= set(SYSTEM)
    vocab = {token: number for number, token in
             enumerate([*SPECIALS, *sorted(chars - {"\r", "\x0b", "\x0c"})])}
    raw = Tokenizer(models.WordLevel(vocab, unk_token=UNKNOWN))
    raw.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    raw.decoder = decoders.Fuse()
    raw.add_special_tokens(list(SPECIALS))
    return PreTrainedTokenizerFast(tokenizer_object=raw, unk_token=UNKNOWN, pad_token=ENDOFTEXT,
                                   eos_token=IM_END,
                                   additional_special_tokens=[IM_START, START, END])


def load_tokenizer(path_or_id: str) -> PreTrainedTokenizerBase:
    """The tokenizer in a model folder, or a hub model's; it must know `<|im_end|>`."""
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path_or_id))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load a tokenizer from {str(path_or_id)!r} ({exc}); give a "
                         "folder with tokenizer.json or a hub id") from exc
    _check_chatml(tokenizer, str(path_or_id))
    return tokenizer


def _check_chatml(tokenizer: PreTrainedTokenizerBase, where: str) -> None:
    """`ConfigError` unless `tokenizer` has the ChatML turn tokens the prompts are made of."""
    for token in (IM_START, IM_END):
        if tokenizer.convert_tokens_to_ids(token) in (None, tokenizer.unk_token_id):
            raise ConfigError(f"the tokenizer of {where} has no {token} token; voxtune's "
                              "recognizer writes ChatML conversations, so use a Qwen-family "
                              "chat LLM (Qwen2.5, Qwen3) or voxtune's own (no llm_conf.pretrained)")


def encode(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    """Token ids of `text`; special tokens written in it (`<|im_start|>`) become their ids."""
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def stop_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """The ids that end a transcript: `<|im_end|>`, and `<|endoftext|>` where it exists."""
    ids = [tokenizer.convert_tokens_to_ids(IM_END)]
    other = tokenizer.convert_tokens_to_ids(ENDOFTEXT)
    if other is not None and other != tokenizer.unk_token_id and other not in ids:
        ids.append(other)
    return ids


def pad_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The id that fills padding (never attended to, never a target)."""
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stop_ids(tokenizer)[0]


def unknown_characters(tokenizer: PreTrainedTokenizerBase, texts: Iterable[str]) -> list[str]:
    """Characters of `texts` that `tokenizer` can only write as unknown: a character
    tokenizer of an earlier model meeting new text. Byte-level tokenizers (Qwen's) have
    none."""
    unk = tokenizer.unk_token_id
    if unk is None:
        return []
    seen = sorted({c for text in texts for c in text} - set("\r\x0b\x0c"))
    return [c for c in seen if unk in encode(tokenizer, c)]
