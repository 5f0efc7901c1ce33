"""The HTML fragment of a reproduced paper table (``tokbench reproduce``), for the report.

A self-contained ``<section>``: the table in the paper's layout with each cell's measured value,
CI, published number, Δ and marker, styled by status; reasons as numbered notes. Written by
``tokbench reproduce`` as ``section.html``; the report can embed it as is.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from bench.reproduce.cells import DECLARED, MEASURED, NOT_RUN, OUTSIDE, WITHIN, format_number

if TYPE_CHECKING:
    from bench.reproduce.run import Reproduction

STYLE = """<style>
.repro table{border-collapse:collapse;font:13px/1.35 system-ui,sans-serif}
.repro th,.repro td{border:1px solid #ccc;padding:3px 6px;text-align:right;vertical-align:top}
.repro th:first-child,.repro td:first-child{text-align:left}
.repro .within{background:#e6f4ea}.repro .outside{background:#fde7e7}
.repro .notrun{background:#f1f1f1;color:#666}.repro .declared{background:#eef3fb}
.repro small{color:#555;display:block}.repro .subset{color:#a33;font-weight:600}
</style>"""
CLASSES = {WITHIN: "within", OUTSIDE: "outside", NOT_RUN: "notrun", DECLARED: "declared",
           MEASURED: "measured"}


def render_section(result: Reproduction) -> str:
    """``<section class="repro">`` with the table, the subset warning and the notes."""
    paper = result.paper
    cite = paper.citation
    notes: dict[str, int] = {}
    head = "".join(f"<th>{escape(c.label)}</th>" for c in paper.columns)
    body = []
    for plan in result.plans:
        tds = []
        for column in paper.columns:
            cell = result.cell(plan.row.label, column.key)
            d = cell.decimals
            parts = []
            if cell.measured is not None:
                parts.append(f"<b>{format_number(cell.measured, d)}</b>")
            if cell.ci_low is not None:
                parts.append(f"<small>CI [{format_number(cell.ci_low, d)}, "
                             f"{format_number(cell.ci_high, d)}], n={cell.n}</small>")
            if cell.published_text:
                delta = ("" if cell.delta is None
                         else f" (Δ {format_number(cell.delta, d, signed=True)})")
                parts.append(f"<small>paper {escape(cell.published_text)}{delta}</small>")
            label = {NOT_RUN: "not run", DECLARED: "declared, not measured"}.get(cell.status)
            if cell.status in (WITHIN, OUTSIDE):
                label = cell.status
            if cell.reason:
                number = notes.setdefault(cell.reason, len(notes) + 1)
                label = f"{label or ''} [{number}]".strip()
            if label:
                parts.append(f"<small>{escape(label)}</small>")
            tds.append(f'<td class="{CLASSES[cell.status]}">{"".join(parts)}</td>')
        source = f" <small>{escape(plan.source)}</small>" if plan.source else ""
        body.append(f"<tr><td>{escape(plan.row.label)}{source}</td>{''.join(tds)}</tr>")
    subset = (f'<p class="subset">{escape(result.subset_note() or "")}</p>'
              if result.subset_note() else "")
    note_items = "".join(f"<li value=\"{n}\">{escape(reason)}</li>" for reason, n in notes.items())
    extra = "".join(f"<li>{escape(line)}</li>" for line in result.notes)
    return (f'<section class="repro" id="reproduce-{escape(paper.name)}">{STYLE}'
            f"<h2>Reproduction: {escape(cite.title)} (arXiv {escape(cite.arxiv)}), "
            f"Table {escape(cite.table)}</h2>"
            f"<p>{escape(paper.dataset.corpus)} {escape(paper.dataset.split)}, "
            f"{result.n_utterances} utterances; bootstrap 95 % CIs over utterances.</p>{subset}"
            f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            f"</table><ol>{note_items}</ol><ul>{extra}</ul></section>\n")


def render_page(result: Reproduction) -> str:
    """A standalone page around ``render_section`` (``<out>/index.html``)."""
    title = f"tokbench reproduce: {result.paper.name}"
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{escape(title)}</title></head><body>{render_section(result)}</body></html>\n")
