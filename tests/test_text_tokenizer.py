"""Text tokenizers: a fixed phoneme inventory, and a pretrained backbone's own tokenizer."""

import pytest
from pypinyin.contrib.tone_convert import to_tone3
from pypinyin.pinyin_dict import pinyin_dict
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from tests.conftest import SENTENCES
from voxtune.errors import ConfigError, InputError
from voxtune.text import (
    TOKENIZER_FILE,
    PhonemeTokenizer,
    load_text_tokenizer,
    normalize,
    prepare_text,
    text_to_phonemes,
)
from voxtune.text.symbols import SYMBOLS

ENGLISH = "Dr. Smith paid $3.50 for 2 apples on 2024-05-01 at 3:30 pm; was it worth it?"
CHINESE = "今天是2024年5月1日，我们带上iPhone去绿色的公园吧！你觉得呢？"
SPANISH = "¿Dónde está el Sr. Peña? ¡Pagó 3,50 € por 21 manzanas el 1.º de mayo y ya llegó!"
SPANISH_SENTENCES = [
    "El veloz murciélago hindú comía feliz cardillo y kiwi.",
    "La cigüeña tocaba el saxofón detrás del palenque de paja.",
    "¿Quién llamó a la puerta ayer por la noche? ¡Yo no fui!",
    "Los niños juegan al fútbol en el jardín mientras llueve.",
    "Guillermo trajo queso, jamón y chorizo de Zaragoza.",
    "Hay que ir al aeropuerto temprano; el vuelo sale a las 6:45.",
]
OLD_SYMBOL_COUNT = 293  # the inventory before Spanish


@pytest.mark.parametrize(("text", "language"),
                         [(ENGLISH, "en"), (CHINESE, "zh"), (SPANISH, "es")])
def test_phonemes_round_trip_exactly_with_no_unknown_symbols(text, language):
    tokenizer = PhonemeTokenizer()
    phonemes = text_to_phonemes(text, language)
    ids = tokenizer.encode(phonemes, language)
    assert tokenizer.decode(ids) == phonemes
    assert not tokenizer.unknown and tokenizer.unk_id not in ids


def test_chinese_syllable_is_initial_plus_toned_final():
    tokenizer = PhonemeTokenizer()
    ids = tokenizer.encode("zhang1 yue4 ng2", "zh")
    assert [tokenizer.symbols[i] for i in ids] == [
        "py:zh", "py:ang1", " ", "py:y", "py:ue4", " ", "py:ng2"]


def test_every_pypinyin_syllable_is_in_the_inventory():
    tokenizer = PhonemeTokenizer()
    syllables = {to_tone3(reading, neutral_tone_with_five=True)
                 for readings in pinyin_dict.values() for reading in readings.split(",")}
    for syllable in syllables:
        assert tokenizer.decode(tokenizer.encode(syllable, "zh")) == syllable
    assert not tokenizer.unknown


def test_english_sentences_use_only_inventory_symbols():
    tokenizer = PhonemeTokenizer()
    for sentence in SENTENCES:
        tokenizer.encode(text_to_phonemes(sentence, "en"), "en")
    assert not tokenizer.unknown


def test_spanish_sentences_use_only_inventory_symbols():
    tokenizer = PhonemeTokenizer()
    for sentence in SPANISH_SENTENCES:
        tokenizer.encode(text_to_phonemes(sentence, "es"), "es")
    assert not tokenizer.unknown


def test_unknown_symbols_become_unk_and_are_counted():
    tokenizer = PhonemeTokenizer()
    ids = tokenizer.encode("hˈɛ☃ ☃", "en")
    assert ids.count(tokenizer.unk_id) == 2 and tokenizer.unknown == {"☃": 2}
    tokenizer.encode("ni7", "zh")
    assert tokenizer.unknown["7"] == 1


def test_vocabulary_is_a_constant_list():
    tokenizer = PhonemeTokenizer()
    assert tokenizer.vocab_size == len(SYMBOLS) == 300
    assert tokenizer.symbols[OLD_SYMBOL_COUNT:] == ("¿", "¡", "β", "ɣ", "ʎ", "ɲ", "ʝ")
    assert tokenizer.symbols[:4] == ("<pad>", "<unk>", "<bos>", "<eos>")
    assert (tokenizer.pad_id, tokenizer.unk_id, tokenizer.bos_id, tokenizer.eos_id) == (0, 1, 2, 3)


def test_a_tokenizer_saved_before_spanish_keeps_its_ids_and_counts_what_it_lacks():
    older = PhonemeTokenizer(SYMBOLS[:OLD_SYMBOL_COUNT])
    english = text_to_phonemes(ENGLISH, "en")
    assert older.encode(english, "en") == PhonemeTokenizer().encode(english, "en")
    older.encode(text_to_phonemes("¿Y la niña?", "es"), "es")
    assert older.unknown == {"¿": 1, "ɲ": 1}


def test_saved_phoneme_tokenizer_loads_with_the_same_ids(tmp_path):
    original = PhonemeTokenizer()
    original.save(tmp_path)
    assert (tmp_path / TOKENIZER_FILE).is_file()
    loaded = load_text_tokenizer("phonemes", tmp_path)
    for text, language in ((ENGLISH, "en"), (CHINESE, "zh"), (SPANISH, "es")):
        assert prepare_text(text, language, loaded) == prepare_text(text, language, original)
    assert loaded.vocab_size == original.vocab_size


def test_missing_tokenizer_file_names_the_file(tmp_path):
    with pytest.raises(InputError, match=TOKENIZER_FILE):
        load_text_tokenizer("phonemes", tmp_path)


def test_prepare_text_phonemizes_for_a_phoneme_tokenizer():
    tokenizer = PhonemeTokenizer()
    assert prepare_text("2 cats", "en", tokenizer) == \
        tokenizer.encode(text_to_phonemes("2 cats", "en"), "en")


@pytest.fixture
def backbone_folder(tmp_path):
    """A tiny word-level tokenizer saved the way a pretrained model folder holds one."""
    words = ["[UNK]", "[PAD]", "hello", "world", "two", "cats", "twenty-one", "percent"]
    model = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    model.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(tokenizer_object=model, unk_token="[UNK]",
                            pad_token="[PAD]").save_pretrained(tmp_path / "backbone")
    return tmp_path / "backbone"


def test_backbone_tokenizer_round_trips_normalised_graphemes(backbone_folder):
    tokenizer = load_text_tokenizer("backbone", str(backbone_folder))
    assert tokenizer.vocab_size == 8
    ids = prepare_text("2 cats", "en", tokenizer)
    assert ids == tokenizer.encode(normalize("2 cats", "en"), "en") == [4, 5]
    assert tokenizer.decode(ids) == "two cats"


def test_backbone_counts_unknown_words_and_saves_the_same_ids(backbone_folder, tmp_path):
    tokenizer = load_text_tokenizer("backbone", str(backbone_folder))
    ids = tokenizer.encode("hello mars", "en")
    assert ids == [2, 0] and tokenizer.unknown == {"mars": 1}
    tokenizer.save(tmp_path / "copy")
    assert load_text_tokenizer("backbone", str(tmp_path / "copy")).encode("hello mars", "en") == ids


def test_backbone_needs_a_folder_and_says_so(tmp_path):
    with pytest.raises(ConfigError, match="folder or hub id"):
        load_text_tokenizer("backbone", None)
    with pytest.raises(InputError, match="tokenizer.json"):
        load_text_tokenizer("backbone", str(tmp_path / "nowhere"))
