"""Chinese written forms → what a reader says: Arabic numbers in Chinese reading (cn2an),
punctuation reduced to ，。？！、.

cn2an's "an2cn" transform already reads dates (2024年5月1日 → 二零二四年五月一日), percentages,
fractions, decimals, temperatures and plain numbers in context. What it gets wrong is
rewritten first into a form it reads well: thousands separators, ISO dates, clock times,
negative signs, currency symbols. The punctuation set is small because a TTS model only
needs pause and intonation classes; quotes carry neither and are dropped, brackets become a pause.
"""

import re
import unicodedata

import cn2an

_CURRENCIES = {"$": "美元", "¥": "元", "€": "欧元", "£": "英镑"}
_DEGREES = {"C": "摄氏度", "F": "华氏度"}  # NFKC has already turned ℃ into °C
_SYMBOLS = {"+": "加", "=": "等于", "&": "和", "×": "乘", "°": "度", "%": "百分号"}
# Full stop, comma, question, exclamation, enumeration comma: the classes prosody needs.
_PUNCTUATION = str.maketrans({
    ",": "，", ";": "，", ":": "，", "；": "，", "：": "，", "—": "，", "–": "，", "~": "，",
    ".": "。", "…": "。", "?": "？", "!": "！",
    **{quote: "" for quote in "\"'“”‘’「」『』《》〈〉"},
    **{bracket: "，" for bracket in "()（）[]【】{}"},
})


def normalize_chinese(text: str) -> str:
    """Spoken-form Chinese: no Arabic digits left, punctuation in the set ，。？！、."""
    # NFKC turns full-width digits, letters and ASCII punctuation into half-width ones,
    # so every rule below sees one form; the punctuation is made full-width again at the end.
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)
    text = re.sub(r"°\s?([CF])(?![A-Za-z])", lambda m: _DEGREES[m[1]], text)
    text = re.sub(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b", r"\1年\2月\3日", text)
    text = re.sub(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)", _clock, text)
    text = re.sub(r"(?<![\da-zA-Z.])-(?=\d)", "负", text)
    text = re.sub(r"([$¥€£])\s?(\d+(?:\.\d+)?)", lambda m: m[2] + _CURRENCIES[m[1]], text)
    text = cn2an.transform(text, "an2cn")
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    text = text.replace("...", "…").translate(_PUNCTUATION)
    text = re.sub(r"[，。？！、]*([，。？！、])", r"\1", text)  # a run keeps its last mark
    return text.lstrip("，、")


def _clock(match: re.Match) -> str:
    """"3:05" → 三点零五分, "15:00" → 十五点; cn2an alone reads them as 三:五."""
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        return match[0]
    said = f"{cn2an.an2cn(hours)}点"
    if minutes:
        said += f"{'零' if minutes < 10 else ''}{cn2an.an2cn(minutes)}分"
    return said
