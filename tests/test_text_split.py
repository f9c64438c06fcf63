"""Long text splits the way GPT-SoVITS's text_split_method does, without its sharp edges."""

import pytest

from voxtune.errors import InputError
from voxtune.text import split_text
from voxtune.text.split import GPT_SOVITS_NAMES

PARAGRAPH = ("Dr. Smith paid $3.50 for two apples. It cost 3.5 times more than last year! "
             "Was it worth it? 今天天气很好，我们去公园吧。你觉得呢？"
             "He said: yes, of course. Then we left, happy and tired. OK.")


@pytest.mark.parametrize(("method", "expected"), [
    ("none", [PARAGRAPH]),
    ("sentences", [
        "Dr. Smith paid $3.50 for two apples. It cost 3.5 times more than last year! "
        "Was it worth it? 今天天气很好，我们去公园吧。",
        "你觉得呢？He said: yes, of course. Then we left, happy and tired. OK."]),
    ("length", [
        "Dr. Smith paid $3.50 for two apples.",
        "It cost 3.5 times more than last year!",
        "Was it worth it? 今天天气很好，我们去公园吧。",
        "你觉得呢？He said: yes, of course.",
        "Then we left, happy and tired. OK."]),
    ("zh_period", [
        "Dr. Smith paid $3.50 for two apples. It cost 3.5 times more than last year! "
        "Was it worth it? 今天天气很好，我们去公园吧。",
        "你觉得呢？He said: yes, of course. Then we left, happy and tired. OK."]),
    ("en_period", [
        "Dr. Smith paid $3.50 for two apples.",
        "It cost 3.5 times more than last year! Was it worth it? 今天天气很好，我们去公园吧。"
        "你觉得呢？He said: yes, of course.",
        "Then we left, happy and tired. OK."]),
    ("punctuation", [
        "Dr. Smith paid $3.50 for two apples.", "It cost 3.5 times more than last year!",
        "Was it worth it?", "今天天气很好，", "我们去公园吧。", "你觉得呢？He said:",
        "yes, of course.", "Then we left,", "happy and tired. OK."]),
])
def test_methods_on_a_mixed_paragraph(method, expected):
    assert split_text(PARAGRAPH, method, max_chars=40) == expected


@pytest.mark.parametrize(("alias", "method"), sorted(GPT_SOVITS_NAMES.items()))
def test_gpt_sovits_names_are_aliases(alias, method):
    assert split_text(PARAGRAPH, alias) == split_text(PARAGRAPH, method)


@pytest.mark.parametrize("method", sorted(GPT_SOVITS_NAMES.values()))
def test_no_piece_is_empty_or_cut_inside_a_number(method):
    pieces = split_text("Pi is about 3.14159. A thing costs 1,234.50 dollars... at 3:30. "
                        "。。 !! " * 3, method, max_chars=12)
    assert all(any(c.isalnum() for c in piece) for piece in pieces)
    joined = " ".join(pieces)
    assert joined.count("3.14159") == joined.count("1,234.50") == joined.count("3:30") == 3


def test_long_text_without_punctuation_is_cut_at_spaces_near_max_chars():
    words = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda " * 6).split()
    pieces = split_text(" ".join(words), "length", max_chars=50)
    assert " ".join(pieces).split() == words
    assert all(40 <= len(piece) <= 50 for piece in pieces[:-1])


def test_long_chinese_without_punctuation_is_cut_between_characters():
    pieces = split_text("我们" * 60, "length", max_chars=50)
    assert [len(piece) for piece in pieces] == [50, 50, 20]


def test_short_fragments_join_a_neighbour():
    assert split_text("Yes. I agree with you. Fine.", "punctuation") == [
        "Yes. I agree with you. Fine."]


def test_spanish_opening_marks_and_closing_guillemets_stay_with_their_sentence():
    text = "¿Dónde estabas anoche? ¡Te busqué por todas partes! Dijo: «¡No puede ser!» y se fue."
    assert split_text(text, "punctuation") == [
        "¿Dónde estabas anoche?", "¡Te busqué por todas partes!", "Dijo: «¡No puede ser!»",
        "y se fue."]


def test_period_before_an_ordinal_indicator_is_not_a_cut():
    assert split_text("Llegó el 3.º día y la 1.ª vez.", "en_period") == [
        "Llegó el 3.º día y la 1.ª vez."]


def test_empty_text_gives_no_pieces():
    assert split_text("  \n", "length") == split_text("...", "punctuation") == []


def test_unknown_method_lists_the_accepted_ones():
    with pytest.raises(InputError, match="cut5"):
        split_text("Hello.", "cut9")
