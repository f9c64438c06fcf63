"""Spanish written forms → the words a reader says (number words from num2words, lang="es").

Spanish writes thousands and decimals three ways: Spain 1.234,5, Mexico and the US 1,234.5,
the RAE's recommendation 1 234,5. All three are read. A lone mark followed by exactly three
digits groups thousands ("1.500" and "1,500" are both mil quinientos); any other mark is a
decimal one and is said as written ("3,5" tres coma cinco, "3.5" tres punto cinco).

Unlike English, Spanish numbers agree with what they count: "21 años" is veintiún años,
"200 personas" doscientas personas, "1 vez" una vez. The gender of the word after a number is
guessed from its ending (-a, -ción, -dad… are feminine, with the common exceptions día,
problema…); before a word that counts nothing ("1 de mayo", "1 y 2") a number stays "uno".

The rules run in order, most specific first, as in normalize_en: dates and times before plain
numbers, money, percentages and degrees before the digits they hold, ordinals before
cardinals.
"""

import re
import unicodedata
from datetime import date
from decimal import Decimal

from num2words import CONVERTER_CLASSES, num2words

from voxtune.text.rules import QUOTES, Rule, abbreviation, alternatives, apart, apply_rules

_MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre")
# A number as written: a sign (not after a letter or digit, so "5-10" stays a range), then
# digits grouped in thousands by dots, commas or spaces (with decimals after the other mark),
# or ungrouped digits with decimals after either mark.
_NUMBER = (r"(?:(?<![\w-])-)?(?:[1-9]\d{0,2}(?:(?:\.\d{3})+(?:,\d+)?|(?:,\d{3})+(?:\.\d+)?"
           r"|(?: \d{3})+(?:,\d+)?)(?![.,]?\d)|\d+(?:[.,]\d+)?)")
_MARK_WORDS = {",": "coma", ".": "punto"}
# What follows a period that ends a sentence (as opposed to one that ends an abbreviation).
_SENTENCE_END = r"\s*$|\s+[A-ZÁÉÍÓÚÜÑ¿¡]"
# "p. m." (the RAE's spelling), "p.m.", "pm", "PM"; the last period is kept where it ends the
# sentence.
_HALF_DAY = rf"([AaPp])\.?\s?[Mm]\b(?:\.(?!{_SENTENCE_END}))?"

# "$" is also the peso's sign; dollars is the reading shared with international text.
_CURRENCIES = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP"}
_CURRENCY = r"(US\$|[$€£])"
_SCALES = r"(mil millones|mil|mill(?:ón|ones)|bill(?:ón|ones))"

# Words after a number that it does not count: the number keeps its plain form ("uno").
_NOT_COUNTED = {"a", "al", "de", "del", "y", "e", "o", "u", "ni", "en", "con", "sin", "por",
                "para", "que", "entre", "hasta", "desde", "hacia", "sobre", "contra", "como",
                "más", "menos", "es", "son", "fue", "era", "se", "no"}
_FEMININE_ENDINGS = ("a", "ión", "iones", "dad", "tad", "tud", "umbre")
# Words whose gender the ending gets wrong; plurals are found by dropping -s or -es, except
# where the accent moves (avión, aviones).
_MASCULINE = {"día", "mapa", "problema", "programa", "sistema", "tema", "idioma", "clima",
              "planeta", "poema", "dilema", "esquema", "avión", "aviones", "camión", "camiones"}
_FEMININE = {"vez", "veces", "voz", "voces", "mano", "foto", "moto", "radio", "noche",
             "tarde", "parte", "clase", "calle", "gente", "llave", "muerte", "fuente", "frase",
             "serie", "especie", "mujer", "flor", "ley", "red", "piel", "imagen", "carne",
             "leche", "nieve"}

# Abbreviations whose period never ends a sentence (most come before a name).
_TITLES = {"sr": "señor", "sra": "señora", "srta": "señorita", "dr": "doctor", "dra": "doctora",
           "lic": "licenciado", "ing": "ingeniero", "prof": "profesor", "ud": "usted",
           "uds": "ustedes", "vd": "usted", "vds": "ustedes", "sto": "santo", "sta": "santa",
           "av": "avenida", "avda": "avenida", "aprox": "aproximadamente",
           "p. ej": "por ejemplo", "pág": "página", "págs": "páginas", "tel": "teléfono"}
# Abbreviations that may end a sentence: their period stays when a new sentence follows.
_TRAILING = {"etc": "etcétera"}
_SYMBOLS = {"&": " y ", "+": " más ", "=": " igual a ", "@": " arroba ", "%": " por ciento ",
            "×": " por ", "°": " grados "}


def normalize_spanish(text: str) -> str:
    """Spoken-form Spanish: numbers, money, dates, times, symbols and abbreviations as words;
    the opening marks ¿ and ¡ are kept, they set the intonation from the start.

    Whitespace is left for the caller to collapse (rules pad the words they insert)."""
    text = apply_rules(_nfkc(text).translate(QUOTES), _RULES)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    return text


def _nfkc(text: str) -> str:
    """NFKC everywhere but º and ª, which it would turn into o and a: "nº 5" would become the
    word "no", and "1.ª" could no longer be told from a letter."""
    return re.sub(r"[^ºª]+", lambda m: unicodedata.normalize("NFKC", m[0]), text)


def _parts(number: str) -> tuple[str, str, str]:
    """("1234", ",", "5") for "1.234,5": whole digits, decimal mark ("" for none), decimals.

    The last mark groups thousands where it also appears before ("1.234.567") or, alone,
    where three digits follow one to three that do not start with 0 ("1.500", "2,000")."""
    body = number.lstrip("-").replace(" ", "")
    split = max(body.rfind("."), body.rfind(","))
    if split < 0:
        return body, "", ""
    head, mark, tail = body[:split], body[split], body[split + 1:]
    if mark in head or (len(tail) == 3 and head.isdigit() and len(head) <= 3
                        and not head.startswith("0")):
        return re.sub(r"[.,]", "", body), "", ""
    return re.sub(r"[.,]", "", head), mark, tail


def _amount(number: str) -> Decimal:
    """The value of a number as written ("1.234,5" → 1234.5)."""
    whole, mark, decimals = _parts(number)
    value = Decimal(f"{whole}.{decimals}" if mark else whole)
    return -value if number.startswith("-") else value


def _whole(number: int) -> str:
    """num2words' cardinal with "uno" shortened before mil and millones, as it is said
    (num2words writes "veintiuno mil"; Spanish says veintiún mil)."""
    words = num2words(number, lang="es")
    return re.sub(r"\b(veinti)?uno(?= (?:mil|[mb]ill))",
                  lambda m: "veintiún" if m[1] else "un", words)


def _decimals(digits: str) -> str:
    """Decimals as they are read: a number after any leading zeros while short ("05" cero
    cinco, "14" catorce), digit by digit when long ("14159")."""
    if len(digits) > 3:
        return " ".join(_whole(int(digit)) for digit in digits)
    significant = digits.lstrip("0")
    zeros = ["cero"] * (len(digits) - len(significant))
    return " ".join(zeros + ([_whole(int(significant))] if significant else []))


def _cardinal(number: str) -> str:
    """Words for a number as written: "1.234" mil doscientos treinta y cuatro, "3,5" tres coma
    cinco, "-7" menos siete."""
    whole, mark, decimals = _parts(number)
    words = _whole(int(whole))
    if mark:
        words += f" {_MARK_WORDS[mark]} {_decimals(decimals)}"
    return ("menos " if number.startswith("-") else "") + words


def _is_feminine(word: str) -> bool:
    """A guess from the ending, right for most nouns and adjectives; see the module doc."""
    forms = {word.lower(), word.lower().removesuffix("s"), word.lower().removesuffix("es")}
    if forms & (_MASCULINE | _FEMININE):
        return bool(forms & _FEMININE)
    return any(form.endswith(_FEMININE_ENDINGS) for form in forms)


def _agree(words: str, noun: str) -> str:
    """Cardinal `words` agreeing with the `noun` they count: "uno" becomes un or una,
    "-cientos" -cientas, and a number ending in millones takes "de" ("un millón de
    personas"). Unchanged before a word that counts nothing, or none."""
    if not noun or noun.lower() in _NOT_COUNTED:
        return words
    if re.search(r"\b[mb]ill(?:ón|ones)$", words):
        return words + " de"
    if not _is_feminine(noun):
        return re.sub(r"\b(veinti)?uno$", lambda m: "veintiún" if m[1] else "un", words)
    # Hundreds agree up to the last millón: "doscientos millones de personas" stays.
    head, scale, tail = words.rpartition("illones" if "illones" in words else "illón")
    tail = re.sub(r"ientos\b", "ientas", tail)
    return head + scale + re.sub(r"\b(veinti)?uno$", r"\1una", tail)


def _count(number: str, noun: str) -> str:
    """`number` in words, agreeing with `noun` where it is whole (decimals say "uno coma…")."""
    words = _cardinal(number)
    return words if _parts(number)[1] else _agree(words, noun)


def _next_word(match: re.Match) -> str:
    """The word right after `match` ("" where a mark, a digit or the end comes first)."""
    following = re.match(r"\s*([^\W\d_]+)", match.string[match.end():])
    return following[1] if following else ""


def _ordinal(match: re.Match) -> str:
    """"1.º" primero, "1.ª" primera, "1er" primer, "3ra" tercera, "21.º" vigésimo primero."""
    words = num2words(int(match[1]), lang="es", to="ordinal")
    suffix = match[2]
    if suffix == "er":
        return re.sub(r"(primer|tercer)o$", r"\1", words)
    return re.sub(r"o\b", "a", words) if suffix.endswith(("a", "ª")) else words


def _date(year: str, month: str, day: str, written: str) -> str:
    """"uno de mayo de dos mil veinticuatro"; `written` as it was if there is no such date."""
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return written
    return f"{_whole(int(day))} de {_MONTHS[int(month) - 1]} de {_whole(int(year))}"


def _part_of_day(hours: int, half: str) -> str:
    """What a. m. and p. m. are said as: "3 p. m." is las tres de la tarde."""
    if half.lower() == "p":
        return "del mediodía" if hours == 12 else "de la tarde" if hours < 8 else "de la noche"
    return "de la noche" if hours == 12 else "de la madrugada" if hours < 6 else "de la mañana"


def _clock(match: re.Match) -> str:
    """"9:05" → "nueve y cinco", "3:30 p. m." → "tres y media de la tarde", "12:00" → "doce
    en punto", "15:00" or "9:00 h" → "quince horas" (hours are feminine: la una, las
    veintiuna)."""
    hours, minutes, half, h_suffix = int(match[1]), int(match[2]), match[3], match[4]
    if hours > 23 or minutes > 59:
        return match[0]
    said = _agree(_whole(hours), "horas")
    if minutes:
        said += " y " + {15: "cuarto", 30: "media"}.get(minutes, _whole(minutes))
    elif not half:
        said += " en punto" if 1 <= hours <= 12 and not h_suffix else " horas"
    return f"{said} {_part_of_day(hours, half)}" if half else said


def _money(sign: str, symbol: str, number: str, scale: str | None) -> str:
    """"3,50 €" → "tres euros con cincuenta céntimos", "$0.99" → "noventa y nueve centavos",
    "1,5 millones de €" → "uno coma cinco millones de euros"."""
    code = _CURRENCIES[symbol]
    minus = "menos " if sign or number.startswith("-") else ""
    number = number.removeprefix("-")
    if scale:
        plural = CONVERTER_CLASSES["es"].CURRENCY_FORMS[code][0][1]
        of = "" if scale == "mil" else " de"  # cinco mil euros, cinco millones de euros
        return f"{minus}{_count(number, scale)} {scale}{of} {plural}"
    amount = _amount(number)
    words = num2words(amount, lang="es", to="currency", currency=code, separator=" |")
    whole, cents = words.split(" | ")
    if amount == amount.to_integral_value():
        return minus + whole
    return minus + (cents if amount < 1 else f"{whole} con {cents}")


def _degrees(match: re.Match) -> str:
    """"21 °C" → "veintiún grados Celsius", "1°" → "un grado"."""
    unit = {"C": " Celsius", "F": " Fahrenheit"}.get(match[2] or "", "")
    noun = "grado" if abs(_amount(match[1])) == 1 else "grados"
    return f"{_count(match[1], noun)} {noun}{unit}"


_RULES: list[Rule] = [
    (re.compile(r"(?<=\d)\s*[–—―]\s*(?=\d)"), " a "),
    (re.compile(r"\s*[–—―]\s*|\s+-\s+"), ", "),
    (re.compile(rf"\b(?i:({alternatives(_TITLES)}))\.(?=\s*[\w,])"), abbreviation(_TITLES)),
    (re.compile(rf"\b(?i:({alternatives(_TRAILING)}))\.(?={_SENTENCE_END})"),
     abbreviation(_TRAILING, keep_period=True)),
    (re.compile(rf"\b(?i:({alternatives(_TRAILING)}))\."), abbreviation(_TRAILING)),
    (re.compile(rf"\bEE\.?\s?UU\b(?:\.(?!{_SENTENCE_END}))?"), "Estados Unidos"),
    (re.compile(r"(?:\b(?i:n\.?º|núm\.|nro\.)|#)\s?(?=\d)"), "número "),
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), lambda m: _date(m[1], m[2], m[3], m[0])),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"), lambda m: _date(m[3], m[2], m[1], m[0])),
    (re.compile(rf"\b(\d{{1,2}}):(\d{{2}})\b(?:\s*{_HALF_DAY}|\s?(h|hrs?|horas)\b)?"), _clock),
    (re.compile(rf"\b(\d{{1,2}})\s*{_HALF_DAY}"),
     lambda m: f"{_agree(_whole(int(m[1])), 'horas')} {_part_of_day(int(m[1]), m[2])}"),
    (re.compile(rf"(-)?{_CURRENCY}\s?({_NUMBER})(?:\s{_SCALES}\b)?"),
     lambda m: _money(m[1], m[2], m[3], m[4])),
    (re.compile(rf"({_NUMBER})(?:\s{_SCALES}(?:\sde)?)?\s?{_CURRENCY}"),
     lambda m: _money("", m[3], m[1], m[2])),
    (re.compile(rf"({_NUMBER})\s?%"), lambda m: f"{_cardinal(m[1])} por ciento"),
    (re.compile(rf"({_NUMBER})\s?(?:°|º(?=\s?[CF]\b))\s?([CF]\b)?"), _degrees),
    (re.compile(r"\b([1-9]\d*)\.?(º|ª|er|era|ra|ro|do|da|to|ta|mo|ma|vo|va|no|na)\b"), _ordinal),
    (re.compile(_NUMBER), lambda m: apart(m, _count(m[0], _next_word(m)))),
    # Dashes made pauses above; one next to another mark, or opening the text, is dropped
    # ("—¿Vienes? —preguntó." is a dialogue, not three pauses).
    (re.compile(r",(\s*[,.;:!?)])"), r"\1"),
    (re.compile(r"(^|[.;:!?¿¡(])(\s*),"), r"\1\2"),
]
