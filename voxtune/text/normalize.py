"""Text normalisation: written text → the words a reader says, before G2P or tokenisation.

Sentence punctuation is kept: it marks pauses and intonation for the TTS model and is where
`split_text` cuts.
"""

import re

from voxtune.text.language import canonical_language
from voxtune.text.normalize_en import normalize_english
from voxtune.text.normalize_zh import normalize_chinese


def normalize(text: str, language: str) -> str:
    """Spoken-form `text` in `language` ("en", "zh", or a spelling such as "en-us", "cmn").

    Raises InputError for a language the frontend does not support."""
    if canonical_language(language) == "en":
        text = normalize_english(text)
        text = re.sub(r"\s+([,.;:!?)])", r"\1", " ".join(text.split()))
        return re.sub(r"\(\s+", "(", text)
    text = " ".join(normalize_chinese(text).split())
    return re.sub(r"\s*([，。？！、])\s*", r"\1", text)
