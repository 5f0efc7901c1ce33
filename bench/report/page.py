"""``index.html`` from jinja2 templates: headline table with the best value per column marked,
figures, a per-utterance drill-down (players, A/B toggle, spectrograms, span timelines) and a
provenance footer. Only relative links: the folder works from file:// and any static server.

Other report parts plug in as ``ExtraSection(title, html)`` (see ``bench.report.sections``).
"""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from bench.report.breakdown import manifest_info
from bench.report.media import AudioEntry
from bench.report.tables import (
    RATE_LABELS,
    RATE_METRIC_TWINS,
    RunData,
    arrow,
    digits_for,
    format_value,
    variant_order,
)
from bench.suite import GROUND_TRUTH

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class ExtraSection:
    """A titled HTML fragment placed in the page (variant comparisons, reproduction tables)."""

    title: str
    html: str
    anchor: str = ""


@dataclass
class Cell:
    text: str
    best: bool = False
    value: float | None = None


@dataclass
class HeadlineTable:
    title: str
    headers: list[str]
    rows: list[list[Cell]]


@dataclass
class UtteranceView:
    """One row of the drill-down table and its expanded players."""

    id: str
    language: str
    speaker: str
    seconds: float | None
    values: dict[tuple[str, str], float | None]  # (metric, variant) -> value
    sources: list[dict[str, Any]] = field(default_factory=list)


def headline_tables(summary: pd.DataFrame, data: RunData, dataset: str) -> list[HeadlineTable]:
    """Quality and rate tables: 'mean ± CI' cells, best variant per directed column marked."""
    if summary.empty:
        return []
    token_metrics = [m["metric"] for m in data.ok_metrics
                     if data.metric_info(m["metric"]).get("needs_tokens")]
    quality = [m["metric"] for m in data.ok_metrics if m["metric"] not in token_metrics]
    token_metrics = [m for m in token_metrics if m not in RATE_METRIC_TWINS]
    tables = []
    for title, quantities, with_gt in (
            ("Quality (mean ± 95% CI over utterances)", quality, True),
            ("Rates (mean ± 95% CI over utterances)",
             ["tokens_per_s", "total_kbps", *token_metrics], False)):
        rows = summary if with_gt else summary[summary["variant"] != GROUND_TRUTH]
        cols = [q for q in quantities if f"{q}_n" in rows and rows[f"{q}_n"].sum() > 0]
        if not cols or rows.empty:
            continue
        headers = ["variant"]
        body: list[list[Cell]] = [[Cell(str(v))] for v in rows["variant"]]
        for q in cols:
            info = data.metric_info(q)
            if q in RATE_LABELS:
                headers.append(RATE_LABELS[q] + " ↓")
                hib: bool | None = False
            else:
                headers.append(q + arrow(info))
                hib = info.get("higher_is_better", True)
            means = rows[f"{q}_mean"].to_numpy(float)
            candidates = [i for i, v in enumerate(rows["variant"])
                          if v != GROUND_TRUTH and not math.isnan(means[i])]
            best = None
            if hib is not None and len(candidates) > 1:
                best = (max if hib else min)(candidates, key=lambda i: means[i])
            digits = digits_for(q, info)
            for i, (_, r) in enumerate(rows.iterrows()):
                body[i].append(Cell(_cell_text(r, q, digits), best=(i == best),
                                    value=None if math.isnan(means[i]) else float(means[i])))
        tables.append(HeadlineTable(title, headers, body))
    return tables


def _cell_text(row: pd.Series, q: str, digits: int) -> str:
    mean, half, n = row[f"{q}_mean"], row[f"{q}_ci95"], int(row[f"{q}_n"])
    if n == 0 or math.isnan(mean):
        return "—"
    text = format_value(mean, digits)
    if not math.isnan(half):
        text += f" ± {format_value(half, digits, like=mean)}"
    excluded = int(row[f"{q}_excluded"])
    return text + (f" [{excluded} excl.]" if excluded else "")


def utterance_views(data: RunData, dataset: str, audio: dict[tuple[str, str, str], AudioEntry]
                    ) -> tuple[list[UtteranceView], list[str], list[tuple[str, str]]]:
    """Rows of the drill-down (utterance order), the metrics shown and the (metric, variant)
    columns that hold at least one value."""
    utts = data.utterances[data.utterances["dataset"] == dataset]
    res = data.results[(data.results["dataset"] == dataset) & data.results["value"].notna()]
    info = manifest_info(data, dataset)
    variants = [v for v in variant_order(data) if v in set(utts["variant"])]
    present = set(zip(res["metric"], res["variant"], strict=True))
    ordered = sorted(data.ok_metrics,  # quality first, token statistics after
                     key=lambda m: bool(data.metric_info(m["metric"]).get("needs_tokens")))
    metrics = [m["metric"] for m in ordered if m["metric"] in set(res["metric"])]
    columns = [(m, v) for m in metrics for v in variants if (m, v) in present]
    values: dict[str, dict[tuple[str, str], float]] = {}
    for r in res.itertuples(index=False):
        values.setdefault(r.utterance, {})[(r.metric, r.variant)] = float(r.value)
    seconds = {r.utterance: float(r.seconds) for r in utts.itertuples(index=False)
               if r.seconds is not None and not pd.isna(r.seconds)}
    views = []
    for utt in sorted(set(utts["utterance"])):
        language, speaker = info.get(utt, ("", ""))
        view = UtteranceView(utt, language, speaker, seconds.get(utt), values.get(utt, {}))
        for variant in [GROUND_TRUTH, *[v for v in variants if v != GROUND_TRUTH]]:
            entry = audio.get((dataset, variant, utt))
            if entry is None:
                continue
            view.sources.append({
                "label": "reference" if variant == GROUND_TRUTH else data.label(variant),
                "variant": variant, "src": entry.src, "seconds": entry.seconds,
                "sample_rate": entry.sample_rate, "spectrogram": entry.spectrogram,
                "timeline": entry.timeline,
                "counts": {k: v for k, v in entry.extra.items() if k != "clipped"},
                "clipped": bool(entry.extra.get("clipped"))})
        views.append(view)
    return views, metrics, columns


def embed_png(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["fmt"] = lambda v, d=3: format_value(v, d)
    env.filters["tojson_attr"] = lambda v: json.dumps(v)
    return env


def render_page(context: dict[str, Any]) -> str:
    """Render ``index.html.j2`` with the page context (see ``build.write_report``)."""
    env = _environment()
    context = {**context, "script": (TEMPLATES / "report.js").read_text("utf-8"),
               "style": (TEMPLATES / "report.css").read_text("utf-8")}
    return env.get_template("index.html.j2").render(**context)
