"""`voxtune demo-data`: a synthetic speech corpus whose transcripts and timings are exact.

Real recordings never come with perfect ground truth, so the demo corpus is spoken by
speech engines (espeak-ng, flite) from sentences shipped with voxtune, in the forms people
actually bring:

- `OUT/clips/SPEAKER/NNNN.wav` + `NNNN.lab`: one sentence per clip, the `.lab` file holds
  its exact text (the layout of fish-speech's data folders);
- `OUT/long/SPEAKER/recNN.{wav,flac,mp3}`: long unsegmented recordings with mixed sample
  rates, channel counts, levels and background noise; every sentence's start and end (in
  seconds) is in `OUT/long/truth.jsonl`, each recording's properties in
  `OUT/long/recordings.jsonl`;
- `OUT/messy/` (optional): broken and awkward inputs beside good clips, each described in
  `OUT/messy/EXPECTED.md`, for testing a preparation tool's error handling.

`OUT/speakers.json` lists the voices used. The same settings and seed give byte-identical
WAV and FLAC files. Every file is written atomically, and a re-run over the same OUT keeps
the files that are already there.
"""

import io
import itertools
import json
import os
import wave
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.fft
import soundfile as sf
from tqdm import tqdm

from voxtune.audio.io import audio_duration, resample, write_audio
from voxtune.demo.synth import synthesize
from voxtune.demo.voices import Voice, voices
from voxtune.errors import InputError
from voxtune.files import atomic_open, write_jsonl, write_text

SENTENCE_FILES = {"en": "sentences_en.txt", "zh": "sentences_cmn.txt"}

CLIP_PAD_SECONDS = (0.1, 0.3)  # silence around each clip, drawn per end
CLIP_PEAK_DB = (-9.0, -1.0)  # peak level of each clip, dBFS

RECORDING_SECONDS = 120.0  # typical long recording; lengths vary ±25 % around it
LONG_RATES = (16000, 22050, 24000, 32000, 44100, 48000)
LONG_FORMATS = ("wav", "flac", "mp3")
LEAD_SECONDS = (0.3, 1.0)  # silence before the first sentence
TAIL_SECONDS = (0.5, 1.5)  # silence after the last sentence
PAUSE_SECONDS = (0.35, 1.2)  # between sentences
LONG_PAUSE_SECONDS = (1.5, 2.5)  # an occasional longer break
LONG_PAUSE_CHANCE = 0.1
STEREO_CHANCE = 0.35
STEREO_BALANCE_DB = (0.5, 3.0)  # how much quieter one channel of a stereo recording is
PEAK_DB = (-24.0, -3.0)  # peak level of a long recording, dBFS
NOISE_CHANCE = 1 / 3
SNR_DB = (30.0, 40.0)  # speech-to-noise ratio of the noisy recordings
VERY_NOISY_SNR_DB = 10.0  # the one recording a quality gate should set aside

# Independent random streams, so that leaving out one form does not change the others.
_ORDER, _CLIPS, _LONG, _MESSY, _CORPUS = range(5)

_BAR_FORMAT = ("{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of speech "
               "[{elapsed}<{remaining}{postfix}]")


@dataclass
class DemoSummary:
    """What `demo_data` wrote; durations in seconds."""

    out: Path
    speakers: list[str]
    clips: int = 0
    clip_seconds: float = 0.0
    recordings: int = 0
    long_seconds: float = 0.0
    spans: int = 0
    messy: Path | None = None


def sentences(language: str) -> list[str]:
    """The sentences shipped for `language` ("en" or "zh"), in file order."""
    text = resources.files("voxtune.demo").joinpath(SENTENCE_FILES[language]).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def demo_data(out: Path, speakers: int = 4, minutes: float = 2.0, seed: int = 0,
              mandarin: bool = True, clips: bool = True, long: bool = True,
              messy: bool = False, show_progress: bool = True) -> DemoSummary:
    """Write a synthetic speech corpus with exact transcripts and timings to `out`.

    `speakers` English voices (espeak-ng, plus flite when installed) each get about
    `minutes` of speech as clips and again as long recordings; `mandarin` adds one
    low-quality espeak-ng Mandarin speaker, `messy` a folder of broken inputs. `seed`
    (≥ 0) picks sentences, pauses, formats, levels and noise; the same settings and seed
    give the same files. Needs the espeak-ng program (apt-get install espeak-ng).
    """
    if minutes <= 0:
        raise InputError(f"--minutes must be more than 0, not {minutes}")
    if seed < 0:
        raise InputError(f"--seed must be 0 or more, not {seed}")
    roster = voices(speakers, mandarin)
    if not roster:
        raise InputError("no speakers to make: ask for --speakers 1 or more, or keep Mandarin")
    out = Path(out)
    _claim(out, {"generator": "voxtune demo-data", "seed": seed, "minutes": minutes,
                 "speakers": [voice.name for voice in roster]})
    summary = DemoSummary(out=out, speakers=[voice.name for voice in roster])
    write_text(out / "speakers.json", json.dumps([asdict(voice) for voice in roster], indent=2,
                                                 ensure_ascii=False) + "\n")
    budget = minutes * 60.0
    very_noisy = _very_noisy_speaker(roster, seed)
    recordings: list[dict] = []
    truth: list[dict] = []
    parts = len(roster) * (int(clips) + int(long))
    workers = os.cpu_count() or 1
    with tqdm(total=round(budget * 1000) * parts, unit_scale=0.001, desc="demo-data",
              bar_format=_BAR_FORMAT, disable=not show_progress) as bar, \
            ThreadPoolExecutor(workers) as pool:
        for index, voice in enumerate(roster):
            bar.set_postfix_str(voice.name)
            texts = sentences(voice.language)
            order = [texts[i] for i in _rng(seed, index, _ORDER).permutation(len(texts))]
            if clips:
                spoken = _Spoken(voice, itertools.cycle(order), pool, 2 * workers)
                count, seconds = _write_clips(out / "clips" / voice.name, spoken, budget,
                                              _rng(seed, index, _CLIPS), _Meter(bar, budget))
                summary.clips += count
                summary.clip_seconds += seconds
            if long:
                # Start halfway through the speaker's order so clips and recordings differ.
                half = len(order) // 2
                spoken = _Spoken(voice, itertools.cycle(order[half:] + order[:half]), pool,
                                 2 * workers)
                _write_long(out / "long", spoken, index, budget, seed, index == very_noisy,
                            _Meter(bar, budget), recordings, truth)
    if long:
        write_jsonl(out / "long" / "recordings.jsonl", recordings)
        write_jsonl(out / "long" / "truth.jsonl", truth)
        summary.recordings, summary.spans = len(recordings), len(truth)
        summary.long_seconds = sum(record["duration"] for record in recordings)
    if messy:
        summary.messy = out / "messy"
        _write_messy(summary.messy, seed)
    return summary


class _Meter:
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


class _Spoken:
    """One voice's sentences, spoken in order, a few of them synthesized ahead by threads.

    The engines run as separate processes, so threads overlap them; the results come back
    in order, so the corpus does not depend on the number of workers.
    """

    def __init__(self, voice: Voice, texts: Iterator[str], pool: ThreadPoolExecutor,
                 ahead: int):
        self.voice, self.texts, self.pool, self.ahead = voice, texts, pool, ahead
        self.queue: deque[tuple[str, Future[tuple[np.ndarray, int]]]] = deque()

    def __next__(self) -> tuple[str, np.ndarray, int]:
        """The next (text, trimmed mono speech, sample rate in Hz)."""
        while len(self.queue) < self.ahead:
            text = next(self.texts)
            self.queue.append((text, self.pool.submit(synthesize, self.voice, text)))
        text, future = self.queue.popleft()
        return (text, *future.result())


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def _claim(out: Path, settings: dict) -> None:
    """Record the settings in OUT, or check that an existing corpus there used the same ones.

    Resuming into a folder made with other settings would mix two corpora, and writing into
    an unrelated non-empty folder would scatter files among the user's own.
    """
    path = out / "settings.json"
    if path.is_file():
        previous = json.loads(path.read_text("utf-8"))
        if previous != settings:
            raise InputError(f"{out} holds a demo corpus made with other settings (see "
                             f"{path}); choose a new folder or delete that one")
        return
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} is not empty and holds no demo corpus; choose a new folder")
    write_text(path, json.dumps(settings, indent=2, ensure_ascii=False) + "\n")


def _very_noisy_speaker(roster: list[Voice], seed: int) -> int | None:
    """Roster index of the speaker whose first long recording gets ~10 dB SNR (one per corpus)."""
    candidates = [i for i, voice in enumerate(roster) if not voice.low_quality]
    if len(roster) < 2 or not candidates:
        return None
    return candidates[int(_rng(seed, _CORPUS).integers(len(candidates)))]


def _peak_to(audio: np.ndarray, peak_db: float) -> np.ndarray:
    """Scale so that the largest absolute sample is `peak_db` dBFS."""
    return (audio * (10 ** (peak_db / 20) / np.abs(audio).max())).astype(np.float32)


def _silence(seconds: float, rate: int) -> np.ndarray:
    return np.zeros(round(seconds * rate), dtype=np.float32)


def _write_clips(folder: Path, spoken: _Spoken, budget: float, rng: np.random.Generator,
                 meter: _Meter) -> tuple[int, float]:
    """Write one padded clip per sentence until `budget` seconds; return (clips, seconds)."""
    count, done = 0, 0.0
    while done < budget:
        text, speech, rate = next(spoken)
        pad_before, pad_after = rng.uniform(*CLIP_PAD_SECONDS, size=2)
        peak_db = rng.uniform(*CLIP_PEAK_DB)
        wav, lab = folder / f"{count:04d}.wav", folder / f"{count:04d}.lab"
        if wav.is_file() and lab.is_file():
            seconds = audio_duration(wav)
        else:
            clip = np.concatenate([_silence(pad_before, rate), _peak_to(speech, peak_db),
                                   _silence(pad_after, rate)])
            write_text(lab, text)
            write_audio(wav, clip, rate)
            seconds = len(clip) / rate
        meter.add(seconds)
        done += seconds
        count += 1
    meter.finish()
    return count, done


def _write_long(root: Path, spoken: _Spoken, index: int, budget: float, seed: int,
                very_noisy: bool, meter: _Meter, recordings: list[dict],
                truth: list[dict]) -> None:
    """Write one speaker's long recordings (~`budget` seconds in all); append their records."""
    voice = spoken.voice
    count = max(1, round(budget / RECORDING_SECONDS))
    weights = _rng(seed, index, _LONG).uniform(0.75, 1.25, count)
    for number, target in enumerate(budget * weights / weights.sum()):
        rng = _rng(seed, index, _LONG, number + 1)
        fmt = LONG_FORMATS[(index + number) % len(LONG_FORMATS)]
        out_rate = int(rng.choice(LONG_RATES))
        stereo = bool(rng.random() < STEREO_CHANCE)
        balance_db, quiet_channel = rng.uniform(*STEREO_BALANCE_DB), int(rng.integers(2))
        gain_db = round(float(rng.uniform(*PEAK_DB)), 1)
        noisy, snr_db = rng.random() < NOISE_CHANCE, round(float(rng.uniform(*SNR_DB)), 1)
        color = str(rng.choice(["pink", "brown"]))
        if very_noisy and number == 0:
            noisy, snr_db, color = True, VERY_NOISY_SNR_DB, "pink"
        speech, rate, spans = _speak(spoken, target, rng, meter)
        name = f"{voice.name}/rec{number:02d}.{fmt}"
        path = root / name
        if not path.is_file():
            track = np.stack([speech, speech]) if stereo else speech[None]
            if stereo:
                track[quiet_channel] *= 10 ** (-balance_db / 20)
            if noisy:
                track = _add_noise(track, speech, rate, spans, snr_db, color, rng)
            track = _peak_to(resample(track, rate, out_rate), gain_db)
            write_audio(path, track if stereo else track[0], out_rate)
        recordings.append({"recording": name, "speaker": voice.name, "language": voice.language,
                           "format": fmt, "sample_rate": out_rate, "channels": 2 if stereo else 1,
                           "duration": round(len(speech) / rate, 3), "gain_db": gain_db,
                           "snr_db": snr_db if noisy else None, "noise": color if noisy else None,
                           "sentences": len(spans), "low_quality": voice.low_quality})
        truth += [{"recording": name, "speaker": voice.name, "language": voice.language,
                   "text": text, "start": round(start, 3), "end": round(end, 3)}
                  for text, start, end in spans]
    meter.finish()


def _speak(spoken: _Spoken, target: float, rng: np.random.Generator,
           meter: _Meter) -> tuple[np.ndarray, int, list[tuple[str, float, float]]]:
    """Sentences with pauses between them until ~`target` seconds of mono audio.

    Returns the audio, its sample rate (Hz) and each sentence's (text, start, end) in seconds.
    """
    parts: list[np.ndarray] = []
    spans: list[tuple[str, float, float]] = []
    length = rate = 0  # samples so far, engine rate
    while not parts or length < target * rate:
        text, speech, rate = next(spoken)
        if not parts:
            pause = rng.uniform(*LEAD_SECONDS)
        elif rng.random() < LONG_PAUSE_CHANCE:
            pause = rng.uniform(*LONG_PAUSE_SECONDS)
        else:
            pause = rng.uniform(*PAUSE_SECONDS)
        parts += [_silence(pause, rate), speech]
        start = length + len(parts[-2])
        spans.append((text, start / rate, (start + len(speech)) / rate))
        meter.add((start + len(speech) - length) / rate)
        length = start + len(speech)
    parts.append(_silence(rng.uniform(*TAIL_SECONDS), rate))
    return np.concatenate(parts), rate, spans


def _add_noise(track: np.ndarray, speech: np.ndarray, rate: int,
               spans: list[tuple[str, float, float]], snr_db: float, color: str,
               rng: np.random.Generator) -> np.ndarray:
    """Add independent coloured noise to each channel at `snr_db` below the speech's power.

    Speech power is measured inside the sentences only, so pauses do not dilute it.
    """
    inside = np.concatenate([speech[round(start * rate):round(end * rate)]
                             for _, start, end in spans])
    noise_rms = np.sqrt(np.mean(inside.astype(np.float64) ** 2) / 10 ** (snr_db / 10))
    return (track + noise_rms * _colored_noise(rng, color, track.shape, rate)).astype(np.float32)


def _colored_noise(rng: np.random.Generator, color: str, shape: tuple[int, ...],
                   rate: int) -> np.ndarray:
    """Unit-RMS noise whose power falls as 1/f (pink) or 1/f² (brown) above 20 Hz.

    Shaped in the frequency domain over a length with small prime factors (fast FFT), then cut.
    """
    length = scipy.fft.next_fast_len(shape[-1], real=True)
    freqs = np.fft.rfftfreq(length, 1 / rate)
    spectrum = scipy.fft.rfft(rng.standard_normal((*shape[:-1], length)), axis=-1)
    spectrum /= np.maximum(freqs, 20.0) ** {"pink": 0.5, "brown": 1.0}[color]
    spectrum[..., 0] = 0.0
    noise = scipy.fft.irfft(spectrum, n=length, axis=-1)[..., :shape[-1]]
    return noise / np.sqrt(np.mean(noise**2, axis=-1, keepdims=True))


# --- the messy folder ------------------------------------------------------------------

MESSY_EXPECTED = """\
# What is wrong in this folder

Two speakers, `alice/` and `Zoë Ñandú/`, in the speaker-folders layout (`SPEAKER/ID.wav` +
`SPEAKER/ID.lab`). A preparation tool should keep the good clips, set each bad one aside
with a reason naming the file, and finish the batch.

## Good (should be kept)

- `alice/good_01` … `alice/good_03` (`.wav` + `.lab`): ordinary clips.
- `alice/ünïcode clip 1` (`.wav` + `.lab`): a name with spaces and non-ASCII letters.
- `Zoë Ñandú/0001`, `Zoë Ñandú/0002` (`.wav` + `.lab`): a speaker folder whose name has a
  space and non-ASCII letters; the speaker is `Zoë Ñandú`.

## Bad (should be set aside or reported, with the reason)

- `alice/empty_audio.wav`: zero bytes (empty audio).
- `alice/truncated.wav`: a valid WAV header, but the body is cut to a quarter, mid-sample
  (corrupt; at most the part that decodes may be kept).
- `alice/garbage.wav`: random bytes with no WAV header at all (unreadable audio).
- `alice/no_label.wav`: no `.lab` beside it (missing transcript; transcribe or skip).
- `alice/no_audio.lab`: no audio beside it (transcript without audio).
- `alice/latin1.lab`: Latin-1 bytes (`café`, `crème`), not UTF-8 (bad encoding; decode
  with a fallback and a warning, or reject).
- `alice/binary_label.lab`: binary junk with NUL bytes (transcript is not text).
- `alice/empty_label.lab`: zero bytes (empty transcript).
- `alice/rate_1hz.wav`: the header claims a sample rate of 1 Hz (bad sample rate).
- `alice/twelve_channels.wav`: 12 channels (too many channels).
- `alice/near_silent.wav`: speech peaking at -70 dBFS (too quiet for the quality gate).
- `alice/clipped.wav`: speech amplified ×20 and clipped (clipping, for the quality gate).
- `alice/dup.wav` and `alice/dup.flac`: two audio files with the same id `dup` (duplicate
  id; at most one kept).
"""


def _write_messy(folder: Path, seed: int) -> None:
    """Good clips beside broken and awkward ones, and EXPECTED.md saying which is which.

    EXPECTED.md is written last, so its presence means the folder is complete.
    """
    if (folder / "EXPECTED.md").is_file():
        return
    voice = voices(1, include_mandarin=False)[0]  # always espeak-ng
    pool = sentences("en")
    texts = iter([pool[i] for i in _rng(seed, _MESSY).permutation(len(pool))])
    rng = _rng(seed, _MESSY, 1)
    main, odd = folder / "alice", folder / "Zoë Ñandú"

    def speak(text: str | None = None) -> tuple[str, np.ndarray, int]:
        text = text or next(texts)
        speech, rate = synthesize(voice, text)
        return text, np.concatenate([_silence(0.2, rate), _peak_to(speech, -3.0),
                                     _silence(0.2, rate)]), rate

    def good(stem: Path) -> None:
        text, audio, rate = speak()
        write_text(stem.with_suffix(".lab"), text)
        write_audio(stem.with_suffix(".wav"), audio, rate)

    def write_bytes(path: Path, data: bytes) -> None:
        with atomic_open(path, "wb") as handle:
            handle.write(data)

    for stem in ("good_01", "good_02", "good_03", "ünïcode clip 1"):
        good(main / stem)
    good(odd / "0001")
    good(odd / "0002")

    write_bytes(main / "empty_audio.wav", b"")
    write_text(main / "empty_audio.lab", next(texts))

    text, audio, rate = speak()
    buffer = io.BytesIO()
    sf.write(buffer, audio, rate, format="WAV", subtype="PCM_16")
    whole = buffer.getvalue()
    write_bytes(main / "truncated.wav", whole[:44 + (len(whole) - 44) // 4 + 1])
    write_text(main / "truncated.lab", text)

    write_bytes(main / "garbage.wav", rng.bytes(48_000))
    write_text(main / "garbage.lab", next(texts))

    _, audio, rate = speak()
    write_audio(main / "no_label.wav", audio, rate)
    write_text(main / "no_audio.lab", next(texts))

    latin = "The café served crème brûlée to a naïve visitor."
    _, audio, rate = speak(latin)
    write_audio(main / "latin1.wav", audio, rate)
    write_bytes(main / "latin1.lab", latin.encode("latin-1"))

    _, audio, rate = speak()
    write_audio(main / "binary_label.wav", audio, rate)
    write_bytes(main / "binary_label.lab", b"\x00\x00\xff\xfe\x00JUNK\x00" + rng.bytes(64))

    _, audio, rate = speak()
    write_audio(main / "empty_label.wav", audio, rate)
    write_bytes(main / "empty_label.lab", b"")

    text, audio, rate = speak()
    with atomic_open(main / "rate_1hz.wav", "wb") as handle, wave.open(handle, "wb") as header:
        header.setnchannels(1)
        header.setsampwidth(2)
        header.setframerate(1)
        header.writeframes((audio * 32767).astype("<i2").tobytes())
    write_text(main / "rate_1hz.lab", text)

    text, audio, rate = speak()
    write_audio(main / "twelve_channels.wav", np.tile(audio, (12, 1)), rate)
    write_text(main / "twelve_channels.lab", text)

    text, audio, rate = speak()
    write_audio(main / "near_silent.wav", _peak_to(audio, -70.0), rate)
    write_text(main / "near_silent.lab", text)

    text, audio, rate = speak()
    write_audio(main / "clipped.wav", np.clip(audio * 20.0, -1.0, 1.0), rate)
    write_text(main / "clipped.lab", text)

    text, audio, rate = speak()
    write_audio(main / "dup.wav", audio, rate)
    write_audio(main / "dup.flac", audio, rate)
    write_text(main / "dup.lab", text)

    write_text(folder / "EXPECTED.md", MESSY_EXPECTED)
