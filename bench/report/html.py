"""A single self-contained ``index.html``: tables, footnotes and base64-embedded PNG figures."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 1200px; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.notes { font-size: 0.8em; color: #444; }
img { max-width: 100%; margin: 0.5em 0; }
.skipped { color: #a00; }
"""


def embed_png(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


Section = tuple[str, list[tuple[str, pd.DataFrame]], list[Path]]


def render_html(title: str, header_lines: list[str], skipped: list[str],
                sections: list[Section], notes: list[str], failures: pd.DataFrame) -> str:
    """Compose the page; ``sections`` holds (dataset, [(title, table)], figure paths)."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{_STYLE}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    parts.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in header_lines)
                 + "</ul>")
    if skipped:
        parts.append("<h2>Skipped</h2><ul class='skipped'>"
                     + "".join(f"<li>{html.escape(s)}</li>" for s in skipped) + "</ul>")
    for dataset, tables, figures in sections:
        parts.append(f"<h2>Dataset: {html.escape(dataset)}</h2>")
        for title, table in tables:
            parts.append(f"<h3>{html.escape(title)}</h3>")
            parts.append(table.to_html(index=False, escape=True, border=0, na_rep="—"))
        parts.extend(embed_png(f) for f in figures)
    parts.append("<h2>Notes</h2><ol class='notes'>"
                 + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ol>")
    if not failures.empty:
        parts.append("<h2>Failed utterances</h2>")
        parts.append(failures.to_html(index=False, escape=True, border=0))
    parts.append("</body></html>")
    return "\n".join(parts)
