"""Report figures (matplotlib, Agg): quality vs rate with the Pareto front, per-utterance
distributions, and span histograms of variable-rate tokenizers."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from bench.report.tables import RunData, rate_values, variant_order
from bench.suite import GROUND_TRUTH


def pareto_front(points: list[tuple[float, float]], higher_is_better: bool) -> list[int]:
    """Indices of points not dominated (lower rate and better quality), sorted by rate."""
    front: list[int] = []
    for i, (rate_i, q_i) in enumerate(points):
        dominated = False
        for j, (rate_j, q_j) in enumerate(points):
            if i == j:
                continue
            better_q = q_j >= q_i if higher_is_better else q_j <= q_i
            strictly = rate_j < rate_i or (q_j > q_i if higher_is_better else q_j < q_i)
            if rate_j <= rate_i and better_q and strictly:
                dominated = True
                break
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda k: points[k][0])


def quality_vs_rate(summary: pd.DataFrame, metric: str, higher_is_better: bool, title: str,
                    out: Path, unit: str = "") -> Path | None:
    """Variant means (95% CI bars) against token rate (left) and total bitrate (right), each
    panel with its Pareto front and, where the metric was scored on it, the ground truth."""
    truth = summary[(summary["variant"] == GROUND_TRUTH)]
    truth_mean = (float(truth[f"{metric}_mean"].iloc[0])
                  if not truth.empty and f"{metric}_n" in truth and truth[f"{metric}_n"].iloc[0] > 0
                  else None)
    rows = summary[summary["tokens_per_s_n"] > 0]
    rows = rows[rows[f"{metric}_n"] > 0] if f"{metric}_n" in rows else rows.iloc[0:0]
    if rows.empty:
        return None
    y = rows[f"{metric}_mean"].to_numpy(float)
    err = np.nan_to_num(rows[f"{metric}_ci95"].to_numpy(float))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, rate, label in zip(axes, ("tokens_per_s", "total_kbps"),
                               ("tokens/s", "total kbps (tokens + side information)"),
                               strict=True):
        x = rows[f"{rate}_mean"].to_numpy(float)
        ax.errorbar(x, y, yerr=err, fmt="o", capsize=3)
        for i, (xi, yi, name) in enumerate(zip(x, y, rows["variant"], strict=True)):
            # alternate label heights: variants of one family often sit on the same point
            ax.annotate(name, (xi, yi), textcoords="offset points", xytext=(4, 4 - 10 * (i % 2)),
                        fontsize=7)
        front = pareto_front(list(zip(x.tolist(), y.tolist(), strict=True)), higher_is_better)
        ax.plot(x[front], y[front], "--", color="tab:red", label="Pareto front")
        if truth_mean is not None:
            ax.axhline(truth_mean, color="tab:green", linestyle=":", label="ground truth")
        ax.set_xlabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.margins(x=0.25, y=0.1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_ylabel(f"{metric}{f' ({unit})' if unit else ''}, "
                       f"{'higher' if higher_is_better else 'lower'} is better")
    fig.suptitle(title, fontsize=9)
    return _save(fig, out)


def distributions(data: RunData, dataset: str, metric: str, out: Path, unit: str = ""
                  ) -> Path | None:
    """Box plot of per-utterance values of one metric, one box per variant."""
    res = data.results
    res = res[(res["dataset"] == dataset) & (res["metric"] == metric)].dropna(subset=["value"])
    series: list[np.ndarray] = []
    labels: list[str] = []
    for variant in variant_order(data):
        vals = res[res["variant"] == variant]["value"].astype(float).to_numpy()
        if vals.size:
            series.append(vals)
            labels.append(data.label(variant))
    return _boxplot(series, labels, f"{metric} ({unit})" if unit else metric,
                    f"{dataset}: per-utterance {metric}", out)


def rate_distributions(data: RunData, dataset: str, out: Path) -> Path | None:
    """Box plot of per-utterance tokens/s (variable-rate tokenizers spread, fixed ones do not)."""
    rates = rate_values(data.utterances[data.utterances["dataset"] == dataset])
    series, labels = [], []
    for variant in variant_order(data):
        if variant == GROUND_TRUTH:
            continue
        vals = rates[rates["variant"] == variant]["tokens_per_s"].to_numpy(float)
        if vals.size:
            series.append(vals)
            labels.append(data.label(variant))
    return _boxplot(series, labels, "tokens/s", f"{dataset}: per-utterance token rate", out)


def _boxplot(series: list[np.ndarray], labels: list[str], ylabel: str, title: str,
             out: Path) -> Path | None:
    """One box per variant (with its mean), or None when no variant has a value."""
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(series) + 2), 3.6))
    ax.boxplot(series, showmeans=True)
    ticks = [f"{label}\n(n={len(values)})" for label, values in zip(labels, series, strict=True)]
    ax.set_xticks(range(1, len(labels) + 1), ticks, rotation=20, ha="right", fontsize=7)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, out)


def span_histograms(data: RunData, dataset: str, out: Path) -> Path | None:
    """Histogram of token spans (underlying frames per token) for each variable-rate variant."""
    entries = [(v, spans) for (d, v), spans in sorted(data.spans.items())
               if d == dataset and spans.size and np.any(spans != spans[0])]
    if not entries:
        return None
    cols = min(3, len(entries))
    rows = math.ceil(len(entries) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False,
                             sharey=True)
    for ax, (variant, spans) in zip(axes.flat, entries, strict=False):
        top = int(spans.max())
        # share of tokens (not counts) so that one y axis compares variants of any length
        ax.hist(spans, bins=np.arange(0.5, top + 1.5), rwidth=0.8,
                weights=np.full(spans.size, 1.0 / spans.size))
        ax.set_title(f"{data.label(variant)} (mean span {spans.mean():.2f}, "
                     f"n={spans.size} tokens)", fontsize=8)
        ax.set_xlabel("frames per token")
        ax.set_xticks(range(1, top + 1))
        ax.set_ylabel("share of tokens")
    for ax in list(axes.flat)[len(entries):]:
        ax.axis("off")
    fig.suptitle(f"{dataset}: token span histograms", fontsize=9)
    return _save(fig, out)


def _save(fig: plt.Figure, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
