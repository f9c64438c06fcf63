"""English written forms → the words a reader says (number words from num2words).

espeak-ng reads digits too, but not the way people do: "1999" comes out as "one thousand
nine hundred…", "$3.50" as "dollar three point five zero". Rewriting them here gives G2P (and
grapheme-fed backbones) the spoken form. The rules run in order, most specific first: dates
and times before plain numbers, money and percentages before the digits they hold, ordinals
and years before cardinals.
"""

import re
import unicodedata
from datetime import date
from decimal import Decimal

from num2words import CONVERTER_CLASSES, num2words

from voxtune.text.rules import QUOTES, Rule, abbreviation, alternatives, apart, apply_rules

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_MONTH_NUMBER = {name[:3].lower(): number for number, name in enumerate(_MONTHS, 1)}
# Case-sensitive on purpose: "May 1" is a date, "you may 1…" is not.
_MONTH = (r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?")
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(\d{4})\b)?"
# A number as written: a sign (not after a letter or digit, so "5-10" stays a range), digits
# with or without thousands separators, decimals.
_NUMBER = r"(?:(?<![\w-])-)?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
# What follows a period that ends a sentence (as opposed to one that ends an abbreviation).
_SENTENCE_END = r"\s*$|\s+[A-Z]"
# "pm", "p.m.", "PM"; the last period is kept where it ends the sentence.
_HALF_DAY = rf"([AaPp])\.?\s?[Mm]\b(?:\.(?!{_SENTENCE_END}))?"

_CURRENCIES = {"$": "USD", "£": "GBP", "€": "EUR", "₹": "INR"}
_SCALES = r"(?:\s?(thousand|million|billion|trillion)\b)?"

# Abbreviations whose period never ends a sentence (most come before a name).
_TITLES = {"mr": "mister", "mrs": "missus", "ms": "miz", "dr": "doctor", "prof": "professor",
           "mt": "mount", "vs": "versus", "approx": "approximately", "e.g": "for example",
           "i.e": "that is"}
# Abbreviations that may end a sentence: their period stays when a new sentence follows.
_TRAILING = {"etc": "et cetera", "jr": "junior", "sr": "senior", "st": "street"}
_SYMBOLS = {"&": " and ", "+": " plus ", "=": " equals ", "@": " at ", "%": " percent ",
            "×": " times "}


def normalize_english(text: str) -> str:
    """Spoken-form English: numbers, money, dates, times, symbols and abbreviations as words.

    Whitespace is left for the caller to collapse (rules pad the words they insert)."""
    text = apply_rules(unicodedata.normalize("NFKC", text).translate(QUOTES), _RULES)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    return text


def _cardinal(number: str) -> str:
    """Words for "1,234.5" or "-7", without num2words' commas (they would be read as pauses)."""
    return num2words(Decimal(number.replace(",", "")), lang="en").replace(",", "")


def _ordinal(number: str) -> str:
    return num2words(int(number.replace(",", "")), lang="en", to="ordinal").replace(",", "")


def _year(year: str) -> str:
    """"1999" → "nineteen ninety-nine", "2024" → "twenty twenty-four"."""
    return num2words(int(year), lang="en", to="year").replace(",", "")


def _decade(match: re.Match) -> str:
    """"1990s" → "nineteen nineties"."""
    words = _year(match[1])
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def _spoken_date(year: str | None, month: int, day: str, day_first: bool) -> str | None:
    """"May first, twenty twenty-four" (or "the first of May, …"); None if no such date."""
    try:
        date(int(year or 2000), month, int(day))  # 2000 is a leap year: Feb 29 is fine alone
    except ValueError:
        return None
    name = _MONTHS[month - 1]
    said = f"the {_ordinal(day)} of {name}" if day_first else f"{name} {_ordinal(day)}"
    return f"{said}, {_year(year)}" if year else said


def _iso_date(match: re.Match) -> str:
    return _spoken_date(match[1], int(match[2]), match[3], day_first=False) or match[0]


def _month_day(match: re.Match) -> str:
    month = _MONTH_NUMBER[match[1][:3].lower()]
    return _spoken_date(match[3], month, match[2], day_first=False) or match[0]


def _day_month(match: re.Match) -> str:
    month = _MONTH_NUMBER[match[2][:3].lower()]
    return _spoken_date(match[3], month, match[1], day_first=True) or match[0]


def _clock(match: re.Match) -> str:
    """"3:30 pm" → "three thirty PM", "15:00" → "fifteen hundred", "9:05" → "nine oh five".

    AM/PM are written in capitals because espeak-ng spells capitals out and reads "am" as
    a word."""
    hours, minutes, half = int(match[1]), int(match[2]), match[3]
    if hours > 23 or minutes > 59:
        return match[0]
    said = _cardinal(match[1])
    if minutes:
        said += f" {'oh ' if minutes < 10 else ''}{_cardinal(match[2])}"
    elif not half:
        said += " o'clock" if hours <= 12 else " hundred"
    return f"{said} {half.upper()}M" if half else said


def _money(match: re.Match) -> str:
    """"$3.50" → "three dollars and fifty cents", "$5" → "five dollars", "$0.99" →
    "ninety-nine cents", "$1.5 million" → "one point five million dollars"."""
    sign, code, number, scale = match[1], _CURRENCIES[match[2]], match[3], match[4]
    minus = "minus " if sign else ""
    if scale:
        plural = CONVERTER_CLASSES["en"].CURRENCY_FORMS[code][0][1]
        return f"{minus}{_cardinal(number)} {scale} {plural}"
    amount = Decimal(number.replace(",", ""))
    words = num2words(amount, lang="en", to="currency", currency=code, separator=" |")
    whole, cents = words.replace(",", "").split(" | ")
    if amount == amount.to_integral_value():
        return minus + whole
    return minus + (cents if abs(amount) < 1 else f"{whole} and {cents}")


def _degrees(match: re.Match) -> str:
    unit = {"C": " Celsius", "F": " Fahrenheit"}.get(match[2] or "", "")
    return f"{match[1]} degrees{unit}"


_RULES: list[Rule] = [
    (re.compile(r"(?<=\d)\s*[–—―]\s*(?=\d)"), " to "),
    (re.compile(r"\s*[–—―]\s*|\s+-\s+"), ", "),
    (re.compile(r"\b(?i:st)\.(?=\s+[A-Z])"), "saint"),
    (re.compile(rf"\b(?i:({alternatives(_TITLES)}))\.(?=\s*[\w,])"), abbreviation(_TITLES)),
    (re.compile(rf"\b(?i:({alternatives(_TRAILING)}))\.(?={_SENTENCE_END})"),
     abbreviation(_TRAILING, keep_period=True)),
    (re.compile(rf"\b(?i:({alternatives(_TRAILING)}))\."), abbreviation(_TRAILING)),
    (re.compile(r"\b(?i:no)\.(?=\s?\d)"), "number"),
    (re.compile(r"#(?=\s?\d)"), "number "),
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), _iso_date),
    (re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}"), _month_day),
    (re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}"), _day_month),
    (re.compile(rf"\b(\d{{1,2}}):(\d{{2}})\b(?:\s*{_HALF_DAY})?"), _clock),
    (re.compile(rf"\b(\d{{1,2}})\s*{_HALF_DAY}"),
     lambda m: f"{_cardinal(m[1])} {m[2].upper()}M"),
    (re.compile(rf"(-)?([$£€₹])\s?({_NUMBER}){_SCALES}"), _money),
    (re.compile(rf"({_NUMBER})\s?%"), lambda m: f"{_cardinal(m[1])} percent"),
    (re.compile(r"(\d)\s?°\s?([CF]\b)?"), _degrees),
    (re.compile(r"\b(\d{3}0)s\b"), _decade),
    (re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)\b"), lambda m: _ordinal(m[1])),
    # A lone four-digit number from 1100 to 2099 is almost always a year.
    (re.compile(r"(?<![\d,.-])\b(1[1-9]\d\d|20\d\d)\b(?![.,]\d)"), lambda m: _year(m[1])),
    (re.compile(_NUMBER), lambda m: apart(m, _cardinal(m[0]))),
]
