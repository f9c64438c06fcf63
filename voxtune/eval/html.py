"""The evaluation report as one self-contained HTML page (no network, no external files).

It shows the metric table with 95 % intervals and each gate's pass or fail, then one row
per clip, worst first, with audio players (output and reference, embedded as data URIs), a
log-mel spectrogram image of the output, the text and the transcript; with a training run
folder, its loss curves from `train_log.jsonl` as inline SVG. Two reports (`--compare`) get
a side-by-side table too: each sentence once, both models' outputs beside each other, the
sentences where they differ most in intelligibility first.
"""

import base64
import html
import io
from pathlib import Path

import numpy as np
from PIL import Image

from voxtune.audio.io import read_audio, resample
from voxtune.errors import ClipRejected
from voxtune.eval.folder import FolderReport
from voxtune.train.logs import read_run_log

STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;
vertical-align:top}th{background:#f3f3f3}.pass{color:#0a0;font-weight:bold}
.fail{color:#c00;font-weight:bold}.problem{color:#c00}img{display:block}
td.text{min-width:320px}
"""
SPECTROGRAM_RATE = 16000


def render_html(reports: dict[str, FolderReport], references: dict[str, Path] | None = None,
                run: Path | None = None, title: str = "voxtune evaluation") -> str:
    """The page for one or more reports (side by side in the summary: `--compare`)."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
             _summary(reports)]
    if run is not None:
        parts.append(_curves(run))
    if len(reports) == 2:
        parts.append(_side_by_side(reports))
    for name, report in reports.items():
        parts.append(f"<h2>{html.escape(name)}: clips, worst first</h2>")
        parts.append(_clips(report, (references or {}).get(name)))
    parts.append("</body></html>")
    return "\n".join(parts)


def _summary(reports: dict[str, FolderReport]) -> str:
    names = list(reports)
    metrics = sorted({m for r in reports.values() for m in r.metrics})
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = []
    for metric in metrics:
        cells = []
        for name in names:
            value = reports[name].metrics.get(metric)
            cells.append("<td>–</td>" if value is None else
                         f"<td>{value.mean:.3f} [{value.low:.3f}, {value.high:.3f}] "
                         f"n={value.count}</td>")
        rows.append(f"<tr><th>{html.escape(metric)}</th>{''.join(cells)}</tr>")
    gates = sorted({g for r in reports.values() for g in r.gates})
    for gate in gates:
        cells = []
        for name in names:
            passed = reports[name].gates.get(gate)
            cells.append("<td>–</td>" if passed is None else
                         f"<td class='{'pass' if passed else 'fail'}'>"
                         f"{'pass' if passed else 'FAIL'}</td>")
        rows.append(f"<tr><th>gate: {html.escape(gate)}</th>{''.join(cells)}</tr>")
    return (f"<h2>Summary</h2><table id='metrics'><tr><th>metric</th>{head}</tr>"
            f"{''.join(rows)}</table>")


def _clips(report: FolderReport, reference: Path | None) -> str:
    ref_player = audio_player(reference) if reference else ""
    rows = ["<table class='clips'><tr><th>clip</th><th>output</th><th>reference</th>"
            "<th>spectrogram</th><th>text / transcript</th><th>error rate</th><th>MOS</th>"
            "<th>similarity</th><th>margin</th></tr>"]
    for clip in report.clips:
        audio = Path(clip.audio)
        text = (f"{html.escape(clip.text)}<br><i>{html.escape(clip.transcript or '')}</i>"
                + (f"<div class='problem'>{html.escape(clip.problem)}</div>"
                   if clip.problem else ""))
        rows.append(f"<tr><td>{html.escape(clip.id)}</td><td>{audio_player(audio)}</td>"
                    f"<td>{ref_player}</td><td>{_spectrogram(audio)}</td>"
                    f"<td class='text'>{text}</td>"
                    f"<td>{_number(clip.error_rate)}</td><td>{_number(clip.mos_p808)}</td>"
                    f"<td>{_number(clip.similarity)}</td><td>{_number(clip.margin)}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _side_by_side(reports: dict[str, FolderReport]) -> str:
    """One row per clip both reports scored (matched by file name: the voice folders may
    differ): text, then each model's output and scores."""
    (first, a), (second, b) = reports.items()
    theirs = {Path(clip.audio).name: clip for clip in b.clips}
    pairs = [(clip, theirs[Path(clip.audio).name]) for clip in a.clips
             if Path(clip.audio).name in theirs]
    pairs.sort(key=lambda pair: -abs((pair[0].error_rate or 0) - (pair[1].error_rate or 0)))
    head = "".join(f"<th>{html.escape(name)}</th>" for name in (first, second))
    rows = [f"<h2>Side by side: {html.escape(first)} and {html.escape(second)}</h2>"
            f"<table id='side-by-side'><tr><th>clip</th><th>text</th>{head}</tr>"]
    for mine, other in pairs:
        cells = "".join(
            f"<td>{audio_player(Path(clip.audio))}{_spectrogram(Path(clip.audio))}"
            f"<i>{html.escape(clip.transcript or clip.problem or '')}</i><br>"
            f"error {_number(clip.error_rate)} · MOS {_number(clip.mos_p808)} · "
            f"similarity {_number(clip.similarity)} · margin {_number(clip.margin)}</td>"
            for clip in (mine, other))
        rows.append(f"<tr><td>{html.escape(mine.id)}</td>"
                    f"<td class='text'>{html.escape(mine.text)}</td>{cells}</tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def audio_player(path: Path) -> str:
    """An <audio> element with the file embedded (WAV, FLAC, MP3 or OGG as stored)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return ""
    kind = {".wav": "wav", ".flac": "flac", ".mp3": "mpeg", ".ogg": "ogg"}.get(
        Path(path).suffix.lower(), "wav")
    encoded = base64.b64encode(data).decode("ascii")
    return f"<audio controls preload='none' src='data:audio/{kind};base64,{encoded}'></audio>"


def _spectrogram(path: Path, height: int = 80) -> str:
    """A log-magnitude spectrogram (0–8 kHz) as an embedded PNG, dark = quiet."""
    try:
        audio, rate = read_audio(Path(path))
    except ClipRejected:
        return ""
    mono = resample(audio.mean(axis=0), rate, SPECTROGRAM_RATE)
    frame, hop = 512, 160
    if len(mono) < frame:
        return ""
    frames = np.lib.stride_tricks.sliding_window_view(mono, frame)[::hop] * np.hanning(frame)
    power = np.log10(np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-10).T[::-1]
    scaled = np.clip((power - power.max() + 8) / 8, 0, 1)
    image = Image.fromarray((scaled * 255).astype(np.uint8)).resize(
        (min(360, scaled.shape[1]), height))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='spectrogram' src='data:image/png;base64,{encoded}'>"


def _curves(run: Path, width: int = 600, height: int = 200) -> str:
    """Each `train/*loss*` and `val/*` series of a run as a polyline in one SVG."""
    series: dict[str, list[tuple[int, float]]] = {}
    for row in read_run_log(Path(run)):
        for key, value in row.items():
            if key.startswith("val/") or (key.startswith("train/") and "loss" in key):
                series.setdefault(key, []).append((row["step"], value))
    if not series:
        return "<p>No loss curves in the run folder.</p>"
    return "<h2>Training curves</h2>" + line_chart(series, "curves", width, height)


def line_chart(series: dict[str, list[tuple[int, float]]], element_id: str,
               width: int = 600, height: int = 200) -> str:
    """(step, value) series as polylines in one SVG, scaled together, with their names."""
    steps = [s for points in series.values() for s, _ in points]
    values = [v for points in series.values() for _, v in points]
    if not steps:
        return "<p>Nothing measured yet.</p>"
    x0, x1, y0, y1 = min(steps), max(steps) or 1, min(values), max(values)
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    lines = []
    for index, (name, points) in enumerate(sorted(series.items())):
        coords = " ".join(f"{(s - x0) / max(x1 - x0, 1) * width:.1f},"
                          f"{height - (v - y0) / max(y1 - y0, 1e-9) * height:.1f}"
                          for s, v in points)
        color = colors[index % len(colors)]
        lines.append(f"<polyline fill='none' stroke='{color}' points='{coords}'/>"
                     f"<text x='4' y='{14 * (index + 1)}' fill='{color}'>"
                     f"{html.escape(name)}</text>")
    return (f"<svg id='{element_id}' width='{width}' height='{height}' "
            f"style='border:1px solid #ccc'>{''.join(lines)}</svg>"
            f"<p>steps {x0}–{x1}, values {y0:.3g}–{y1:.3g}</p>")
