"""The labelled short clips form: `OUT/clips/SPEAKER/NNNN.wav` + `NNNN.lab`.

One sentence per clip, padded with a little silence at a random peak level; the `.lab`
file holds its exact text (the layout of fish-speech's data folders).
"""

from pathlib import Path

import numpy as np
import soundfile as sf

from voxtune.audio.io import audio_duration, write_audio
from voxtune.data.manifest import MANIFEST, Clip, write_manifest
from voxtune.demo.speech import Meter, Spoken, peak_to, silence
from voxtune.demo.voices import Voice
from voxtune.files import write_text

CLIP_PAD_SECONDS = (0.1, 0.3)  # silence around each clip, drawn per end
CLIP_PEAK_DB = (-9.0, -1.0)  # peak level of each clip, dBFS


def write_clips(folder: Path, spoken: Spoken, budget: float, rng: np.random.Generator,
                meter: Meter) -> tuple[int, float]:
    """Write one padded clip per sentence until `budget` seconds; return (clips, seconds)."""
    count, done = 0, 0.0
    while done < budget:
        pad_before, pad_after = rng.uniform(*CLIP_PAD_SECONDS, size=2)
        peak_db = rng.uniform(*CLIP_PEAK_DB)
        wav, lab = folder / f"{count:04d}.wav", folder / f"{count:04d}.lab"
        if wav.is_file() and lab.is_file():
            # written by an earlier run: its sentence is passed over, not spoken again
            spoken.skip()
            seconds = audio_duration(wav)
        else:
            spoken.left = budget - done
            text, speech, rate = next(spoken)
            clip = np.concatenate([silence(pad_before, rate), peak_to(speech, peak_db),
                                   silence(pad_after, rate)])
            write_text(lab, text)
            write_audio(wav, clip, rate)
            seconds = len(clip) / rate
        meter.add(seconds)
        done += seconds
        count += 1
    meter.finish()
    return count, done


def write_clips_manifest(folder: Path, voices: list[Voice]) -> Path:
    """`folder/manifest.jsonl`: one record per clip of `voices`, with its language.

    The speaker folders alone hold no language, and a corpus of English, Mandarin and
    Spanish voices must reach `extract`, `pack` and training with each clip's own; voxtune's
    manifest layout carries it (and `prepare` reads it like the folders)."""
    records = []
    for voice in voices:
        for wav in sorted((folder / voice.name).glob("[0-9]*.wav")):
            lab = wav.with_suffix(".lab")
            if not lab.is_file():
                continue
            info = sf.info(wav)  # a WAV written by `write_clips`: its header is exact
            records.append(Clip(
                id=f"{voice.name}/{wav.stem}", audio=f"{voice.name}/{wav.name}",
                speaker=voice.name, language=voice.language,
                text=lab.read_text(encoding="utf-8").strip(), duration=info.duration,
                sample_rate=info.samplerate, loudness_lufs=None, snr_db=None,
                source=f"{voice.name}/{wav.name}", source_start=0.0,
                source_end=info.duration))
    write_manifest(folder / MANIFEST, records)
    return folder / MANIFEST
