"""`voxtune eval tts`: synthesize test sentences with a model, then score them.

The audio lands in `OUT/NAME/SPEAKER/sNNN.wav` beside `sNNN.lab` (the folders layout), so
`voxtune eval folder` can score it again and people can listen. Speed is measured while
synthesizing: the real-time factor (synthesis wall time over audio duration) and the time
to first audio, with the device named. With a second model (`--compare`, e.g. base against
fine-tuned), both are scored on the same sentences and references.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

from voxtune.errors import InputError
from voxtune.eval.folder import FolderReport, Gates, evaluate_folder, summarize
from voxtune.files import write_text
from voxtune.labeling.backends import AsrConfig
from voxtune.tts.generate import SamplingConfig
from voxtune.tts.synthesize import Synthesizer


@dataclass
class VoiceSpec:
    """How the model is asked for the voice: a learned speaker, or a reference prompt."""

    speaker: str | None = None
    ref_audio: Path | None = None
    ref_text: str | None = None


def read_sentences(path: Path) -> list[str]:
    """One sentence per non-empty line of a UTF-8 file."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as UTF-8 text ({exc})") from exc
    sentences = [line.strip() for line in lines if line.strip()]
    if not sentences:
        raise InputError(f"{path}: no sentences (one per line expected)")
    return sentences


def evaluate_tts(model: str | Path, sentences: list[str], out: Path, voice: VoiceSpec,
                 references: Path | None = None, codec: str | None = None,
                 language: str = "en", name: str = "model",
                 sampling: SamplingConfig | None = None, device: str = "auto",
                 gates: Gates | None = None, asr: AsrConfig | None = None,
                 others: Path | None = None, unit: str | None = None,
                 show_progress: bool = True) -> FolderReport:
    """Synthesize `sentences` into `out/name` and score them (see the module docstring);
    `asr` picks the recognizer for intelligibility (default: Whisper-base) and `unit`
    ("word" or "char") forces WER or CER; `others` (a folder of other voices' recordings)
    adds the similarity margin."""
    folder = Path(out) / name
    if folder.exists():
        shutil.rmtree(folder)  # our own earlier output for this name, never user input
    clips = folder / (voice.speaker or "voice")
    clips.mkdir(parents=True)
    speaker_model = Synthesizer(model, codec=codec, device=device)
    factors, first = [], []
    for number, sentence in enumerate(sentences):
        result = speaker_model.speak(sentence, clips / f"s{number:03d}.wav",
                                     speaker=voice.speaker, ref_audio=voice.ref_audio,
                                     ref_text=voice.ref_text, language=language,
                                     sampling=sampling)
        write_text(clips / f"s{number:03d}.lab", sentence + "\n")
        factors.append(result.real_time_factor)
        first.append(result.first_audio_s)
    report = evaluate_folder(folder, references=references, language=language, asr=asr,
                             gates=gates, others=others, unit=unit,
                             show_progress=show_progress)
    report.metrics["real_time_factor"] = summarize(factors)
    report.metrics["first_audio_s"] = summarize(first)
    report.device = str(speaker_model.device)
    passed = report.metrics["real_time_factor"].mean < (gates or Gates()).real_time_factor
    report.gates["real_time_factor"] = passed
    return report
