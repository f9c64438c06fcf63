"""What the Latin-script normalisers (English, Spanish) share: rules applied in order, and the
small pieces their rules are built from.

A rule is a compiled pattern and what replaces a match (a string or a function of the
match). Each language keeps its own list; the order is the language's decision (most
specific first).
"""

import re
from collections.abc import Callable

Rule = tuple[re.Pattern, str | Callable[[re.Match], str]]

# Typographic quotes become the two plain ones, which phonemizer keeps and the tokenizer knows.
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"',
                        "‘": "'", "’": "'", "‚": "'", "‛": "'"})


def apply_rules(text: str, rules: list[Rule]) -> str:
    """`text` after every rule, in list order (a rule sees what the ones before it wrote)."""
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def apart(match: re.Match, words: str) -> str:
    """`words` for `match`, with a space where it touches a letter ("mp3" → "mp three")."""
    text, start, end = match.string, match.start(), match.end()
    before = " " if start and text[start - 1].isalpha() else ""
    after = " " if end < len(text) and text[end].isalpha() else ""
    return before + words + after


def abbreviation(table: dict[str, str], keep_period: bool = False) -> Callable[[re.Match], str]:
    """A replacement that writes out the abbreviation in group 1 (looked up in lower case)."""
    return lambda m: table[m[1].lower()] + ("." if keep_period else "")


def alternatives(table: dict[str, str]) -> str:
    """The keys of `table` as a regex alternation, escaped."""
    return "|".join(re.escape(key) for key in table)
