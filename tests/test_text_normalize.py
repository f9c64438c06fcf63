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


@pytest.mark.parametrize(("spelling", "language"), [
    ("en", "en"), ("en-US", "en"), ("en_gb", "en"), ("zh", "zh"), ("zh-CN", "zh"),
    ("cmn", "zh"),
])
def test_language_spellings(spelling, language):
    assert canonical_language(spelling) == language
    assert normalize("1", spelling) == normalize("1", language)


def test_unsupported_language_names_itself_and_the_supported_ones():
    with pytest.raises(InputError, match=r"'fr'.*en \(.*zh \("):
        normalize("Bonjour", "fr")
