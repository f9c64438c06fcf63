"""Evaluation: error rates, intelligibility, speaker similarity, predicted MOS, folder reports."""

from voxtune.eval.wer import ErrorRate, UtteranceScore, error_rate, normalize_for_scoring

__all__ = ["ErrorRate", "UtteranceScore", "error_rate", "normalize_for_scoring"]
