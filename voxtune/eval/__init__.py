"""Evaluation: error rates now; intelligibility, speaker similarity, MOS and speed to come."""

from voxtune.eval.wer import ErrorRate, UtteranceScore, error_rate, normalize_for_scoring

__all__ = ["ErrorRate", "UtteranceScore", "error_rate", "normalize_for_scoring"]
