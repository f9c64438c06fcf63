"""Normalisation writes what a reader says: numbers, money, dates and symbols as words."""

import re

import pytest

from voxtune.errors import InputError
from voxtune.text import canonical_language, normalize


def test_english_sentence_with_every_kind_of_number_reads_aloud():
    text = ("Dr. Smith paid $3.50 for 2 apples on 2024-05-01 at 3:30 pm, 21st in line, "
            "50% off.")
    said = normalize(text, "en").lower()
    for words in ("doctor smith", "three dollars and fifty cents", "two apples",
                  "may first, twenty twenty-four", "three thirty pm", "twenty-first in line",
                  "fifty percent off."):
        assert words in said
    assert not re.search(r"\d", said)


@pytest.mark.parametrize(("written", "said"), [
    ("in 1999", "in nineteen ninety-nine"),
    ("the 1990s", "the nineteen nineties"),
    ("1,234,567 people", "one million two hundred and thirty-four thousand five hundred and "
                         "sixty-seven people"),
    ("a 3.14 ratio", "a three point one four ratio"),
    ("it was -7 outside", "it was minus seven outside"),
    ("pages 10–20", "pages ten to twenty"),
    ("mp3", "mp three"),
])
def test_english_numbers(written, said):
    assert normalize(written, "en") == said


@pytest.mark.parametrize(("written", "said"), [
    ("$5", "five dollars"),
    ("$0.99", "ninety-nine cents"),
    ("€2.50", "two euro and fifty cents"),
    ("£1,200", "one thousand two hundred pounds sterling"),
    ("$1.5 million", "one point five million dollars"),
])
def test_english_money(written, said):
    assert normalize(written, "en") == said


@pytest.mark.parametrize(("written", "said"), [
    ("May 1, 2024", "May first, twenty twenty-four"),
    ("1 May 2024", "the first of May, twenty twenty-four"),
    ("Dec. 25th", "December twenty-fifth"),
    ("at 9:05 a.m. sharp", "at nine oh five AM sharp"),
    ("Leave at 7 p.m. Then sleep.", "Leave at seven PM. Then sleep."),
    ("by 15:00", "by fifteen hundred"),
])
def test_english_dates_and_times(written, said):
    assert normalize(written, "en") == said


def test_impossible_iso_date_is_read_as_numbers_not_as_a_date():
    assert "February" not in normalize("2024-02-30", "en")


@pytest.mark.parametrize(("written", "said"), [
    ("Mr. and Mrs. Jones", "mister and missus Jones"),
    ("St. Louis and Main St. in town", "saint Louis and Main street in town"),
    ("apples, pears, etc. Then more.", "apples, pears, et cetera. Then more."),
    ("R&D + QA = 100%", "R and D plus QA equals one hundred percent"),
    ("mail me @ home, #1", "mail me at home, number one"),
    ("It's 25°C", "It's twenty-five degrees Celsius"),
])
def test_english_abbreviations_and_symbols(written, said):
    assert normalize(written, "en") == said


def test_english_quotes_dashes_and_whitespace_are_made_plain():
    assert normalize("  He said “don’t” — twice\n\tthen  left… ", "en") == \
        "He said \"don't\", twice then left..."


def test_chinese_numbers_become_chinese_readings_and_punctuation_stays():
    said = normalize("今天是2024年5月1日，气温25.5度，增长了50%。", "zh")
    assert said == "今天是二零二四年五月一日，气温二十五点五度，增长了百分之五十。"
    assert not re.search(r"\d", said)


@pytest.mark.parametrize(("written", "said"), [
    ("3:05开会", "三点零五分开会"),
    ("2024-05-01", "二零二四年五月一日"),
    ("气温-5℃", "气温负五摄氏度"),
    ("共1,234元", "共一千二百三十四元"),
    ("价格¥35.5", "价格三十五点五元"),
    ("１２３个", "一百二十三个"),
])
def test_chinese_numbers_cn2an_misreads_alone(written, said):
    assert normalize(written, "zh") == said


def test_chinese_punctuation_is_reduced_to_five_marks():
    said = normalize("他说：“好的”（真的）!! 你呢?那……再见.", "zh")
    assert said == "他说，好的，真的！你呢？那。再见。"
    assert set(re.sub(r"[\u4e00-\u9fff]", "", said)) <= set("，。？！、")


def test_spanish_sentence_with_every_kind_of_number_reads_aloud():
    text = ("¿El Dr. García pagó 3,50 € por 2 manzanas el 2024-05-01 a las 3:30 p. m.? "
            "¡Quedó 1.º con un 50 % de descuento!")
    said = normalize(text, "es")
    assert said == ("¿El doctor García pagó tres euros con cincuenta céntimos por dos manzanas "
                    "el uno de mayo de dos mil veinticuatro a las tres y media de la tarde? "
                    "¡Quedó primero con un cincuenta por ciento de descuento!")


@pytest.mark.parametrize(("written", "said"), [
    ("1.234.567 habitantes", "un millón doscientos treinta y cuatro mil quinientos sesenta y "
                             "siete habitantes"),
    ("1,500 y 1.500 y 10 000", "mil quinientos y mil quinientos y diez mil"),
    ("pesa 3,5 kilos", "pesa tres coma cinco kilos"),
    ("vale 3.14 o 0,05", "vale tres punto catorce o cero coma cero cinco"),
    ("en 1999", "en mil novecientos noventa y nueve"),
    ("hizo -7 grados", "hizo menos siete grados"),
    ("páginas 10–20", "páginas diez a veinte"),
    ("mp3", "mp tres"),
])
def test_spanish_numbers_in_spain_and_latin_american_formats(written, said):
    assert normalize(written, "es") == said


@pytest.mark.parametrize(("written", "said"), [
    ("21 años", "veintiún años"),
    ("1 vez y 31 noches", "una vez y treinta y una noches"),
    ("200 personas y 200 libros", "doscientas personas y doscientos libros"),
    ("21000 casas", "veintiún mil casas"),
    ("1 millón", "un millón"),
    ("1000000 personas", "un millón de personas"),
    ("el 1 de mayo", "el uno de mayo"),
    ("1 día", "un día"),
])
def test_spanish_numbers_agree_with_what_they_count(written, said):
    assert normalize(written, "es") == said


@pytest.mark.parametrize(("written", "said"), [
    ("3,50 €", "tres euros con cincuenta céntimos"),
    ("$0.99", "noventa y nueve centavos"),
    ("1 £", "una libra"),
    ("€21", "veintiún euros"),
    ("US$ 1.200", "mil doscientos dólares"),
    ("1,5 millones de €", "uno coma cinco millones de euros"),
    ("-5 €", "menos cinco euros"),
])
def test_spanish_money(written, said):
    assert normalize(written, "es") == said


@pytest.mark.parametrize(("written", "said"), [
    ("a las 9:05", "a las nueve y cinco"),
    ("a la 1:15", "a la una y cuarto"),
    ("a las 12:00", "a las doce en punto"),
    ("a las 21:00 h.", "a las veintiuna horas."),
    ("a las 7 p. m. Luego cenó.", "a las siete de la tarde. Luego cenó."),
    ("el 24/12/2023", "el veinticuatro de diciembre de dos mil veintitrés"),
    ("el 1.º y la 2.ª", "el primero y la segunda"),
    ("el 3er piso y la 21.ª vez", "el tercer piso y la vigésima primera vez"),
    ("hace 21 °C", "hace veintiún grados Celsius"),
])
def test_spanish_times_dates_ordinals_and_degrees(written, said):
    assert normalize(written, "es") == said


@pytest.mark.parametrize(("written", "said"), [
    ("La Sra. Ruiz y el Sr. Gil viven en la Av. Sol nº 5",
     "La señora Ruiz y el señor Gil viven en la avenida Sol número cinco"),
    ("peras, uvas, etc. Luego más.", "peras, uvas, etcétera. Luego más."),
    ("Viajó a EE. UU. con I+D & 100%", "Viajó a Estados Unidos con I más D y cien por ciento"),
])
def test_spanish_abbreviations_and_symbols(written, said):
    assert normalize(written, "es") == said


def test_spanish_keeps_opening_marks_and_reads_dialogue_dashes_as_nothing():
    assert normalize("  —¿Vienes?  —preguntó ella—. ¡ Claro!  «Sí»… ", "es") == \
        '¿Vienes? preguntó ella. ¡Claro! "Sí"...'


@pytest.mark.parametrize(("spelling", "language"), [
    ("en", "en"), ("en-US", "en"), ("en_gb", "en"), ("zh", "zh"), ("zh-CN", "zh"),
    ("cmn", "zh"), ("es", "es"), ("es-ES", "es"), ("es_MX", "es"), ("es-419", "es"),
    ("spa", "es"), ("Spanish", "es"), ("español", "es"),
])
def test_language_spellings(spelling, language):
    assert canonical_language(spelling) == language
    assert normalize("1", spelling) == normalize("1", language)


def test_unsupported_language_names_itself_and_the_supported_ones():
    with pytest.raises(InputError, match=r"'fr'.*en \(.*es \(es-es, es-mx, es-419, …\).*zh \("):
        normalize("Bonjour", "fr")
