"""`voxtune eval folder`: score a folder of audio and its texts (+ target references).

Every clip gets intelligibility (an ASR transcript scored against its text: CER for
character languages, WER otherwise), predicted MOS (DNSMOS) and, when reference recordings
of the target voice are given, speaker similarity to their mean embedding. With recordings
of other voices too (`others`: a folder of speaker folders), the similarity margin: the mean
similarity to the target minus the highest mean similarity to any other voice, which tells
whether a clip sounds like the target rather than merely like speech. A clip that
cannot be read or scored keeps its row with the reason, so the report shows what could be
scored. Gates use GPT-SoVITS's guide by default: MOS > 3.5 (DNSMOS P.808), speaker
similarity > 0.75, intelligibility > 0.8 (1 − error rate).
"""

import json
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from tqdm import tqdm

from voxtune.audio.io import read_audio
from voxtune.data.layouts import read_layout
from voxtune.errors import ClipRejected, InputError, VoxtuneError
from voxtune.eval.mos import dnsmos
from voxtune.eval.similarity import centroid, cosine, load_embedder
from voxtune.eval.wer import error_rate, scoring_unit
from voxtune.files import write_text
from voxtune.labeling.backends import AsrConfig, load_transcriber


@dataclass
class Gates:
    """Pass thresholds (GPT-SoVITS's guide): each quality metric's mean must exceed its
    value; the real-time factor must stay below its own."""

    mos: float = 3.5
    similarity: float = 0.75
    intelligibility: float = 0.8
    real_time_factor: float = 2.0  # the mean must stay below this one


@dataclass
class ClipRow:
    """One clip's scores (None where not measured) or the reason it could not be scored."""

    id: str
    audio: str
    text: str
    transcript: str | None = None
    error_rate: float | None = None
    mos_ovrl: float | None = None
    mos_p808: float | None = None
    similarity: float | None = None
    margin: float | None = None  # similarity minus that to the closest other voice overall
    problem: str | None = None


@dataclass
class Metric:
    """Mean over clips with a normal-approximation 95 % confidence interval."""

    mean: float
    low: float
    high: float
    count: int


@dataclass
class FolderReport:
    unit: str
    metrics: dict[str, Metric]
    gates: dict[str, bool]
    clips: list[ClipRow] = field(default_factory=list)
    device: str | None = None  # where speed was measured
    closest_voice: str | None = None  # the other voice the clips sound most like

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def summarize(values: list[float]) -> Metric:
    """Mean and its 95 % confidence interval (mean ± 1.96 standard errors)."""
    data = np.asarray(values, dtype=np.float64)
    mean = float(data.mean())
    half = 1.96 * float(data.std(ddof=1)) / math.sqrt(len(data)) if len(data) > 1 else 0.0
    return Metric(mean=mean, low=mean - half, high=mean + half, count=len(data))


def evaluate_folder(data: Path, references: Path | None = None, language: str = "en",
                    asr: AsrConfig | None = None, embedder: str = "resemblyzer",
                    gates: Gates | None = None, others: Path | None = None,
                    unit: str | None = None, show_progress: bool = True) -> FolderReport:
    """Score every labelled clip under `data` (any layout voxtune reads); `others` holds one
    folder of recordings per other voice (a folder that is `references` is skipped). `unit`
    ("word" or "char") forces WER or CER; by default it follows the language."""
    unit = unit or scoring_unit(language)
    gates = gates or Gates()
    clips, rejects = read_layout(Path(data), language=language)
    if not clips:
        raise InputError(f"{data}: no labelled clips to evaluate")
    transcriber = load_transcriber(asr or AsrConfig())
    if transcriber is None:
        raise InputError("evaluation needs an ASR backend; asr.backend=none gives none")
    target = _reference_voice(references, embedder) if references else None
    if others is not None and target is None:
        raise InputError("a similarity margin (--others) needs the target's references (--refs)")
    other_voices = _other_voices(others, references, embedder) if others else {}
    per_voice: dict[str, list[float]] = {name: [] for name in other_voices}
    rows = [ClipRow(id=r.id or r.source, audio=r.source, text="", problem=r.message)
            for r in rejects]
    for clip in tqdm(clips, desc="eval", unit="clip", disable=not show_progress):
        row = ClipRow(id=clip.id, audio=str(clip.audio), text=clip.text or "")
        rows.append(row)
        try:
            audio, rate = read_audio(clip.audio)
            mono = audio.mean(axis=0)
            row.transcript = transcriber.transcribe(mono, rate, clip.language).text
            row.error_rate = error_rate({clip.id: row.text}, {clip.id: row.transcript},
                                        clip.language, unit).rate
            scores = dnsmos(mono, rate)
            row.mos_ovrl, row.mos_p808 = scores.ovrl, scores.p808
            if target is not None:
                vector = load_embedder(embedder).embed(mono, rate)
                row.similarity = cosine(vector, target)
                for name, voice in other_voices.items():  # cannot fail once embedded
                    per_voice[name].append(cosine(vector, voice))
        except (ClipRejected, VoxtuneError) as exc:
            row.problem = str(exc)
    report = _report(rows, unit, gates)
    if any(per_voice.values()):
        _add_margin(report, rows, per_voice)
    return report


def write_report(report: FolderReport, out: Path) -> Path:
    """`out/report.json`, written atomically."""
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "report.json", report.to_json())
    return out / "report.json"


def _reference_voice(references: Path, embedder: str) -> np.ndarray:
    files = sorted(p for p in Path(references).rglob("*")
                   if p.suffix.lower() in (".wav", ".flac", ".mp3", ".ogg"))
    if not files:
        raise InputError(f"{references}: no reference recordings (.wav .flac .mp3 .ogg)")
    return _voice_of(tuple((str(path), path.stat().st_mtime_ns) for path in files), embedder)


@lru_cache(maxsize=64)
def _voice_of(files: tuple[tuple[str, int], ...], embedder: str) -> np.ndarray:
    """The mean embedding of (path, modification time) files: `eval tts --compare` scores
    both models against the same references, so each voice is embedded once per process
    (a changed file has a new time, and is embedded again)."""
    vectors = []
    for name, _ in files:
        path = Path(name)
        try:
            audio, rate = read_audio(path)
            vectors.append(load_embedder(embedder).embed(audio.mean(axis=0), rate))
        except (ClipRejected, VoxtuneError):
            continue  # a bad reference is skipped; the others still define the voice
    voice = centroid(vectors)
    voice.setflags(write=False)  # shared by every caller
    return voice


def _other_voices(others: Path, references: Path | None, embedder: str
                  ) -> dict[str, np.ndarray]:
    """Each other voice's mean embedding, by folder name."""
    skip = Path(references).resolve() if references else None
    folders = sorted(p for p in Path(others).iterdir() if p.is_dir() and p.resolve() != skip)
    if not folders:
        raise InputError(f"{others}: no folders of other voices' recordings (one per voice)")
    return {folder.name: _reference_voice(folder, embedder) for folder in folders}


def _add_margin(report: FolderReport, rows: list[ClipRow],
                per_voice: dict[str, list[float]]) -> None:
    """The margin against the voice closest on average, per clip and as a metric."""
    closest = max(per_voice, key=lambda name: float(np.mean(per_voice[name])))
    scored = [row for row in rows if row.similarity is not None]
    for row, other in zip(scored, per_voice[closest], strict=True):
        row.margin = row.similarity - other
    report.metrics["similarity_margin"] = summarize([row.margin for row in scored])
    report.closest_voice = closest


def _report(rows: list[ClipRow], unit: str, gates: Gates) -> FolderReport:
    metrics: dict[str, Metric] = {}
    columns = {"intelligibility": [1 - r.error_rate for r in rows if r.error_rate is not None],
               "mos_p808": [r.mos_p808 for r in rows if r.mos_p808 is not None],
               "mos_ovrl": [r.mos_ovrl for r in rows if r.mos_ovrl is not None],
               "similarity": [r.similarity for r in rows if r.similarity is not None]}
    for name, values in columns.items():
        if values:
            metrics[name] = summarize(values)
    passed = {}
    for name, key, threshold in (("mos", "mos_p808", gates.mos),
                                 ("similarity", "similarity", gates.similarity),
                                 ("intelligibility", "intelligibility", gates.intelligibility)):
        if key in metrics:
            passed[name] = metrics[key].mean > threshold
    worst_first = sorted(rows, key=lambda r: (r.problem is None, -(r.error_rate or 0)))
    return FolderReport(unit=unit, metrics=metrics, gates=passed, clips=worst_first)
