"""Counting text tokens the way a model's tokenizer does (ChatML `text_length`).

A spec names the tokenizer: "chars" counts characters (Fun-ASR's char tokenizer); a path to
a `tokenizer.json` loads it with the `tokenizers` library; a tokenizer folder or a Hugging
Face hub id loads it with `transformers.AutoTokenizer`. Special tokens are not counted.
"""

from collections.abc import Callable
from pathlib import Path

from voxtune.errors import InputError

CHARS = "chars"
_HINT = ("give 'chars', a path to a tokenizer.json, a folder holding a tokenizer, or a "
         "Hugging Face hub id (downloaded once, then cached)")


def token_counter(spec: str) -> Callable[[str], int]:
    """A function text → number of tokens for the tokenizer `spec` names."""
    if spec == CHARS:
        return len
    path = Path(spec).expanduser()
    if path.is_file():
        return _tokenizer_json(path)
    if path.is_dir():
        return _auto_tokenizer(str(path))
    if path.suffix == ".json" or spec.startswith(("/", ".", "~")):
        raise InputError(f"tokenizer {spec!r}: no such file or folder; {_HINT}")
    return _auto_tokenizer(spec)


def _tokenizer_json(path: Path) -> Callable[[str], int]:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # the Rust side raises a bare Exception for any parse error
        raise InputError(f"tokenizer {path}: not a tokenizers JSON file ({exc}); {_HINT}") from exc
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


def _auto_tokenizer(name: str) -> Callable[[str], int]:
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(name)
    except Exception as exc:  # network, missing files, unknown model type: all "cannot load"
        raise InputError(f"tokenizer {name!r}: cannot be loaded ({type(exc).__name__}: "
                         f"{exc}); {_HINT}") from exc
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False))
