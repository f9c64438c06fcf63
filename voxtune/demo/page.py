"""`OUT/index.html`: the demo's front page.

The bars draw on three evaluations (the codec, the voice's own recordings, the fine-tuned
model against the base model), so their table heads a page of its own at the top of the
demo folder, with links to each evaluation's report and audio and the commands that made
them; each `voxtune eval` page stays exactly what its command writes when run alone.
Links are relative, so the folder can be moved or shared as a whole.
"""

import html
import shlex
from pathlib import Path

from voxtune.demo.bars import Bar
from voxtune.eval.html import STYLE

PAGE_STYLE = STYLE + ".unmeasured{color:#777;font-style:italic}pre{background:#f6f6f6;" \
    "padding:8px;white-space:pre-wrap}"


def render_index(out: Path, title: str, bars: list[Bar], reports: list[tuple[str, Path]],
                 audio: list[tuple[str, Path]], commands: list[list[str]]) -> str:
    """The page: bars, then (description, path) links to reports and audio folders under
    `out`, then the `voxtune` commands in the order they ran."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{PAGE_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
             _bars_table(bars),
             "<h2>Reports</h2>", _links(out, reports),
             "<h2>Audio</h2>", _links(out, audio),
             "<h2>Commands</h2><p>Each ran in this order and left its output here; any "
             "of them can be run again alone.</p><pre>",
             "\n".join(html.escape(f"voxtune {shlex.join(argv)}") for argv in commands),
             "</pre></body></html>"]
    return "\n".join(parts)


def _bars_table(bars: list[Bar]) -> str:
    rows = ["<h2>Quality bars</h2><table id='bars'><tr><th>quality bar</th><th>value</th>"
            "<th>rule</th><th>result</th><th>note</th></tr>"]
    for bar in bars:
        kind = "unmeasured" if bar.passed is None else "pass" if bar.passed else "fail"
        value = "not measured" if bar.value is None else f"{bar.value:.3f}"
        rows.append(f"<tr><th>{html.escape(bar.name)}</th><td>{value}</td>"
                    f"<td>{html.escape(bar.rule)}</td><td class='{kind}'>{bar.status}</td>"
                    f"<td>{html.escape(bar.note)}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _links(out: Path, items: list[tuple[str, Path]]) -> str:
    rows = []
    for description, path in items:
        href = path.relative_to(out).as_posix()
        rows.append(f"<li><a href='{html.escape(href)}'>{html.escape(href)}</a>: "
                    f"{html.escape(description)}</li>")
    return f"<ul>{''.join(rows)}</ul>"
