"""Language names: the many spellings users and data sets write, and the three the frontend
knows.

Every text step (normalisation, G2P, tokenisation) speaks "en", "es" or "zh"; GPT-SoVITS
`.list` files, FunASR manifests and espeak-ng voices spell them `en-us`, `EN`, `es_MX`,
`zh_CN`, `cmn`… Regional spellings share one language: the normaliser reads every region's
number formats, and G2P uses one espeak-ng voice per language.
"""

from voxtune.errors import InputError

SPELLINGS = {
    "en": ("en", "en-us", "en-gb", "en-au", "en-ca", "en-in", "eng", "english"),
    "es": ("es", "es-es", "es-mx", "es-419", "es-us", "es-ar", "es-co", "es-cl", "es-pe",
           "es-ve", "spa", "spanish", "español", "espanol", "castellano"),
    "zh": ("zh", "zh-cn", "zh-hans", "zh-sg", "cmn", "cmn-latn-pinyin", "chinese", "mandarin"),
}
_CANONICAL = {spelling: name for name, spellings in SPELLINGS.items() for spelling in spellings}


def canonical_language(language: str) -> str:
    """"en", "es" or "zh" for any accepted spelling (case and `_`/`-` do not matter)."""
    key = language.strip().lower().replace("_", "-")
    if key not in _CANONICAL:
        known = "; ".join(f"{name} ({', '.join(spellings[1:4])}, …)"
                          for name, spellings in SPELLINGS.items())
        raise InputError(f"language {language!r} is not supported by the text frontend; "
                         f"use one of: {known}")
    return _CANONICAL[key]
