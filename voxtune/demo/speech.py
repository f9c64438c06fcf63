"""What every form of the demo corpus is made from: shipped sentences, spoken in order.

Also the small shared pieces: independent random streams, level and silence helpers, and
the meter that turns seconds of audio into progress.
"""

import math
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import resources

import numpy as np
from tqdm import tqdm

from voxtune.demo.synth import synthesize
from voxtune.demo.voices import Voice

SENTENCE_FILES = {"en": "sentences_en.txt", "zh": "sentences_cmn.txt", "es": "sentences_es.txt"}
TEST_SENTENCE_FILES = {"en": "sentences_en_test.txt", "zh": "sentences_cmn_test.txt",
                       "es": "sentences_es_test.txt"}

# Independent random streams, so that leaving out one form does not change the others.
ORDER, CLIPS, LONG, MESSY, CORPUS, RECOMBINED = range(6)


def sentences(language: str) -> list[str]:
    """The sentences shipped for `language` ("en", "zh" or "es"), in file order."""
    return _lines(SENTENCE_FILES[language])


def held_out_sentences(language: str) -> list[str]:
    """Held-out sentences that no corpus speaks: what the demo synthesizes to test a voice,
    in file order."""
    return _lines(TEST_SENTENCE_FILES[language]) if language in TEST_SENTENCE_FILES else []


def _lines(name: str) -> list[str]:
    text = resources.files("voxtune.demo").joinpath(name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


class Meter:
    """Advances a progress bar by seconds of audio, never past one part's budget.

    Counts whole milliseconds, so that the parts add up to the bar's total exactly.
    """

    def __init__(self, bar: tqdm, budget: float):
        self.bar, self.left = bar, round(budget * 1000)

    def add(self, seconds: float) -> None:
        step = min(round(seconds * 1000), self.left)
        if step > 0:
            self.bar.update(step)
            self.left -= step

    def finish(self) -> None:
        self.bar.update(self.left)
        self.left = 0


class Spoken:
    """One voice's sentences, spoken in order, a few of them synthesized ahead by threads.

    The engines run as separate processes, so threads overlap them; the results come back
    in order, so the corpus does not depend on the number of workers.

    The caller says how many seconds it still wants (`left`), so no more sentences are
    started than that needs: a neural engine spends seconds on each one, and a voice's
    unused look-ahead would otherwise cost as much as its budget on many cores.
    """

    def __init__(self, voice: Voice, texts: Iterator[str], pool: ThreadPoolExecutor,
                 ahead: int):
        self.voice, self.texts, self.pool, self.ahead = voice, texts, pool, ahead
        self.queue: deque[tuple[str, Future[tuple[np.ndarray, int]]]] = deque()
        self.left = float("inf")
        self.spoken_seconds, self.spoken = 0.0, 0

    def skip(self) -> None:
        """Pass over the next sentence (a resumed run already holds its audio)."""
        if self.queue:
            self.queue.popleft()[1].cancel()
        else:
            next(self.texts)

    def __next__(self) -> tuple[str, np.ndarray, int]:
        """The next (text, trimmed mono speech, sample rate in Hz)."""
        mean = self.spoken_seconds / self.spoken if self.spoken else 3.0
        wanted = self.ahead if math.isinf(self.left) else min(
            self.ahead, max(1, math.ceil(self.left / mean)))
        while len(self.queue) < wanted:
            text = next(self.texts)
            self.queue.append((text, self.pool.submit(synthesize, self.voice, text)))
        text, future = self.queue.popleft()
        speech, rate = future.result()
        self.spoken_seconds += len(speech) / rate
        self.spoken += 1
        return text, speech, rate


def stream(seed: int, *keys: int) -> np.random.Generator:
    """The random stream named by `keys` under `seed`."""
    return np.random.default_rng([seed, *keys])


def peak_to(audio: np.ndarray, peak_db: float) -> np.ndarray:
    """Scale so that the largest absolute sample is `peak_db` dBFS."""
    return (audio * (10 ** (peak_db / 20) / np.abs(audio).max())).astype(np.float32)


def silence(seconds: float, rate: int) -> np.ndarray:
    """`seconds` of silence at `rate` Hz."""
    return np.zeros(round(seconds * rate), dtype=np.float32)
