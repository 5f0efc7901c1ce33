"""A comparison as a terminal table, Markdown, JSON and a forest plot (Δ with its CI per metric)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from bench.compare.engine import BETTER, WORSE, Comparison

SHOWN = ["metric", "n", "baseline", "candidate", "delta", "rel_delta", "ci", "p_holm",
         "w/t/l", "verdict"]


def fmt(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}g}" if abs(x) < 1e4 else f"{x:.1f}"
    return str(x)


def display_rows(result: Comparison, group: str) -> list[dict[str, str]]:
    rows = []
    level = round(result.level * 100)
    for r in result.table[result.table["group"] == group].to_dict("records"):
        wtl = "–" if r["wins"] is pd.NA or r["wins"] is None else \
            f"{r['wins']}/{r['ties']}/{r['losses']}"
        rows.append({
            "metric": r["metric"] + {"higher": " ↑", "lower": " ↓"}.get(r["direction"], ""),
            "n": str(r["n"]), "baseline": fmt(r["baseline"]), "candidate": fmt(r["candidate"]),
            "delta": fmt(r["delta"]),
            "rel_delta": "–" if math.isnan(r["rel_delta"]) else f"{100 * r['rel_delta']:+.1f}%",
            "ci": f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]", "p_holm": fmt(r["p_holm"], 2),
            "w/t/l": wtl,
            "verdict": r["verdict"] if isinstance(r["verdict"], str) else "(no direction)",
        })
    headers = {"delta": "Δ", "rel_delta": "rel Δ", "ci": f"{level}% CI of Δ", "p_holm": "p (Holm)"}
    return [{headers.get(k, k): v for k, v in row.items()} for row in rows]


def header_lines(result: Comparison) -> list[str]:
    return [f"baseline: {result.baseline}   candidate: {result.candidate}   (Δ = candidate − "
            f"baseline; paired bootstrap, {result.draws} draws, seed {result.seed})",
            *result.pairing.lines(result.baseline, result.candidate), *result.notes]


def to_text(result: Comparison) -> str:
    """Aligned plain-text tables, one per group."""
    out = header_lines(result)
    for group in result.table["group"].unique():
        rows = display_rows(result, group)
        if not rows:
            continue
        widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in rows[0]}
        out += ["", f"[{group}]"] if group != "all" else [""]
        out.append("  ".join(k.ljust(w) for k, w in widths.items()))
        out += ["  ".join(r[k].ljust(w) for k, w in widths.items()) for r in rows]
    return "\n".join(line for line in out if line is not None)


def to_markdown(result: Comparison, title: str | None = None) -> str:
    out = [f"### {title}", ""] if title else []
    out += [f"- {line}" for line in header_lines(result)]
    for group in result.table["group"].unique():
        rows = display_rows(result, group)
        if not rows:
            continue
        out += ["", f"**{group}**", ""] if group != "all" else [""]
        out.append("| " + " | ".join(rows[0]) + " |")
        out.append("|" + "---|" * len(rows[0]))
        out += ["| " + " | ".join(r.values()) + " |" for r in rows]
    return "\n".join(out) + "\n"


def to_json(result: Comparison) -> dict[str, Any]:
    table = result.table.astype(object).where(result.table.notna(), None)
    return {"baseline": result.baseline, "candidate": result.candidate, "draws": result.draws,
            "seed": result.seed, "level": result.level, "pairing": result.pairing.to_dict(),
            "notes": result.notes, "rows": table.to_dict("records")}


def write_json(result: Comparison, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_json(result), indent=2, default=float), "utf-8")
    return path


def forest_plot(result: Comparison, path: Path | str, title: str | None = None) -> Path:
    """Δ with its CI per metric (one panel per metric, since units differ), zero line;
    red = worse, green = better, grey = no verdict or no significant difference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = result.table
    metrics = list(dict.fromkeys(table["metric"]))
    groups = list(dict.fromkeys(table["group"]))
    fig, axes = plt.subplots(len(metrics), 1, figsize=(7, 0.5 + 0.42 * len(groups) * len(metrics)
                                                       + 0.35 * len(metrics)), squeeze=False)
    colours = {BETTER: "tab:green", WORSE: "tab:red"}
    for ax, metric in zip(axes[:, 0], metrics, strict=True):
        rows = table[table["metric"] == metric].reset_index(drop=True)
        for i, r in rows.iterrows():
            y = len(rows) - 1 - i
            colour = colours.get(r["verdict"], "0.4")
            low, high = r["ci_low"], r["ci_high"]
            if not (math.isnan(low) or math.isnan(high)):
                ax.plot([low, high], [y, y], color=colour, lw=2)
            ax.plot([r["delta"]], [y], "o", color=colour)
        ax.axvline(0.0, color="black", lw=0.8, ls="--")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(list(rows["group"])[::-1] if len(groups) > 1 else [""])
        arrow = {"higher": " (↑ better)", "lower": " (↓ better)"}.get(rows["direction"][0], "")
        ax.set_title(f"Δ {metric}{arrow}", fontsize=9, loc="left")
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.tick_params(labelsize=8)
    fig.suptitle(title or f"{result.candidate} − {result.baseline} "
                 f"({round(100 * result.level)}% paired bootstrap CI)", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
