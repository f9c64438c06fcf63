"""A synthetic speech corpus with exact transcripts, for trying voxtune without recordings."""

from voxtune.demo.corpus import DemoSummary, demo_data

__all__ = ["DemoSummary", "demo_data"]
