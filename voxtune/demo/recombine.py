"""New sentences recombined from the shipped ones by a word-bigram chain.

A speech engine says the same sentence the same way every time, so a corpus that repeats a
few thousand sentences lets a TTS model learn each sentence's audio by heart instead of how
text sounds: on the first base-model run, training accuracy reached 98 % while the model,
given an unseen sentence, read its first words and then drifted into sentences it had
memorised. Sentences walked from a bigram chain of the shipped text keep its words,
spelling and punctuation, and are almost never the same twice, so a model can only follow
them by reading the text.
"""

from collections import defaultdict

import numpy as np

from voxtune.demo.speech import held_out_sentences, sentences

_ENDS = (".", "?", "!", "。", "？", "！")
MIN_WORDS, MAX_WORDS = 5, 24


class WordChain:
    """Bigram successors of every word of the shipped sentences of one language (characters
    for Chinese, which has no spaces)."""

    def __init__(self, language: str):
        self.joiner = "" if language == "zh" else " "
        self.starts: list[str] = []
        self.next: dict[str, list[str]] = defaultdict(list)
        self.known = set(sentences(language)) | set(held_out_sentences(language))
        for sentence in sentences(language):
            words = self._words(sentence)
            self.starts.append(words[0])
            for first, second in zip(words, words[1:], strict=False):
                self.next[first].append(second)

    def _words(self, sentence: str) -> list[str]:
        return sentence.split() if self.joiner else list(sentence)

    def sentence(self, rng: np.random.Generator) -> str:
        """A new sentence, never one of the shipped or held-out test sentences."""
        while True:
            words = [self.starts[rng.integers(len(self.starts))]]
            while not (words[-1].endswith(_ENDS) and len(words) >= MIN_WORDS):
                choices = self.next.get(words[-1])
                if not choices or len(words) >= MAX_WORDS:
                    break
                words.append(choices[rng.integers(len(choices))])
            text = self.joiner.join(words).rstrip(",;:，、")
            text = text if text.endswith(_ENDS) else text + ("。" if not self.joiner else ".")
            if len(words) >= MIN_WORDS and text not in self.known:
                return text

