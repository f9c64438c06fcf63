"""The voice's own yardstick: clips set apart from a prepared dataset before any training.

`voxtune clone` measures every checkpoint against recordings of the voice that no stage
trains on or prompts with, so a share of the prepared clips moves to a held-out folder
(with their transcripts) and out of the dataset's manifest. Before that, the dataset must
hold enough speech of one voice in the expected language: too little, or another
language, is said plainly before any training starts.
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from voxtune.audio.io import read_audio
from voxtune.data.manifest import MANIFEST, Clip, read_manifest, write_manifest
from voxtune.errors import InputError
from voxtune.files import PARTIAL_MARK, write_text
from voxtune.labeling.backends import AsrConfig, load_transcriber

MIN_SPEECH_MINUTES = 1.0
HELD_OUT_SHARE = 0.1
HELD_OUT_SECONDS = (20.0, 90.0)  # at least, at most
LANGUAGE_PROBES = 5  # clips whose language the recognizer detects
DONE_FILE = "heldout.json"


@dataclass
class HeldOut:
    """The held-out clips' folder, the voice's name, and what stays for training."""

    folder: Path
    voice: str
    clips: int
    seconds: float
    training_clips: int
    training_seconds: float


def check_speech(dataset: Path, language: str, asr: AsrConfig | None = None) -> str:
    """The one voice of a prepared `dataset`; raises `InputError` when it holds several
    voices, under `MIN_SPEECH_MINUTES` of kept speech, or speech the recognizer hears as
    another language than `language` (most of `LANGUAGE_PROBES` clips)."""
    clips = read_manifest(Path(dataset) / MANIFEST)
    report = Path(dataset) / "report.txt"
    voices = sorted({clip.speaker for clip in clips})
    if len(voices) > 1:
        raise InputError(f"{dataset} holds {len(voices)} voices ({', '.join(voices[:5])}); "
                         "clone takes the recordings of one voice: give it one speaker's "
                         "folder")
    minutes = sum(clip.duration for clip in clips) / 60
    if minutes < MIN_SPEECH_MINUTES:
        raise InputError(f"preparation kept {minutes:.2f} min of speech, under the "
                         f"{MIN_SPEECH_MINUTES:g} min a voice needs (a third of it is held "
                         f"out to measure it); {report} says what was set aside and why "
                         "(silence, noise, clipping): record more, or cleaner")
    transcriber = load_transcriber(asr or AsrConfig())
    step = max(1, len(clips) // LANGUAGE_PROBES)
    heard = []
    for clip in clips[::step][:LANGUAGE_PROBES]:
        audio, rate = read_audio(Path(dataset) / clip.audio)
        heard.append(transcriber.transcribe(audio.mean(axis=0), rate, "auto").language)
    others = [found for found in heard if found != language]
    if len(others) * 2 > len(heard):
        raise InputError(f"the recognizer hears {', '.join(sorted(set(others)))} in "
                         f"{len(others)} of {len(heard)} clips, not {language}; give "
                         "--language the language the recordings speak")
    return voices[0]


def hold_out(dataset: Path, folder: Path) -> HeldOut:
    """Move a share of the dataset's clips (every n-th, `HELD_OUT_SHARE` of the speech
    within `HELD_OUT_SECONDS`) with their `.lab` files into `folder/VOICE/`, and drop them
    from the dataset's manifest. Done once: a second call reads what the first did."""
    dataset, folder = Path(dataset), Path(folder)
    done = folder / DONE_FILE
    if done.is_file():
        held = HeldOut(folder=folder, **json.loads(done.read_text(encoding="utf-8")))
        _drop_from_dataset(dataset, folder / held.voice)
        return held
    clips = read_manifest(dataset / MANIFEST)
    total = sum(clip.duration for clip in clips)
    budget = min(max(HELD_OUT_SHARE * total, HELD_OUT_SECONDS[0]), HELD_OUT_SECONDS[1])
    chosen: list[Clip] = []
    stride = max(2, round(total / budget))
    for clip in clips[stride // 2::stride]:
        if sum(c.duration for c in chosen) >= budget:
            break
        chosen.append(clip)
    keep = [clip for clip in clips if clip not in chosen]
    voice = clips[0].speaker
    tmp = folder.with_name(folder.name + PARTIAL_MARK)
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / voice).mkdir(parents=True)
    for clip in chosen:  # copied first: the dataset changes only once the copy is complete
        audio = dataset / clip.audio
        shutil.copyfile(audio, tmp / voice / audio.name)
        write_text(tmp / voice / f"{audio.stem}.lab", clip.text + "\n")
    summary = {"voice": voice, "clips": len(chosen),
               "seconds": round(sum(c.duration for c in chosen), 2),
               "training_clips": len(keep),
               "training_seconds": round(sum(c.duration for c in keep), 2)}
    write_text(tmp / DONE_FILE, json.dumps(summary, indent=2) + "\n")
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    _drop_from_dataset(dataset, folder / voice)
    return HeldOut(folder=folder, **summary)


def _drop_from_dataset(dataset: Path, held: Path) -> None:
    """Remove the held-out clips from the dataset's manifest and folder (again, harmlessly,
    when a run was stopped half-way through doing it)."""
    names = {path.name for path in held.glob("*") if path.suffix != ".lab"}
    clips = read_manifest(dataset / MANIFEST)
    gone = [clip for clip in clips if Path(clip.audio).name in names]
    if gone:
        write_manifest(dataset / MANIFEST, [c for c in clips if c not in gone])
    for clip in gone:
        audio = dataset / clip.audio
        audio.unlink(missing_ok=True)
        audio.with_suffix(".lab").unlink(missing_ok=True)
