"""Word and character error rates, computed with jiwer after text normalisation.

Normalisation follows Whisper's evaluation: English through its `EnglishTextNormalizer`
(spelled-out numbers and currency become digits, contractions expand, punctuation and case
go), other languages through its `BasicTextNormalizer`. Chinese, Japanese and Thai are
scored per character (CER), since they are written without spaces; everything else per
word (WER), unless asked otherwise. The summary line has Kaldi's `compute-wer` format.

Chinese scored per character, and any other text with Han characters scored per character
(Japanese aside: its kanji are not traditional Chinese), is compared as Fun-ASR compares it:
full-width forms become half-width (NFKC), Latin letters lowercase, traditional characters
simplified (OpenCC's t2s; Whisper writes Mandarin in traditional characters, references are
usually simplified), punctuation and symbols go, and so do spaces beside a Han character
(spaces between Latin words stay, since they count in CER).
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import jiwer
import opencc
from transformers.models.whisper.english_normalizer import (
    BasicTextNormalizer,
    EnglishTextNormalizer,
)

from voxtune.errors import InputError

CHARACTER_LANGUAGES = {"zh", "cmn", "yue", "ja", "th"}
CHINESE_LANGUAGES = {"zh", "cmn", "yue"}
_ENGLISH = EnglishTextNormalizer({})
_BASIC = BasicTextNormalizer()
# CJK unified ideographs, extension A, compatibility ideographs, extensions B to G.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_CHARACTER = re.compile(f"[{_HAN}]")
_SPACE_BESIDE_HAN = re.compile(f"\\s+(?=[{_HAN}])|(?<=[{_HAN}])\\s+")


def _base_language(language: str) -> str:
    """`en-US`, `zh_CN` → `en`, `zh`."""
    return language.lower().split("-")[0].split("_")[0]


def scoring_unit(language: str) -> str:
    """"char" for languages written without spaces between words, else "word"."""
    return "char" if _base_language(language) in CHARACTER_LANGUAGES else "word"


def normalize_for_scoring(text: str, language: str, unit: str | None = None) -> str:
    """Text in the form both sides are compared in (see the module docstring); `unit` is
    "word" or "char", by default the language's."""
    base = _base_language(language)
    if (unit or scoring_unit(language)) == "char" and _compared_as_chinese(text, base):
        return _normalize_chinese(text)
    if base == "en":
        return _ENGLISH(text)
    normalized = _BASIC(text)
    if base in CHARACTER_LANGUAGES:
        return "".join(normalized.split())
    return normalized


def _compared_as_chinese(text: str, base: str) -> bool:
    """Chinese, or Han characters in a language other than Japanese (whose kanji t2s would
    turn into Chinese ones): a mislabelled or mixed text is still scored as Chinese."""
    return base in CHINESE_LANGUAGES or (base != "ja" and bool(_HAN_CHARACTER.search(text)))


def _normalize_chinese(text: str) -> str:
    """Half-width, lowercase, simplified; without punctuation, symbols or spaces beside Han."""
    text = _traditional_to_simplified().convert(unicodedata.normalize("NFKC", text).lower())
    text = "".join(c for c in text if unicodedata.category(c)[0] not in "PS")
    return _SPACE_BESIDE_HAN.sub("", " ".join(text.split()))


@cache
def _traditional_to_simplified() -> opencc.OpenCC:
    """OpenCC's t2s converter (phrases first, then characters), loaded once per process."""
    return opencc.OpenCC("t2s")


@dataclass
class UtteranceScore:
    """One utterance: its normalised texts, error counts and the aligned edit operations."""

    id: str
    reference: str
    hypothesis: str
    substitutions: int
    deletions: int
    insertions: int
    hits: int
    operations: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def length(self) -> int:
        return self.substitutions + self.deletions + self.hits

    @property
    def rate(self) -> float:
        return self.errors / max(self.length, 1)


@dataclass
class ErrorRate:
    """Totals over a test set; `unit` is "word" (WER) or "char" (CER)."""

    unit: str
    utterances: list[UtteranceScore]

    def _total(self, name: str) -> int:
        return sum(getattr(u, name) for u in self.utterances)

    @property
    def substitutions(self) -> int:
        return self._total("substitutions")

    @property
    def deletions(self) -> int:
        return self._total("deletions")

    @property
    def insertions(self) -> int:
        return self._total("insertions")

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def length(self) -> int:
        return self._total("length")

    @property
    def rate(self) -> float:
        """Errors over reference length (0.0435 for 4.35 %)."""
        return self.errors / max(self.length, 1)

    def kaldi_line(self) -> str:
        """`%WER 4.35 [ 10 / 230, 2 ins, 3 del, 5 sub ]`, as Kaldi's compute-wer prints."""
        name = "WER" if self.unit == "word" else "CER"
        return (f"%{name} {100 * self.rate:.2f} [ {self.errors} / {self.length}, "
                f"{self.insertions} ins, {self.deletions} del, {self.substitutions} sub ]")


def error_rate(references: dict[str, str], hypotheses: dict[str, str], language: str = "en",
               unit: str | None = None) -> ErrorRate:
    """Score hypotheses against references, both keyed by utterance id.

    `unit` is "word" or "char"; by default characters for Chinese, Japanese and Thai, words
    otherwise. An utterance without a hypothesis counts as all deleted; a hypothesis without
    a reference is an error (a mislabelled or mismatched list).
    """
    extra = sorted(set(hypotheses) - set(references))
    if extra:
        raise InputError(f"{len(extra)} hypotheses have no reference (first: {extra[0]!r}); "
                         "check that both lists use the same utterance ids")
    if not references:
        raise InputError("no references to score against")
    unit = unit or scoring_unit(language)
    if unit not in ("word", "char"):
        raise InputError(f"unit {unit!r} is neither 'word' nor 'char'")
    scores = [_score(uid, normalize_for_scoring(ref, language, unit),
                     normalize_for_scoring(hypotheses.get(uid, ""), language, unit), unit)
              for uid, ref in references.items()]
    return ErrorRate(unit=unit, utterances=scores)


def _score(uid: str, reference: str, hypothesis: str, unit: str) -> UtteranceScore:
    ref_tokens = _tokens(reference, unit)
    hyp_tokens = _tokens(hypothesis, unit)
    if not ref_tokens:
        return UtteranceScore(uid, reference, hypothesis, 0, 0, len(hyp_tokens), 0,
                              [("insert", "", t) for t in hyp_tokens])
    if not hyp_tokens:
        return UtteranceScore(uid, reference, hypothesis, 0, len(ref_tokens), 0, 0,
                              [("delete", t, "") for t in ref_tokens])
    process = jiwer.process_words if unit == "word" else jiwer.process_characters
    joiner = " " if unit == "word" else ""
    out = process(joiner.join(ref_tokens), joiner.join(hyp_tokens))
    operations = []
    for chunk in out.alignments[0]:
        ref_part = ref_tokens[chunk.ref_start_idx:chunk.ref_end_idx]
        hyp_part = hyp_tokens[chunk.hyp_start_idx:chunk.hyp_end_idx]
        operations.append((chunk.type, joiner.join(ref_part), joiner.join(hyp_part)))
    return UtteranceScore(uid, reference, hypothesis, out.substitutions, out.deletions,
                          out.insertions, out.hits, operations)


def _tokens(text: str, unit: str) -> list[str]:
    """Words, or characters (spaces between words count, as in jiwer's CER)."""
    if unit == "word":
        return text.split()
    return list(" ".join(text.split()))
