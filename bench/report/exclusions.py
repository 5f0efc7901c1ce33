"""Why values are missing, as report data: per-metric reasons grouped with counts (the cells
only say "[k excl.]"), and how many reconstruction/reference pairs had a length mismatch.

Both are DataFrames for any renderer (HTML, Markdown, CSV) plus a ready Markdown section.
"""

from __future__ import annotations

import json

import pandas as pd

from bench.report.tables import RunData, to_markdown

REASON_COLUMNS = ["dataset", "variant", "metric", "reason", "count"]
LENGTH_COLUMNS = ["dataset", "variant", "pairs", "min_ratio", "max_ratio", "length_mismatches"]


def failure_reasons(data: RunData) -> pd.DataFrame:
    """One row per (dataset, variant, metric, reason) with the number of values it cost,
    most frequent first within each metric."""
    res = data.results[data.results["value"].isna() & data.results["reason"].notna()]
    if res.empty:
        return pd.DataFrame(columns=REASON_COLUMNS)
    grouped = (res.groupby(["dataset", "variant", "metric", "reason"], sort=False)
               .size().reset_index(name="count"))
    grouped["variant"] = grouped["variant"].map(data.label)
    grouped = grouped.sort_values(["dataset", "variant", "metric", "count", "reason"],
                                  ascending=[True, True, True, False, True], kind="stable")
    return grouped[REASON_COLUMNS].reset_index(drop=True)


def length_summary(data: RunData) -> pd.DataFrame:
    """Per dataset and variant: pairs with a recorded length ratio (reconstruction ÷ reference
    seconds), its range, and the pairs left out of reference-based metrics for a mismatch."""
    utts = data.utterances[(data.utterances["status"] == "ok")
                           & data.utterances["decisions"].notna()]
    mismatched = data.results[data.results["reason"].fillna("").str.startswith(
        "length mismatch")]
    rows = []
    for (dataset, variant), group in utts.groupby(["dataset", "variant"], sort=True):
        ratios = [json.loads(d).get("length_ratio") for d in group["decisions"]]
        ratios = [r for r in ratios if r is not None]
        if not ratios:
            continue
        hit = mismatched[(mismatched["dataset"] == dataset) & (mismatched["variant"] == variant)]
        rows.append({"dataset": dataset, "variant": data.label(variant), "pairs": len(ratios),
                     "min_ratio": min(ratios), "max_ratio": max(ratios),
                     "length_mismatches": int(hit["utterance"].nunique())})
    return pd.DataFrame(rows, columns=LENGTH_COLUMNS)


def exclusions_markdown(data: RunData) -> list[str]:
    """Markdown lines: the length table (when any pair was measured) and the grouped reasons."""
    lines: list[str] = []
    lengths = length_summary(data)
    if not lengths.empty:
        shown = lengths.copy()
        shown["min_ratio"] = shown["min_ratio"].map(lambda r: f"{r:.3f}")
        shown["max_ratio"] = shown["max_ratio"].map(lambda r: f"{r:.3f}")
        lines += ["## Reconstruction length", "",
                  "Length ratio = reconstruction ÷ reference seconds; pairs outside the "
                  "tolerance are left out of reference-based metrics (`batch.length_tolerance`, "
                  "`batch.length_policy`).", "", to_markdown(shown), ""]
    reasons = failure_reasons(data)
    if not reasons.empty:
        lines += ["## Why values are missing", "", to_markdown(reasons), ""]
    return lines
