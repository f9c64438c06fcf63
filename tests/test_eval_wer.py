"""Error rates: equal to jiwer's on the same normalised text, Kaldi's summary format."""

import re

import jiwer
import pytest

from voxtune.errors import InputError
from voxtune.eval import error_rate, normalize_for_scoring

REFS = {"u1": "The quick brown fox jumps over the lazy dog.",
        "u2": "Mr. Smith paid twenty-one dollars.",
        "u3": "Please call Stella."}
HYPS = {"u1": "the quick brown fox jumped over a lazy dog",
        "u2": "mister smith paid $21",
        "u3": "please call stella and ask her"}


def test_word_error_rate_equals_jiwer_on_the_normalised_text():
    ours = error_rate(REFS, HYPS, "en")
    refs = [normalize_for_scoring(REFS[k], "en") for k in REFS]
    hyps = [normalize_for_scoring(HYPS[k], "en") for k in REFS]
    reference = jiwer.process_words(refs, hyps)
    assert ours.rate == pytest.approx(reference.wer)
    assert (ours.substitutions, ours.deletions, ours.insertions) == (
        reference.substitutions, reference.deletions, reference.insertions)


def test_normalisation_forgives_case_punctuation_numbers_and_titles():
    assert error_rate({"a": REFS["u2"]}, {"a": HYPS["u2"]}, "en").errors == 0


def test_character_error_rate_equals_jiwer_for_chinese_and_english():
    refs, hyps = {"z": "今天天气很好，我们去公园。"}, {"z": "今天天汽很好我们去公园了"}
    ours = error_rate(refs, hyps, "zh")
    assert ours.unit == "char"
    assert ours.rate == pytest.approx(jiwer.cer(normalize_for_scoring(refs["z"], "zh"),
                                                normalize_for_scoring(hyps["z"], "zh")))
    english = error_rate(REFS, HYPS, "en", unit="char")
    refs_n = [normalize_for_scoring(REFS[k], "en") for k in REFS]
    hyps_n = [normalize_for_scoring(HYPS[k], "en") for k in REFS]
    assert english.rate == pytest.approx(jiwer.cer(refs_n, hyps_n))


def test_kaldi_summary_line_and_alignment():
    ours = error_rate(REFS, HYPS, "en")
    line = ours.kaldi_line()
    assert re.fullmatch(r"%WER \d+\.\d{2} \[ \d+ / \d+, \d+ ins, \d+ del, \d+ sub \]", line)
    assert line == (f"%WER {100 * ours.rate:.2f} [ {ours.errors} / {ours.length}, "
                    f"{ours.insertions} ins, {ours.deletions} del, {ours.substitutions} sub ]")
    first = ours.utterances[0]
    assert ("substitute", "jumps", "jumped") in first.operations
    assert ("insert", "", "and ask her") in ours.utterances[2].operations


def test_missing_and_extra_hypotheses():
    partial = error_rate(REFS, {"u1": HYPS["u1"]}, "en")
    assert partial.utterances[1].deletions == partial.utterances[1].length > 0
    with pytest.raises(InputError, match="no reference"):
        error_rate(REFS, {**HYPS, "u9": "stray"}, "en")
    with pytest.raises(InputError, match="no references"):
        error_rate({}, {}, "en")
    empty_ref = error_rate({"e": ""}, {"e": "words here"}, "en")
    assert empty_ref.insertions == 2 and empty_ref.length == 0


def test_cli_prints_worst_utterances_and_the_kaldi_line(tmp_path, capsys):
    from voxtune.cli import main

    (tmp_path / "ref").write_text("".join(f"{k} {v}\n" for k, v in REFS.items()))
    (tmp_path / "hyp").write_text("".join(f"{k} {v}\n" for k, v in HYPS.items()))
    assert main(["eval", "wer", str(tmp_path / "ref"), str(tmp_path / "hyp")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == error_rate(REFS, HYPS, "en").kaldi_line()
    assert lines[0].startswith("u3 ")  # the worst utterance first
    assert main(["eval", "wer", str(tmp_path / "ref"), str(tmp_path / "missing")]) == 2


def test_whisper_traditional_transcript_of_a_simplified_reference_scores_zero():
    score = error_rate({"z": "今天天气很好，我们去公园散步吧。"},
                       {"z": "今天天氣很好 我們去公園散步吧"}, "zh")
    assert (score.errors, score.length) == (0, 14)
    assert score.kaldi_line() == "%CER 0.00 [ 0 / 14, 0 ins, 0 del, 0 sub ]"


def test_full_width_digits_and_letters_count_as_half_width_lowercase():
    assert (normalize_for_scoring("我买了３个ＩＰｈｏｎｅ，花了１２０００元", "zh")
            == "我买了3个iphone花了12000元")
    assert error_rate({"z": "我买了3个iPhone"}, {"z": "我买了３个ＩＰＨＯＮＥ"}, "zh").errors == 0


def test_chinese_and_ascii_punctuation_and_spaces_beside_han_do_not_count():
    reference = "“你好！”她说：“欢迎来到《北京》……（真的）——是吗？”"
    hypothesis = "你好! 她说: 欢迎来到 北京... (真的) - 是吗?"
    assert error_rate({"z": reference}, {"z": hypothesis}, "zh").errors == 0
    assert normalize_for_scoring("我用 Google Maps 导航。", "zh") == "我用google maps导航"


def test_a_real_chinese_error_is_still_counted():
    score = error_rate({"z": "今天天气很好，我们去公园散步吧。"},
                       {"z": "今天天氣不好，我們去公園散步了"}, "zh")
    assert (score.substitutions, score.deletions, score.insertions) == (2, 0, 0)
    assert ("substitute", "很", "不") in score.utterances[0].operations
    assert score.kaldi_line() == "%CER 14.29 [ 2 / 14, 0 ins, 0 del, 2 sub ]"


def test_han_text_scored_by_character_is_folded_under_any_language_label():
    refs, hyps = {"z": "我们去公园。"}, {"z": "我們去公園"}
    assert error_rate(refs, hyps, "en", unit="char").errors == 0
    assert normalize_for_scoring("東京に行きます。", "ja") == "東京に行きます"  # kanji kept
