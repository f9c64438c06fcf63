"""Text frontend: normalisation, grapheme-to-phoneme, tokenizers, long-text splitting.

`prepare_text(text, language, tokenizer)` is the whole path from raw text to model ids;
the steps are public for data pipelines that store their intermediate forms.
"""

from voxtune.text.language import canonical_language
from voxtune.text.normalize import normalize
from voxtune.text.phonemes import phonemize, text_to_phonemes
from voxtune.text.split import SPLIT_METHODS, split_text
from voxtune.text.tokenizer import (
    TOKENIZER_FILE,
    BackboneTokenizer,
    PhonemeTokenizer,
    TextTokenizer,
    load_text_tokenizer,
    prepare_text,
)

__all__ = [
    "SPLIT_METHODS",
    "TOKENIZER_FILE",
    "BackboneTokenizer",
    "PhonemeTokenizer",
    "TextTokenizer",
    "canonical_language",
    "load_text_tokenizer",
    "normalize",
    "phonemize",
    "prepare_text",
    "split_text",
    "text_to_phonemes",
]
