"""`voxtune eval codec`: what a codec's resynthesis loses against the original recordings.

Every labelled clip is encoded and decoded by the codec (mono, at the codec's sample rate)
and the result is written to `OUT/resynth/` under the clip's own relative name (as WAV,
with its transcript beside it as `.lab`), so people can listen and `voxtune eval folder`
can score it again. Both the original and its resynthesis are transcribed by the same
recognizer (Whisper-base by default) and scored against the clip's text: the recognizer's
own mistakes on the originals are then subtracted out, and `error_rate_increase` is what
the codec costs in intelligibility. Speaker similarity compares each resynthesis with its
own original (resemblyzer by default): 1.0 means the codec kept all the embedder hears of
the voice.

Error rates are WER (CER for zh/ja/th) as fractions, averaged over clips as `eval folder`
averages intelligibility (each clip weighs the same, whatever its length), with 95 %
intervals; the increase is the mean of per-clip differences. A resynthesis in which the
embedder finds no speech at all is the codec's failure, not the input's, so it is scored
similarity 0 (the lowest resemblyzer's non-negative embeddings can give) and counted in
`no_speech`. A clip that cannot be used (unreadable or silent audio, no transcript) keeps a
row with the reason and is left out of the metrics; the input is only read.
"""

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from voxtune.audio.io import read_audio, resample, write_audio
from voxtune.codec import Codec, load_codec
from voxtune.data.layouts import read_layout
from voxtune.data.layouts.place import id_parts
from voxtune.data.manifest import Utterance
from voxtune.errors import InputError, VoxtuneError
from voxtune.eval.folder import Metric, summarize
from voxtune.eval.similarity import cosine, load_embedder
from voxtune.eval.wer import error_rate, scoring_unit
from voxtune.files import write_text
from voxtune.labeling.backends import AsrConfig, Transcriber, load_transcriber
from voxtune.train.distributed import resolve_device


@dataclass
class CodecClipRow:
    """One clip: both transcripts and error rates and the similarity, or why it was skipped.

    `file` is the original, `resynth` its resynthesis; `note` explains a similarity of 0."""

    id: str
    speaker: str
    file: str
    text: str
    resynth: str | None = None
    original_transcript: str | None = None
    original_error_rate: float | None = None
    resynth_transcript: str | None = None
    resynth_error_rate: float | None = None
    similarity: float | None = None
    note: str | None = None
    problem: str | None = None


@dataclass
class CodecReport:
    """`report.json`: metrics over all scored clips and per speaker; `unit` is "word" (WER)
    or "char" (CER); rows are skipped clips first, then the lowest similarity first."""

    codec: str
    codec_source: str
    data: str
    unit: str
    num_clips: int
    num_skipped: int
    no_speech: int
    metrics: dict[str, Metric]
    speakers: dict[str, dict[str, Metric]]
    clips: list[CodecClipRow] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def evaluate_codec(data: Path, codec: str | Path | Codec, out: Path, language: str = "en",
                   asr: AsrConfig | None = None, embedder: str = "resemblyzer",
                   device: str = "auto", unit: str | None = None,
                   show_progress: bool = True) -> CodecReport:
    """Resynthesize every labelled clip of `data` (any layout voxtune reads) with `codec`
    (a shipped name such as `vox-base`, a codec folder or hub id, or a loaded `Codec`) into
    `out/resynth`, and score originals and resyntheses alike (see the module docstring).
    `unit` ("word" or "char") forces WER or CER; by default it follows the language."""
    unit = unit or scoring_unit(language)
    data = Path(data)
    clips, rejects = read_layout(data, language=language)
    folder = Path(out) / "resynth"
    _refuse_overlap(data, folder, clips)
    named = isinstance(codec, str | Path)
    model = load_codec(str(codec), str(resolve_device(device))) if named else codec
    transcriber = load_transcriber(asr or AsrConfig())
    if transcriber is None:
        raise InputError("evaluation needs an ASR backend; asr.backend=none gives none")
    if folder.exists():
        shutil.rmtree(folder)  # our own earlier output, never user input (checked above)
    root = data if data.is_dir() else data.parent
    rows = [CodecClipRow(id=r.id or r.source, speaker="", file=r.source, text="",
                         problem=r.message) for r in rejects]
    for clip in tqdm(clips, desc="eval codec", unit="clip", disable=not show_progress):
        row = CodecClipRow(id=clip.id, speaker=clip.speaker, file=str(clip.audio),
                           text=clip.text or "")
        rows.append(row)
        try:
            _score_clip(row, clip, model, transcriber, embedder, unit,
                        folder / resynth_name(clip, root))
        except VoxtuneError as exc:
            row.problem = str(exc)
    rows.sort(key=lambda r: (r.problem is None, r.similarity or 0.0))
    scored = [r for r in rows if r.problem is None]
    if not scored:
        raise InputError(f"{data}: no clip could be scored; the reasons are: "
                         + "; ".join(r.problem or "" for r in rows[:3]))
    speakers = sorted({r.speaker for r in scored})
    return CodecReport(
        codec=model.codec_id, codec_source=str(codec) if named else model.codec_id,
        data=str(data), unit=unit, num_clips=len(scored),
        num_skipped=len(rows) - len(scored),
        no_speech=sum(r.note is not None for r in scored), metrics=codec_metrics(scored),
        speakers={s: codec_metrics([r for r in scored if r.speaker == s]) for s in speakers},
        clips=rows)


def resynthesize(codec: Codec, audio: np.ndarray, rate: int) -> np.ndarray:
    """Mono float audio at `rate` Hz → the codec's decoding of its own codes, at the codec's
    sample rate, as long as the input (decoders round up to whole frames) and in [-1, 1]."""
    wav = torch.from_numpy(resample(audio.astype(np.float32), rate, codec.sample_rate))
    codes, frames = codec.encode(wav[None], torch.tensor([wav.shape[0]]))
    decoded, _ = codec.decode(codes, frames)
    return np.clip(decoded[0, :wav.shape[0]].float().cpu().numpy(), -1.0, 1.0)


def resynth_name(clip: Utterance, root: Path) -> Path:
    """The clip's path relative to the data folder, as `.wav`; a segment of a longer file,
    or audio outside the data folder, gets `SPEAKER/ID.wav` instead."""
    audio = Path(os.path.abspath(clip.audio))
    if clip.start is None and clip.end is None and audio.is_relative_to(os.path.abspath(root)):
        return audio.relative_to(os.path.abspath(root)).with_suffix(".wav")
    return Path(*id_parts(clip)).with_suffix(".wav")


def codec_metrics(rows: list[CodecClipRow]) -> dict[str, Metric]:
    """Means with 95 % intervals over scored rows; the lowest similarity as a Metric whose
    mean, low and high are all that value."""
    original = [r.original_error_rate for r in rows]
    resynth = [r.resynth_error_rate for r in rows]
    similarity = [r.similarity for r in rows]
    lowest = min(similarity)
    return {"original_error_rate": summarize(original),
            "resynth_error_rate": summarize(resynth),
            "error_rate_increase": summarize([b - a for a, b in zip(original, resynth,
                                                                     strict=True)]),
            "resynth_similarity": summarize(similarity),
            "resynth_similarity_min": Metric(lowest, lowest, lowest, len(rows))}


def write_codec_report(report: CodecReport, out: Path) -> Path:
    """`out/report.json`, written atomically."""
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "report.json", report.to_json())
    return out / "report.json"


def _score_clip(row: CodecClipRow, clip: Utterance, codec: Codec, transcriber: Transcriber,
                embedder: str, unit: str, target: Path) -> None:
    """Fill `row`, writing the resynthesis to `target`; raises for an unusable clip."""
    if clip.text is None:
        raise InputError(f"{clip.audio}: no transcript (no .lab beside it, or no text in the "
                         "list); add one, or move the clip out of the folder")
    audio, rate = read_audio(clip.audio, start=clip.start, end=clip.end)
    mono = audio.mean(axis=0)
    try:
        voice = load_embedder(embedder).embed(mono, rate)
    except VoxtuneError as exc:
        raise InputError(f"{clip.audio}: {exc}") from exc
    resynth = resynthesize(codec, mono, rate)
    write_audio(target, resynth, codec.sample_rate)
    write_text(target.with_suffix(".lab"), clip.text + "\n")
    row.resynth = str(target)
    row.original_transcript, row.original_error_rate = _intelligibility(
        transcriber, mono, rate, clip, unit)
    row.resynth_transcript, row.resynth_error_rate = _intelligibility(
        transcriber, resynth, codec.sample_rate, clip, unit)
    try:
        row.similarity = cosine(load_embedder(embedder).embed(resynth, codec.sample_rate),
                                voice)
    except VoxtuneError as exc:
        row.similarity = 0.0
        row.note = f"resynthesis scored similarity 0: {exc}"


def _intelligibility(transcriber: Transcriber, audio: np.ndarray, rate: int,
                     clip: Utterance, unit: str) -> tuple[str, float]:
    """(transcript, its error rate against the clip's text)."""
    heard = transcriber.transcribe(audio, rate, clip.language).text
    return heard, error_rate({clip.id: clip.text or ""}, {clip.id: heard}, clip.language,
                             unit).rate


def _refuse_overlap(data: Path, folder: Path, clips: list[Utterance]) -> None:
    """OUT/resynth is replaced on every run: it must not lie inside a data folder (that
    would change the input) nor hold any of the input."""
    ours = Path(os.path.abspath(folder))
    inputs = [Path(os.path.abspath(data)), *(Path(os.path.abspath(c.audio)) for c in clips)]
    if (data.is_dir() and ours.is_relative_to(inputs[0])) or \
            any(path.is_relative_to(ours) for path in inputs):
        raise InputError(f"--out {folder.parent}: its resynth/ folder would overlap the data "
                         f"{data}, which must stay untouched; pick an output folder outside it")
