"""The long recordings form: `OUT/long/SPEAKER/recNN.{wav,flac,mp3}` and their truth files.

Unsegmented recordings with mixed sample rates, channel counts, levels and background noise;
the caller gathers every sentence's start and end (in seconds) for `OUT/long/truth.jsonl`
and each recording's properties for `OUT/long/recordings.jsonl`.
"""

from pathlib import Path

import numpy as np
import scipy.fft

from voxtune.audio.io import resample, write_audio
from voxtune.demo.speech import LONG, Meter, Spoken, peak_to, silence, stream

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


def write_long(root: Path, spoken: Spoken, index: int, budget: float, seed: int,
               very_noisy: bool, meter: Meter, recordings: list[dict],
               truth: list[dict]) -> None:
    """Write one speaker's long recordings (~`budget` seconds in all); append their records."""
    voice = spoken.voice
    count = max(1, round(budget / RECORDING_SECONDS))
    weights = stream(seed, index, LONG).uniform(0.75, 1.25, count)
    for number, target in enumerate(budget * weights / weights.sum()):
        rng = stream(seed, index, LONG, number + 1)
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
            track = peak_to(resample(track, rate, out_rate), gain_db)
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


def _speak(spoken: Spoken, target: float, rng: np.random.Generator,
           meter: Meter) -> tuple[np.ndarray, int, list[tuple[str, float, float]]]:
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
        parts += [silence(pause, rate), speech]
        start = length + len(parts[-2])
        spans.append((text, start / rate, (start + len(speech)) / rate))
        meter.add((start + len(speech) - length) / rate)
        length = start + len(speech)
    parts.append(silence(rng.uniform(*TAIL_SECONDS), rate))
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
