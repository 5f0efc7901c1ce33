"""Paired comparison of two sides: pair on utterance id, then per metric Δ, relative Δ, a paired
bootstrap CI, a Wilcoxon signed-rank p-value with Holm correction, win/tie/loss and a verdict.

Verdict rule: ``better``/``worse`` (in the metric's direction) when the bootstrap CI of Δ
excludes 0 AND the Holm-adjusted Wilcoxon p is below ``alpha``; otherwise
``no significant difference``. Descriptive metrics (no better direction) get no verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bench.compare.bootstrap import DRAWS, RatioColumns, bootstrap_deltas, percentile_ci
from bench.compare.sides import Side, direction
from bench.compare.stats import holm, wilcoxon_p

BETTER, WORSE, NO_DIFF = "better", "worse", "no significant difference"
COLUMNS = ["group", "metric", "n", "baseline", "candidate", "delta", "rel_delta", "ci_low",
           "ci_high", "p_wilcoxon", "p_holm", "wins", "ties", "losses", "direction", "verdict",
           "weighting"]


@dataclass
class Pairing:
    """Which utterances were paired, and what was dropped on each side with reasons."""

    paired: list[str]
    baseline_only: dict[str, str] = field(default_factory=dict)
    candidate_only: dict[str, str] = field(default_factory=dict)
    missing: dict[str, dict[str, int]] = field(default_factory=dict)
    """metric -> {"baseline": n missing, "candidate": n missing} among paired utterances."""

    def lines(self, base_label: str, cand_label: str) -> list[str]:
        out = [f"n paired: {len(self.paired)}"]
        for label, dropped in ((base_label, self.baseline_only), (cand_label, self.candidate_only)):
            if dropped:
                out.append(f"dropped, only in {label}: {len(dropped)} — "
                           + summarise_reasons(dropped))
        for metric, counts in self.missing.items():
            parts = [f"{n} missing on {side}" for side, n in counts.items() if n]
            if parts:
                out.append(f"{metric}: " + ", ".join(parts) + " (pairs left out of this metric)")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"n_paired": len(self.paired), "paired": self.paired,
                "baseline_only": self.baseline_only, "candidate_only": self.candidate_only,
                "missing": self.missing}


@dataclass
class Comparison:
    """The result table (one row per group × metric) and the pairing report."""

    table: pd.DataFrame
    pairing: Pairing
    baseline: str
    candidate: str
    draws: int
    seed: int
    level: float
    notes: list[str] = field(default_factory=list)


def summarise_reasons(dropped: dict[str, str], limit: int = 3) -> str:
    counts: dict[str, list[str]] = {}
    for utt, reason in sorted(dropped.items()):
        counts.setdefault(reason, []).append(utt)
    parts = []
    for reason, utts in counts.items():
        shown = ", ".join(utts[:limit]) + (", …" if len(utts) > limit else "")
        parts.append(f"{len(utts)}× {reason} ({shown})")
    return "; ".join(parts)


def pair(base: Side, cand: Side) -> Pairing:
    """Utterances present on both sides, and the reasons for the rest."""
    b_utts, c_utts = base.utterances, cand.utterances
    paired = sorted(b_utts & c_utts)

    def why(utt: str, here: Side, other: Side) -> str:
        if utt in other.dropped:
            return f"{other.label}: {other.dropped[utt]}"
        return f"not in {other.label}"

    pairing = Pairing(paired=paired)
    pairing.baseline_only = {u: why(u, base, cand) for u in sorted(b_utts - c_utts)}
    pairing.candidate_only = {u: why(u, cand, base) for u in sorted(c_utts - b_utts)}
    return pairing


def compare(base: Side, cand: Side, metrics: list[str] | None = None, by: str | None = None,
            draws: int = DRAWS, seed: int = 0, level: float = 0.95, alpha: float = 0.05
            ) -> Comparison:
    """Compare ``cand`` against ``base`` on every shared numeric metric (or ``metrics``)."""
    pairing = pair(base, cand)
    if not pairing.paired:
        raise ValueError(f"no utterance is present in both {base.label!r} and {cand.label!r}")
    shared = [m for m in base.metric_ids() if m in set(cand.metric_ids())]
    if metrics:
        unknown = [m for m in metrics if m not in shared]
        if unknown:
            raise ValueError(f"metrics {unknown} are not numeric on both sides; shared: {shared}")
        shared = list(metrics)
    if not shared:
        raise ValueError(f"{base.label!r} and {cand.label!r} share no numeric metric")
    for metric in shared:
        pairing.missing[metric] = {
            "baseline": sum(base.values[metric].get(u) is None for u in pairing.paired),
            "candidate": sum(cand.values[metric].get(u) is None for u in pairing.paired)}
    groups = group_utterances(pairing.paired, base, cand, by)
    frames = [metric_rows(base, cand, shared, utts, group, draws, seed, level, alpha)
              for group, utts in groups.items()]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    notes = [f"{m}: corpus value = {base.weighting[m]}" for m in shared
             if base.weighting.get(m, "mean over utterances") != "mean over utterances"]
    return Comparison(table=table, pairing=pairing, baseline=base.label, candidate=cand.label,
                      draws=draws, seed=seed, level=level, notes=notes)


def group_utterances(paired: list[str], base: Side, cand: Side, by: str | None
                     ) -> dict[str, list[str]]:
    """{group: utterances}; one group "all" without ``by``, else one per manifest value."""
    if by is None:
        return {"all": paired}
    columns = base.columns or cand.columns
    if not columns:
        raise ValueError(f"--by {by}: no manifest columns on either side (a score file has none; "
                         "compare runs whose manifest is readable)")
    known = sorted({k for row in columns.values() for k in row})
    if by not in known:
        raise ValueError(f"--by {by}: not a manifest column; columns: {known}")
    groups: dict[str, list[str]] = {}
    for utt in paired:
        value = (columns.get(utt) or {}).get(by)
        groups.setdefault("(none)" if value is None else str(value), []).append(utt)
    return dict(sorted(groups.items()))


def ratio_columns(base: Side, cand: Side, metrics: list[str], utts: list[str]
                  ) -> tuple[RatioColumns, np.ndarray, np.ndarray]:
    """(numerators/denominators, per-utterance base values, cand values), NaN where missing.

    A pair enters a metric only when both sides have a value (and a weight, for corpus metrics).
    """
    n, m = len(utts), len(metrics)
    arrays = {k: np.zeros((n, m)) for k in ("bn", "bd", "cn", "cd")}
    bvals, cvals = np.full((n, m), np.nan), np.full((n, m), np.nan)
    for j, metric in enumerate(metrics):
        bw, cw = base.weights.get(metric), cand.weights.get(metric)
        weighted = bw is not None and cw is not None
        for i, utt in enumerate(utts):
            b, c = base.values[metric].get(utt), cand.values[metric].get(utt)
            wb = bw.get(utt) if weighted else 1.0
            wc = cw.get(utt) if weighted else 1.0
            if b is None or c is None or not wb or not wc:
                continue
            bvals[i, j], cvals[i, j] = b, c
            arrays["bn"][i, j], arrays["bd"][i, j] = b * wb, wb
            arrays["cn"][i, j], arrays["cd"][i, j] = c * wc, wc
    cols = RatioColumns(arrays["bn"], arrays["bd"], arrays["cn"], arrays["cd"])
    return cols, bvals, cvals


def metric_rows(base: Side, cand: Side, metrics: list[str], utts: list[str], group: str,
                draws: int, seed: int, level: float, alpha: float) -> pd.DataFrame:
    cols, bvals, cvals = ratio_columns(base, cand, metrics, utts)
    replicates = bootstrap_deltas(cols, draws=draws, seed=seed)
    low, high = percentile_ci(replicates, level)
    rows: list[dict[str, Any]] = []
    for j, metric in enumerate(metrics):
        ok = ~np.isnan(bvals[:, j])
        n = int(ok.sum())
        weighted = metric in base.weights and metric in cand.weights
        if not n:
            b_value = c_value = math.nan
        elif weighted:
            b_value = float(cols.base_num[ok, j].sum() / cols.base_den[ok, j].sum())
            c_value = float(cols.cand_num[ok, j].sum() / cols.cand_den[ok, j].sum())
        else:  # np.mean, so Δ equals the difference of the per-side means exactly
            b_value, c_value = float(np.mean(bvals[ok, j])), float(np.mean(cvals[ok, j]))
        diff = cvals[ok, j] - bvals[ok, j]
        sign = direction(metric, base.info.get(metric) or cand.info.get(metric) or {})
        if sign is None:
            wins = ties = losses = None
        else:
            wins, losses = int((sign * diff > 0).sum()), int((sign * diff < 0).sum())
            ties = n - wins - losses
        delta = c_value - b_value
        rows.append({
            "group": group, "metric": metric, "n": n, "baseline": b_value, "candidate": c_value,
            "delta": delta, "rel_delta": delta / abs(b_value) if b_value else math.nan,
            "ci_low": float(low[j]) if n else math.nan,
            "ci_high": float(high[j]) if n else math.nan,
            "p_wilcoxon": wilcoxon_p(diff), "wins": wins, "ties": ties, "losses": losses,
            "direction": {1: "higher", -1: "lower", None: "none"}[sign],
            "weighting": base.weighting.get(metric, "mean over utterances"),
        })
    table = pd.DataFrame(rows)
    judged = (table["direction"] != "none").to_numpy()  # the Holm family: metrics with a verdict
    p_holm = np.full(len(table), np.nan)
    p_holm[judged] = holm(table["p_wilcoxon"].to_numpy(dtype=float)[judged])
    table["p_holm"] = p_holm
    for col in ("wins", "ties", "losses"):
        table[col] = table[col].astype("Int64")
    table["verdict"] = [verdict(r, alpha) for r in table.to_dict("records")]
    return table[COLUMNS]


def verdict(row: dict[str, Any], alpha: float) -> str | None:
    """better / worse / no significant difference; None for a metric without a direction."""
    if row["direction"] == "none":
        return None
    low, high, p = row["ci_low"], row["ci_high"], row["p_holm"]
    if any(isinstance(x, float) and math.isnan(x) for x in (low, high, p)):
        return NO_DIFF
    if (low > 0 or high < 0) and p < alpha:
        sign = 1 if row["direction"] == "higher" else -1
        return BETTER if sign * row["delta"] > 0 else WORSE
    return NO_DIFF
