"""Text normalisation: written text → the words a reader says, before G2P or tokenisation.

Sentence punctuation is kept: it marks pauses and intonation for the TTS model and is where
`split_text` cuts. Spanish keeps its opening marks ¿ and ¡ too.
"""

import re

from voxtune.text.language import canonical_language
from voxtune.text.normalize_en import normalize_english
from voxtune.text.normalize_es import normalize_spanish
from voxtune.text.normalize_zh import normalize_chinese

_LATIN_SCRIPT = {"en": normalize_english, "es": normalize_spanish}


def normalize(text: str, language: str) -> str:
    """Spoken-form `text` in `language` ("en", "es", "zh", or a spelling such as "en-us",
    "es-mx", "cmn").

    Raises InputError for a language the frontend does not support."""
    name = canonical_language(language)
    if name in _LATIN_SCRIPT:
        return _tidy(_LATIN_SCRIPT[name](text))
    text = " ".join(normalize_chinese(text).split())
    return re.sub(r"\s*([，。？！、])\s*", r"\1", text)


def _tidy(text: str) -> str:
    """Single spaces, none before a closing mark or after an opening one ( ¿ ¡: the rules pad
    the words they insert, and phonemizer attaches marks to the word they touch."""
    text = re.sub(r"\s+([,.;:!?)])", r"\1", " ".join(text.split()))
    return re.sub(r"([(¿¡])\s+", r"\1", text)
