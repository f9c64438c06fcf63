"""`OUT/index.html` of `voxtune clone`: how the voice got better, and which checkpoint won.

Quality per evaluated checkpoint (CER, similarity, margin, DNSMOS) beside the loss curves,
the chosen checkpoint and the rule that chose it, then the audio side by side: the base
model cloning the voice zero-shot, each evaluated checkpoint on the same held-out
sentences, and the voice's own held-out clips. Audio is linked by relative paths, so the
folder can be moved or shared whole.
"""

import html
import shlex
from pathlib import Path

from voxtune.clone.holdout import HeldOut
from voxtune.eval.html import STYLE, line_chart
from voxtune.files import write_text
from voxtune.train.checkpoints import step_name
from voxtune.train.logs import read_run_log
from voxtune.tts.quality import Quality

_MEASURES = ("cer", "similarity", "margin", "dnsmos")


def write_clone_page(page: Path, held: HeldOut, rows: list[Quality], best_step: int,
                     why: str, commands: list[list[str]]) -> Path:
    """Write the page (atomically) into clone's output folder and return its path."""
    out = page.parent
    run = out / "finetune"
    quality = {name: [(row.step, getattr(row, name)) for row in rows
                      if getattr(row, name) is not None] for name in _MEASURES[:3]}
    losses: dict[str, list[tuple[int, float]]] = {}
    for entry in read_run_log(run):
        for key, value in entry.items():
            if key.startswith("train/") and "loss" in key:
                losses.setdefault(key, []).append((entry["step"], value))
    title = f"voxtune clone: {held.voice}"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p id='chosen'><b>Chosen checkpoint</b>: {html.escape(why)} Merged into "
             f"<a href='voice'>voice/</a>.</p>",
             f"<p>Measured on {held.clips} held-out clips of the voice ({held.seconds:.0f} s, "
             "never trained on, never a prompt) and sentences no data holds.</p>",
             "<h2>Quality per checkpoint</h2>", _table(rows, best_step),
             "<div style='display:flex;gap:16px'><div><h3>quality</h3>",
             line_chart(quality, "quality", 420, 180), "</div><div><h3>loss</h3>",
             line_chart(losses, "loss", 420, 180), "</div></div>",
             "<h2>Listen</h2>", _audio(out, held, rows, best_step),
             "<h2>Reports</h2><ul><li><a href='report/report.html'>report/report.html</a>: "
             "the merged voice against the base model cloning it zero-shot, sentence by "
             "sentence</li><li><a href='dataset/report.txt'>dataset/report.txt</a>: what "
             "preparation kept and set aside</li></ul>",
             "<h2>Commands</h2><pre>",
             "\n".join(html.escape(f"voxtune {shlex.join(argv)}") for argv in commands),
             "</pre></body></html>"]
    write_text(page, "\n".join(parts))
    return page


def _table(rows: list[Quality], best_step: int) -> str:
    head = "".join(f"<th>{name}</th>" for name in _MEASURES)
    lines = [f"<table id='quality'><tr><th>step</th>{head}</tr>"]
    for row in rows:
        cells = "".join(f"<td>{_number(getattr(row, name))}</td>" for name in _MEASURES)
        mark = " class='pass'" if row.step == best_step else ""
        lines.append(f"<tr{mark}><th>{row.step}{' (chosen)' if mark else ''}</th>{cells}</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _audio(out: Path, held: HeldOut, rows: list[Quality], best_step: int) -> str:
    """Per sentence: the base model's zero-shot clone, then each checkpoint; then the
    voice's own held-out clips."""
    compare = sorted((out / "report" / "compare").rglob("*.wav"))
    columns = [("base, zero-shot", compare)]
    for row in rows:
        folder = out / "finetune" / "quality" / step_name(row.step) / "speech" / held.voice
        label = f"step {row.step}" + (" (chosen)" if row.step == best_step else "")
        columns.append((label, sorted(folder.glob("*.wav"))))
    count = max((len(files) for _, files in columns), default=0)
    head = "".join(f"<th>{html.escape(label)}</th>" for label, _ in columns)
    lines = [f"<table id='listen'><tr><th>sentence</th>{head}</tr>"]
    for number in range(count):
        cells = "".join(f"<td>{_player(out, files[number]) if number < len(files) else ''}"
                        "</td>" for _, files in columns)
        lines.append(f"<tr><th>{number + 1}</th>{cells}</tr>")
    lines.append("</table><h3>The voice's own held-out clips</h3><p>")
    lines += [_player(out, clip) for clip in sorted((held.folder / held.voice).glob("*.wav"))]
    lines.append("</p>")
    return "\n".join(lines)


def _player(out: Path, path: Path) -> str:
    href = html.escape(path.relative_to(out).as_posix())
    return f"<audio controls preload='none' src='{href}'></audio>"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
