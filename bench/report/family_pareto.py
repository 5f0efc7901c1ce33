"""Rate–quality Pareto plot across tokenizer families: every variant at its measured total
bitrate, coloured by family; hollow markers and a "(random)" tag for untrained or random weights,
so a tiny CI model is never mistaken for a released codec."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from bench.report.plots import _save, pareto_front
from bench.report.tables import RunData

PREFERRED = ("pesq_wb", "stoi", "utmos", "mel_l1", "si_sdr", "stft_mr")


def family_points(data: RunData, summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """variant label, family, trained, total kbps and metric mean of every scored variant."""
    rows = []
    for v in data.variants:
        if v["status"] != "ok":
            continue
        label = data.label(v["variant"])
        match = summary[summary["variant"] == label]
        if match.empty:
            continue
        row = match.iloc[0]
        rate, quality = row.get("total_kbps_mean"), row.get(f"{metric}_mean")
        if rate is None or quality is None or not np.isfinite(rate) or not np.isfinite(quality):
            continue
        rows.append({"variant": v["variant"], "family": v["family"],
                     "trained": v["trained"] != 0, "kbps": float(rate),
                     "quality": float(quality)})
    return pd.DataFrame(rows, columns=["variant", "family", "trained", "kbps", "quality"])


def pick_metric(data: RunData) -> tuple[str, bool] | None:
    """The quality axis: the first of PREFERRED that ran, else any reference metric."""
    infos = {m["metric"]: data.metric_info(m["metric"]) for m in data.ok_metrics}
    candidates = [m for m in PREFERRED if m in infos]
    candidates += [m for m, info in infos.items()
                   if info.get("needs_reference") and not info.get("needs_tokens")]
    if not candidates:
        return None
    metric = candidates[0]
    return metric, bool(infos[metric].get("higher_is_better", True))


def family_pareto(data: RunData, dataset: str, summary: pd.DataFrame, out: Path
                  ) -> Path | None:
    """Quality vs total kbps across families with the Pareto front; None without 2 points."""
    picked = pick_metric(data)
    if picked is None:
        return None
    metric, higher_is_better = picked
    points = family_points(data, summary, metric)
    if len(points) < 2:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    colours = plt.get_cmap("tab10")
    for k, (family, group) in enumerate(points.groupby("family", sort=True)):
        colour = colours(k % 10)
        for trained, part in group.groupby("trained"):
            ax.scatter(part["kbps"], part["quality"], s=36, edgecolors=colour,
                       facecolors=colour if trained else "none", linewidths=1.5, label=family)
    for i, row in enumerate(points.itertuples()):
        tag = "" if row.trained else " (random)"
        ax.annotate(row.variant + tag, (row.kbps, row.quality), textcoords="offset points",
                    xytext=(4, 4 - 10 * (i % 2)), fontsize=6)
    front = pareto_front(list(zip(points["kbps"], points["quality"], strict=True)),
                         higher_is_better)
    ax.plot(points["kbps"].to_numpy()[front], points["quality"].to_numpy()[front], "--",
            color="tab:red", label="Pareto front")
    ax.set_xlabel("total kbps (measured: tokens + side information)")
    ax.set_ylabel(f"{metric} ({'higher' if higher_is_better else 'lower'} is better)")
    untrained = int((~points["trained"]).sum())
    note = f"; hollow = untrained/random weights ({untrained})" if untrained else ""
    ax.set_title(f"{dataset}: {metric} vs bitrate across families{note}", fontsize=9)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), fontsize=7, loc="best")
    return _save(fig, out)
