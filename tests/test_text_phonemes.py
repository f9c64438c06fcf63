"""G2P: English and Spanish through espeak-ng (IPA with stress), Chinese through pypinyin
(TONE3)."""

from voxtune.text import phonemize, text_to_phonemes


def test_english_is_ipa_with_stress_and_keeps_punctuation():
    assert phonemize("hello, world!", "en") == "həlˈoʊ, wˈɜːld!"


def test_english_spellings_share_the_en_us_voice():
    assert phonemize("tomato?", "en-gb") == phonemize("tomato?", "en")


def test_spanish_is_ipa_with_stress_and_keeps_opening_marks():
    assert phonemize("¿Cómo estás? ¡Muy bien!", "es") == "¿kˈomo estˈas? ¡mˈuj βjˈen!"


def test_spanish_writes_its_own_consonants():
    assert phonemize("La niña llama al gato y el lobo ya llega.", "es") == \
        "la nˈiɲa ʎˈama al ɣˈato i el lˈoβo ʝˈa ʎˈeɣa."


def test_spanish_spellings_share_the_castilian_es_voice():
    assert phonemize("cielo", "es-MX") == phonemize("cielo", "es") == "θjˈelo"


def test_chinese_is_tone3_pinyin_syllables_separated_by_spaces():
    assert phonemize("你好", "zh") == "ni3 hao3"


def test_chinese_neutral_tone_is_5_and_punctuation_is_kept():
    assert phonemize("你好吗？我们走吧。", "zh") == "ni3 hao3 ma5？wo3 men5 zou3 ba5。"


def test_latin_words_in_chinese_go_through_english_g2p():
    assert phonemize("我用iPhone。", "zh") == "wo3 yong4 " + phonemize("iPhone", "en") + "。"


def test_text_to_phonemes_normalises_first():
    assert text_to_phonemes("2 cats", "en") == phonemize("two cats", "en")
    assert text_to_phonemes("第2名", "zh") == "di4 er4 ming2"
    assert text_to_phonemes("21 años", "es") == phonemize("veintiún años", "es")


def test_empty_text_has_no_phonemes():
    assert phonemize("", "en") == phonemize(" ", "zh") == phonemize("\n", "es") == ""
