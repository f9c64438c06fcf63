"""`voxtune eval asr`: decode a labelled set with a recognizer and score it.

The set may be in any layout voxtune reads (ChatML JSONL, Kaldi, speaker folders, a
prepared dataset). The report holds the corpus error rate (CER for languages written
without spaces, WER otherwise, as Kaldi's compute-wer counts it), the mean per-utterance
rate with its 95 % interval, the real-time factor of decoding, and one row per utterance,
worst first, with the reference and hypothesis as scored; entries that could not be
decoded keep their row with the reason. `report.html` shows the worst utterances with
their audio.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from voxtune.asr.decode import DecodeOptions, Recognizer
from voxtune.asr.transcribe import AudioItem, decode_items
from voxtune.data.layouts import read_layout
from voxtune.errors import InputError
from voxtune.eval.folder import ClipRow, FolderReport, Metric, summarize
from voxtune.eval.html import render_html
from voxtune.eval.wer import error_rate
from voxtune.files import write_text

PAGE_ROWS = 50  # utterances shown (with embedded audio) on report.html


@dataclass
class UtteranceRow:
    """One utterance as scored (normalised texts), or why it could not be."""

    id: str
    audio: str
    reference: str
    hypothesis: str | None = None
    errors: int | None = None
    length: int | None = None
    error_rate: float | None = None
    problem: str | None = None


@dataclass
class AsrReport:
    """`report.json`. `rate` is errors over reference length on the whole set; `summary`
    is compute-wer's line; `metrics` the per-utterance mean rate and the real-time factor."""

    model: str
    data: str
    unit: str
    rate: float
    summary: str
    metrics: dict[str, Metric]
    device: str
    utterances: list[UtteranceRow] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)


def evaluate_asr(model_dir: Path, data: Path, language: str = "en", unit: str | None = None,
                 options: DecodeOptions | None = None, device: str = "auto",
                 show_progress: bool = True) -> AsrReport:
    """Decode every labelled clip of `data` with the model in `model_dir` and score it;
    `unit` "word" or "char" overrides the language's usual unit."""
    utterances, rejects = read_layout(Path(data), language=language)
    labelled = [u for u in utterances if u.text]
    if not labelled:
        raise InputError(f"{data}: no labelled clips to score")
    recognizer = Recognizer(model_dir, device=device)
    items = [AudioItem(u.id, Path(u.audio), u.start, u.end) for u in labelled]
    run = decode_items(recognizer, items, options or DecodeOptions(), show_progress)
    references = {u.id: u.text or "" for u in labelled if u.id not in run.problems}
    scored = error_rate(references, run.hypotheses, language, unit)
    rows = [UtteranceRow(id=r.id or r.source, audio=r.source, reference="", problem=r.message)
            for r in rejects]
    rows += [UtteranceRow(id=u.id, audio=str(u.audio), reference=u.text or "",
                          problem=run.problems[u.id]) for u in labelled if u.id in run.problems]
    audio = {u.id: str(u.audio) for u in labelled}
    for score in scored.utterances:
        rows.append(UtteranceRow(id=score.id, audio=audio[score.id], reference=score.reference,
                                 hypothesis=score.hypothesis, errors=score.errors,
                                 length=score.length, error_rate=score.rate))
    rows.sort(key=lambda r: (r.problem is None, -(r.error_rate or 0.0)))
    metrics = {"error_rate": summarize([u.rate for u in scored.utterances]),
               "real_time_factor": Metric(run.real_time_factor, run.real_time_factor,
                                          run.real_time_factor, len(items))}
    return AsrReport(model=str(model_dir), data=str(data), unit=scored.unit, rate=scored.rate,
                     summary=scored.kaldi_line(), metrics=metrics,
                     device=str(recognizer.device), utterances=rows)


def write_asr_report(report: AsrReport, out: Path) -> tuple[Path, Path]:
    """`out/report.json` and `out/report.html` (the worst `PAGE_ROWS` utterances)."""
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "report.json", report.to_json())
    clips = [ClipRow(id=r.id, audio=r.audio, text=r.reference, transcript=r.hypothesis,
                     error_rate=r.error_rate, problem=r.problem)
             for r in report.utterances[:PAGE_ROWS]]
    page = FolderReport(unit=report.unit, metrics=report.metrics, gates={}, clips=clips,
                        device=report.device)
    write_text(out / "report.html", render_html({"model": page},
                                                title=f"voxtune ASR evaluation: {report.summary}"))
    return out / "report.json", out / "report.html"
