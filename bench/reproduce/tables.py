"""Write a reproduced table in the paper's layout: Markdown, CSV, LaTeX and JSON records.

Each cell shows the measured value (at the paper's printed precision) with its bootstrap 95 % CI,
the published number, Δ = measured - published, and a marker: ✓ within tolerance, ✗ outside,
"n/r" not run (reason in a numbered note), "decl." a declared rate (not measured).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from bench.reproduce.cells import (
    DECLARED,
    MEASURED,
    NOT_RUN,
    OUTSIDE,
    WITHIN,
    Cell,
    format_number,
)
from bench.reproduce.run import Reproduction

MARKERS = {WITHIN: "✓", OUTSIDE: "✗", NOT_RUN: "n/r", DECLARED: "decl.", MEASURED: ""}
CSV_FIELDS = ("row", "column", "published", "measured", "ci_low", "ci_high", "delta", "status",
              "reason", "n", "excluded", "tolerance")


def header_lines(result: Reproduction) -> list[str]:
    """Citation, data, subset warning and notes: printed above every format."""
    paper = result.paper
    cite = paper.citation
    lines = [f"{cite.title} (arXiv {cite.arxiv}), Table {cite.table}",
             f"data: {paper.dataset.corpus} {paper.dataset.split}, {result.n_utterances} "
             f"utterances" + (f" (manifest {result.manifest})" if result.manifest else "")]
    if result.subset_note():
        lines.append(f"**{result.subset_note()}**")
    lines.append("cell: measured [bootstrap 95 % CI] / published (Δ measured − published) "
                 "marker; ✓ within tolerance, ✗ outside, n/r not run, decl. declared rate "
                 "(not measured)")
    tolerances = ", ".join(f"{c.label} ±{c.tolerance:g}" for c in paper.columns)
    lines.append(f"tolerances: {tolerances}")
    return lines


def cell_text(cell: Cell) -> str:
    """One Markdown cell."""
    d = cell.decimals
    published = cell.published_text or "–"
    if cell.status == NOT_RUN:
        return f"n/r / {published}" if cell.published_text else "–"
    measured = format_number(cell.measured, d)
    if cell.status == DECLARED:
        return f"{measured} decl. / {published}"
    ci = (f" [{format_number(cell.ci_low, d)}, {format_number(cell.ci_high, d)}]"
          if cell.ci_low is not None else "")
    if cell.status == MEASURED:
        return f"{measured}{ci}"
    return f"{measured}{ci} / {published} ({format_number(cell.delta, d, signed=True)}) " \
           f"{MARKERS[cell.status]}"


def _notes(result: Reproduction) -> tuple[dict[tuple[str, str], int], list[str]]:
    """Numbered reasons (shared between cells with the same text)."""
    numbers: dict[str, int] = {}
    by_cell: dict[tuple[str, str], int] = {}
    for cell in result.cells:
        if cell.reason and cell.status != DECLARED:
            number = numbers.setdefault(cell.reason, len(numbers) + 1)
            by_cell[(cell.row, cell.column)] = number
    return by_cell, [f"[{n}] {reason}" for reason, n in numbers.items()]


def to_markdown(result: Reproduction) -> str:
    paper = result.paper
    by_cell, notes = _notes(result)
    out = [f"### {paper.name}", ""] + [f"{line}  " for line in header_lines(result)] + [""]
    out.append("| | " + " | ".join(c.label for c in paper.columns) + " |")
    out.append("|---|" + "---|" * len(paper.columns))
    for plan in result.plans:
        cells = []
        for column in paper.columns:
            cell = result.cell(plan.row.label, column.key)
            note = by_cell.get((cell.row, cell.column))
            cells.append(cell_text(cell) + (f" [{note}]" if note else ""))
        source = f" ({plan.source})" if plan.source and not plan.row.ground_truth else ""
        out.append(f"| {plan.row.label}{source} | " + " | ".join(cells) + " |")
    out.append("")
    out += [f"{line}  " for line in notes]
    if any(c.status == DECLARED for c in result.cells):
        out.append("decl.: the row's declared nominal rate (kbps = rate × bits/token); "
                   "precomputed audio carries no tokens, so it is not measured  ")
    out += [f"note: {line}  " for line in result.notes]
    return "\n".join(out).rstrip() + "\n"


def to_csv(result: Reproduction, path: Path) -> None:
    """One line per cell (the JSON records as a flat file)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for cell in result.cells:
            record = cell.record()
            writer.writerow({k: record[k] for k in CSV_FIELDS})


def to_json(result: Reproduction) -> dict:
    paper = result.paper
    return {"paper": paper.name, "citation": vars(paper.citation), "source": paper.source,
            "manifest": str(result.manifest) if result.manifest else None,
            "n_utterances": result.n_utterances, "subset": result.subset,
            "subset_note": result.subset_note(), "run_id": result.run_id,
            "store": str(result.store) if result.store else None, "notes": result.notes,
            "rows": {p.row.label: {"source": p.source, "reason": p.reason,
                                   "variant": None if p.variant is None else vars(p.variant)}
                     for p in result.plans},
            "cells": [cell.record() for cell in result.cells]}


def _tex(text: str) -> str:
    for char, repl in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"),
                       ("#", r"\#"), ("τ", r"$\tau$"), ("Δ", r"$\Delta$"), ("±", r"$\pm$")):
        text = text.replace(char, repl)
    return text


def to_latex(result: Reproduction) -> str:
    """Paper layout; each measured cell is ``value (Δ)``; not run is ``--``."""
    paper = result.paper
    lines = [r"\begin{table}[t]", r"\centering", r"\small",
             r"\begin{tabular}{l" + "r" * len(paper.columns) + "}", r"\toprule",
             " & ".join(["System"] + [_tex(c.label) for c in paper.columns]) + r" \\",
             r"\midrule"]
    for plan in result.plans:
        cells = []
        for column in paper.columns:
            cell = result.cell(plan.row.label, column.key)
            d = cell.decimals
            if cell.status == NOT_RUN:
                cells.append("--")
            elif cell.status == DECLARED:
                cells.append(format_number(cell.measured, d) + r"$^\dagger$")
            elif cell.delta is None:
                cells.append(format_number(cell.measured, d))
            else:
                cells.append(f"{format_number(cell.measured, d)} "
                             f"({format_number(cell.delta, d, signed=True)})")
        lines.append(" & ".join([_tex(plan.row.label), *cells]) + r" \\")
    caption = (f"Reproduction of {_tex(paper.citation.title)} (arXiv {paper.citation.arxiv}), "
               f"Table {paper.citation.table}: measured value (measured $-$ published); -- not "
               r"run; $^\dagger$ declared rate, not measured.")
    if result.subset_note():
        caption += " " + _tex(result.subset_note() or "") + "."
    lines += [r"\bottomrule", r"\end{tabular}", r"\caption{" + caption + "}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_all(result: Reproduction, out_dir: Path, json_path: Path | None = None
              ) -> dict[str, Path]:
    """table.md, table.csv, table.tex, section.html (fragment for a report), index.html and
    cells.json under ``out_dir``."""
    from bench.report.reproduce_section import render_page, render_section

    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"md": out_dir / "table.md", "csv": out_dir / "table.csv",
             "tex": out_dir / "table.tex", "html": out_dir / "section.html",
             "page": out_dir / "index.html",
             "json": json_path or out_dir / "cells.json"}
    files["md"].write_text(to_markdown(result), encoding="utf-8")
    to_csv(result, files["csv"])
    files["tex"].write_text(to_latex(result), encoding="utf-8")
    files["html"].write_text(render_section(result), encoding="utf-8")
    files["page"].write_text(render_page(result), encoding="utf-8")
    files["json"].parent.mkdir(parents=True, exist_ok=True)
    files["json"].write_text(json.dumps(to_json(result), indent=1, ensure_ascii=False,
                                        default=str), encoding="utf-8")
    return files
