"""The phoneme tokenizer's symbol inventory: a constant list, so ids never depend on data.

Order is part of the format (an id is a position in `SYMBOLS`): append, never reorder.
A saved tokenizer carries its own list, so models trained on an older list keep working.
"""

from itertools import product

SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")

# What normalisation leaves and phonemizer preserves (English), plus the Chinese set.
PUNCTUATION = tuple(' ,.?!;:"()') + tuple("，。？！、")

# Every character espeak-ng 1.51 writes for the en-us and en-gb voices over the 126k words of
# the CMU dictionary: stress and length marks, combining marks (syllabic ̩, nasal ̃,
# palatalised ʲ), vowels, consonants. One symbol per character.
ENGLISH_IPA = tuple("ˈˌː" "\u0329\u0303ʲ" "aeiouæɐɑɒɔəɚɛɜɪʊʌᵻ" "bdfhjklmnprstvwxzðŋɡɬɹɾʃʒʔθ")

# Pinyin symbols are namespaced: Chinese "j" (/tɕ/) and "x" (/ɕ/) are not IPA j and x.
PINYIN_PREFIX = "py:"
# Initials as spelled: y and w count as initials so that initial + final gives back the
# written syllable exactly (yue3 = y + ue3), which keeps decode lossless.
PINYIN_INITIALS = ("b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x",
                   "zh", "ch", "sh", "r", "z", "c", "s", "y", "w")
# Finals as spelled after those initials (v is ü), and the syllabic nasals and interjections
# (m, n, ng, hm, hng) that pypinyin writes without a vowel.
PINYIN_FINALS = ("a", "o", "e", "ê", "i", "u", "v", "ai", "ei", "ao", "ou", "an", "en", "ang",
                 "eng", "ong", "er", "ia", "ie", "iao", "iu", "ian", "in", "iang", "ing",
                 "iong", "ua", "uo", "uai", "ui", "uan", "un", "uang", "ue", "ve",
                 "m", "n", "ng", "hm", "hng")
TONES = "12345"  # 5 is the neutral tone

# Appended for Spanish (ids 293-299): the opening marks ¿ ¡, and every character espeak-ng
# 1.51's es voice writes that ENGLISH_IPA lacks, over num2words' number words (cardinals to
# 2100, ordinals to 200, amounts in ten currencies) and some 400 words and sentences with
# every letter and digraph: β ɣ (b/v and g between vowels, as ð is d there), ʎ (ll),
# ɲ (ñ), ʝ (y).
SPANISH_PUNCTUATION = tuple("¿¡")
SPANISH_IPA = tuple("βɣʎɲʝ")

SYMBOLS = (
    SPECIALS + PUNCTUATION + ENGLISH_IPA
    + tuple(PINYIN_PREFIX + initial for initial in PINYIN_INITIALS)
    + tuple(PINYIN_PREFIX + final + tone for final, tone in product(PINYIN_FINALS, TONES))
    + SPANISH_PUNCTUATION + SPANISH_IPA
)
