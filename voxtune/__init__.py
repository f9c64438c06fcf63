"""voxtune: from a person's own recordings to a fine-tuned voice or recognizer."""

__version__ = "0.1.0"
