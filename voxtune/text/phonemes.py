"""Grapheme-to-phoneme: normalised text → IPA (English and Spanish, espeak-ng) or
tone-numbered pinyin (Chinese, pypinyin).

`phonemize` takes text that `normalize` has already rewritten (so "$3.50" has become words);
`text_to_phonemes` does both. Keeping the two apart lets a data pipeline store the normalised
transcript, which people can read and correct, and phonemize it later.

English and Spanish: phonemizer's espeak-ng backend, one voice per language whatever region
the spelling names (en-us; es, which is Castilian: it writes θ for c and z where Latin
American speakers say s), stress marks (ˈ ˌ) kept because they shape prosody, punctuation
kept (Spanish ¿ and ¡ included). Chinese: pypinyin syllables in TONE3 form with the neutral
tone written 5 ("ni3 hao3", "ma5"), citation tones: pypinyin's tone sandhi covers only part
of the rules (it changes 你好 but not 我很好), and a model learns the rest from context more
easily than it unlearns inconsistent labels. Latin-script words inside Chinese text (brand
names, acronyms) go through the English G2P.

Output format: words (English, Spanish) or syllables (Chinese) separated by single spaces,
punctuation attached to the word before it (or after, for ¿ ¡), as phonemizer writes it:
"həlˈoʊ, wˈɜːld!", "¿kˈomo estˈas?", "ni3 hao3，shi4 jie4。".
"""

import functools
import logging
import re

from pypinyin import Style, lazy_pinyin

from voxtune.text.language import canonical_language
from voxtune.text.normalize import normalize

ESPEAK_VOICES = {"en": "en-us", "es": "es"}
# Chinese text in pieces: Han characters (unified ideographs, extension A, compatibility), a
# run of Latin-script words, or one other non-space character (punctuation).
_PIECE = re.compile(r"(?P<han>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
                    r"|(?P<latin>[A-Za-z]+(?:['\s-]+[A-Za-z]+)*)|(?P<mark>\S)")


def phonemize(text: str, language: str) -> str:
    """Phonemes for normalised `text`: IPA for English and Spanish, TONE3 pinyin for Chinese."""
    name = canonical_language(language)
    if name == "zh":
        return _chinese(text)
    return _ipa(text, ESPEAK_VOICES[name])


def text_to_phonemes(text: str, language: str) -> str:
    """Phonemes for raw `text`: `normalize` then `phonemize`."""
    return phonemize(normalize(text, language), language)


@functools.cache
def _espeak(voice: str):
    """One backend per voice for the whole process: creating one loads espeak-ng's data.

    Imported here, not at the top, so that code which reads phonemes stored by `voxtune pack`
    (training on a GPU machine) needs neither phonemizer nor espeak-ng. Its logger only
    reports errors: espeak-ng joins function words ("from the" → fɹʌmðə) as people say
    them, and phonemizer would warn about the changed word count on most lines."""
    from phonemizer.backend import EspeakBackend

    logger = logging.getLogger(f"{__name__}.espeak")
    logger.setLevel(logging.ERROR)
    return EspeakBackend(voice, preserve_punctuation=True, with_stress=True,
                         language_switch="remove-flags", logger=logger)


def _ipa(text: str, voice: str) -> str:
    """espeak-ng's IPA for `text` in `voice`, given to phonemizer as one line (in a batch
    with an empty line, it puts the punctuation back on the wrong lines)."""
    if not text.strip():
        return ""
    return _espeak(voice).phonemize([" ".join(text.split())], strip=True)[0]


def _chinese(text: str) -> str:
    """Syllables and English words joined by spaces; punctuation attached; spaces dropped."""
    pieces: list[str] = []
    after_word = False
    for match in _PIECE.finditer(text):
        if match["mark"]:
            pieces.append(match["mark"])
            after_word = False
            continue
        words = (lazy_pinyin(match["han"], style=Style.TONE3, neutral_tone_with_five=True)
                 if match["han"] else [_ipa(match["latin"], ESPEAK_VOICES["en"])])
        for word in words:
            pieces.append(" " + word if after_word else word)
            after_word = True
    return "".join(pieces)
