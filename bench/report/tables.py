"""Summary tables from the store: one per dataset, rows = variants, columns = rates and metrics.

Every cell is a mean with a 95% Student-t confidence interval over utterances
(mean ± t(0.975, n-1)·s/√n) and the number of utterances excluded (no value, with a reason).
Rates are measured from the emitted tokens: tokens/s = tokens / reference seconds; token kbps =
tokens/s · log2(vocab) / 1000; side kbps = side-info bits / seconds / 1000.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from bench.store import Store
from bench.suite import GROUND_TRUTH

CI_METHOD = ("95% confidence interval: Student-t interval over utterances, "
             "mean ± t(0.975, n−1)·s/√n; rate columns are corpus ratios of sums (total / total "
             "seconds) with the ratio estimator's interval")
RATE_COLUMNS = ("tokens_per_s", "token_kbps", "side_kbps", "total_kbps")
RATE_LABELS = {"tokens_per_s": "tokens/s", "token_kbps": "token kbps", "side_kbps": "side kbps",
               "total_kbps": "total kbps"}
UNTRAINED = "untrained weights"
RATE_METRIC_TWINS = ("tokens_per_s", "bits_per_s", "side_bits_per_s")
"""Rate metrics whose per-utterance values repeat a store-derived rate column (tokens/s, token
kbps × 1000, side kbps × 1000): the display tables show the store-derived column only."""


@dataclass
class RunData:
    """Everything a report needs, read once from the store."""

    run: dict[str, Any]
    datasets: list[dict[str, Any]]
    variants: list[dict[str, Any]]
    metrics: list[dict[str, Any]]
    utterances: pd.DataFrame
    results: pd.DataFrame
    corpus: pd.DataFrame = field(default_factory=pd.DataFrame)
    spans: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    @property
    def ok_metrics(self) -> list[dict[str, Any]]:
        """Metrics that ran, in the suite's order."""
        config = json.loads(self.run["config_json"])
        order = {spec["id"]: i for i, spec in enumerate(config.get("metrics", []))}
        ok = [m for m in self.metrics if m["status"] == "ok"]
        return sorted(ok, key=lambda m: (order.get(m["metric"], len(order)), m["metric"]))

    def metric_info(self, metric_id: str) -> dict[str, Any]:
        for m in self.metrics:
            if m["metric"] == metric_id and m["info_json"]:
                return json.loads(m["info_json"])
        return {}

    def label(self, variant: str) -> str:
        """Variant name as printed: untrained weights are always flagged."""
        for v in self.variants:
            if v["variant"] == variant and v["trained"] == 0:
                return f"{variant} ({UNTRAINED})"
        return variant


def load_run(store: Store, run_id: int) -> RunData:
    utts = pd.DataFrame(store.table("utterances", run_id),
                        columns=["run_id", "dataset", "variant", "utterance", "status", "reason",
                                 "seconds", "n_tokens", "bits_per_token", "side_bits",
                                 "decisions"])
    results = pd.DataFrame(store.table("results", run_id),
                           columns=["run_id", "dataset", "variant", "utterance", "metric",
                                    "value", "reason"])
    spans: dict[tuple[str, str], list[np.ndarray]] = {}
    for dataset, variant, _, d in store.durations(run_id):
        spans.setdefault((dataset, variant), []).append(d)
    return RunData(
        run=store.run_row(run_id),
        datasets=sorted(store.table("datasets", run_id), key=lambda r: r["dataset"]),
        variants=store.table("variants", run_id),
        metrics=store.table("metrics", run_id),
        utterances=utts.sort_values(["dataset", "variant", "utterance"], kind="stable"),
        results=results.sort_values(["dataset", "variant", "utterance", "metric"], kind="stable"),
        corpus=pd.DataFrame(store.table("corpus_results", run_id),
                            columns=["run_id", "dataset", "variant", "metric", "key", "value",
                                     "reason"]),
        spans={k: np.concatenate(v) for k, v in spans.items()},
    )


def mean_ci(values: np.ndarray) -> tuple[float, float, int]:
    """(mean, CI half-width, n) of finite values; half-width is NaN when n < 2."""
    values = np.asarray(values, dtype=float)
    n = int(values.size)
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, n
    half = float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, half, n


def ratio_ci(numerators: np.ndarray, denominators: np.ndarray) -> tuple[float, float, int]:
    """(Σnum / Σden, CI half-width, n): the corpus ratio of sums with the ratio estimator's
    95% interval, t(0.975, n−1)·√(Σ(num − R·den)² / (n(n−1))) / mean(den). A 1 ms input weighs
    1 ms here, not as much as a 10 s one (it once doubled a fixed 75 Hz codec's mean rate)."""
    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    n = int(num.size)
    if n == 0 or den.sum() <= 0:
        return math.nan, math.nan, n
    ratio = float(num.sum() / den.sum())
    if n < 2:
        return ratio, math.nan, n
    se = math.sqrt(float(np.sum((num - ratio * den) ** 2)) / (n * (n - 1))) / float(den.mean())
    return ratio, float(stats.t.ppf(0.975, n - 1) * se), n


def rate_values(utts: pd.DataFrame) -> pd.DataFrame:
    """Per-utterance rates of successful utterances (columns RATE_COLUMNS)."""
    ok = utts[(utts["status"] == "ok") & utts["n_tokens"].notna()].copy()
    seconds = ok["seconds"].astype(float)
    ok["tokens_per_s"] = ok["n_tokens"].astype(float) / seconds
    ok["token_kbps"] = ok["tokens_per_s"] * ok["bits_per_token"].astype(float) / 1000.0
    ok["side_kbps"] = ok["side_bits"].fillna(0.0).astype(float) / seconds / 1000.0
    ok["total_kbps"] = ok["token_kbps"] + ok["side_kbps"]
    return ok


def variant_order(data: RunData) -> list[str]:
    """Ground truth first, then variants in suite order (skipped ones included for the record)."""
    config = json.loads(data.run["config_json"])
    names = [v["name"] for v in config.get("variants", [])]
    return [GROUND_TRUTH, *names]


def summary_table(data: RunData, dataset: str) -> pd.DataFrame:
    """Machine-readable summary: one row per variant, ``<q>_mean/_ci95/_n/_excluded`` columns."""
    utts = data.utterances[data.utterances["dataset"] == dataset]
    res = data.results[data.results["dataset"] == dataset]
    corpus = data.corpus[data.corpus["dataset"] == dataset]
    rates = rate_values(utts)
    metric_ids = [m["metric"] for m in data.ok_metrics]
    rows: list[dict[str, Any]] = []
    for variant in variant_order(data):
        v_utts = utts[utts["variant"] == variant]
        if v_utts.empty:
            continue
        row: dict[str, Any] = {"variant": data.label(variant)}
        failed = int((v_utts["status"] != "ok").sum())
        v_rates = rates[rates["variant"] == variant]
        for col in RATE_COLUMNS:
            if variant == GROUND_TRUTH:
                row.update({f"{col}_mean": math.nan, f"{col}_ci95": math.nan,
                            f"{col}_n": 0, f"{col}_excluded": 0})
                continue
            seconds = v_rates["seconds"].astype(float).to_numpy()
            mean, half, n = ratio_ci(v_rates[col].to_numpy() * seconds, seconds)
            row.update({f"{col}_mean": mean, f"{col}_ci95": half, f"{col}_n": n,
                        f"{col}_excluded": failed})
        v_res = res[res["variant"] == variant]
        v_corpus = corpus[(corpus["variant"] == variant) & (corpus["key"] == "corpus")]
        for metric in metric_ids:
            m_res = v_res[v_res["metric"] == metric]
            finite = m_res["value"].dropna().astype(float).to_numpy()
            mean, half, n = mean_ci(finite)
            excluded = int(len(m_res) - n) if len(m_res) else 0
            if metric in RATE_COLUMNS and variant != GROUND_TRUTH:
                continue  # the store-derived ratio of sums above is the headline
            stored = v_corpus[v_corpus["metric"] == metric]["value"].dropna()
            if data.metric_info(metric).get("needs_tokens") and len(stored):
                mean, half = float(stored.iloc[0]), math.nan  # token statistic: corpus value
            row.update({f"{metric}_mean": mean, f"{metric}_ci95": half, f"{metric}_n": n,
                        f"{metric}_excluded": excluded})
        rows.append(row)
    return pd.DataFrame(rows)


CORPUS_RATE_COLUMNS = ("utterances", "seconds", "corpus_tokens_per_s", "corpus_token_kbps",
                       "corpus_side_kbps", "corpus_total_kbps")


def corpus_table(data: RunData, dataset: str) -> pd.DataFrame:
    """Corpus-level values per variant: total tokens / total seconds (the VARSTok paper's
    average rate), bitrates likewise, and every metric's own corpus summaries (the ground
    truth's too, e.g. its corpus WER)."""
    rates = rate_values(data.utterances[data.utterances["dataset"] == dataset])
    corpus = data.corpus[data.corpus["dataset"] == dataset]
    rows: list[dict[str, Any]] = []
    for variant in variant_order(data):
        records = corpus[corpus["variant"] == variant]
        v = rates[rates["variant"] == variant]
        if variant == GROUND_TRUTH and not records.empty:  # e.g. the ground truth's corpus WER
            leading = dict.fromkeys(CORPUS_RATE_COLUMNS, math.nan)  # no tokens: rates stay empty
            rows.append({"variant": GROUND_TRUTH, **leading, **_corpus_values(records)})
            continue
        if v.empty:
            continue
        seconds = float(v["seconds"].sum())
        tokens_per_s = float(v["n_tokens"].sum()) / seconds
        token_kbps = float((v["n_tokens"] * v["bits_per_token"]).sum()) / seconds / 1000
        side_kbps = float(v["side_bits"].fillna(0.0).sum()) / seconds / 1000
        rates_of_variant = (len(v), seconds, tokens_per_s, token_kbps, side_kbps,
                            token_kbps + side_kbps)
        row: dict[str, Any] = {"variant": data.label(variant),
                               **dict(zip(CORPUS_RATE_COLUMNS, rates_of_variant, strict=True))}
        row.update(_corpus_values(records))
        rows.append(row)
    return pd.DataFrame(rows)


def _corpus_values(records: pd.DataFrame) -> dict[str, float]:
    """Stored corpus summaries as columns: ``metric`` for the main value, else ``metric.key``."""
    values: dict[str, float] = {}
    for rec in records.itertuples(index=False):
        name = rec.metric if rec.key == "corpus" else f"{rec.metric}.{rec.key}"
        values[name] = rec.value if rec.value is not None else math.nan
    return values


def arrow(info: dict[str, Any]) -> str:
    """' ↑' / ' ↓' for metrics with a better direction, '' for descriptive ones (mean_span)."""
    hib = info.get("higher_is_better", True)
    return "" if hib is None else (" ↑" if hib else " ↓")


def digits_for(metric: str, info: dict[str, Any]) -> int:
    """Decimals printed for a quantity: tokens/s with 1, everything else with 3 (small values
    get more, see ``format_value``)."""
    return 1 if metric == "tokens_per_s" else 3


def format_value(value: float | None, digits: int = 3, like: float | None = None) -> str:
    """``digits`` decimals, or three significant figures for values below 0.1 (a codebook
    usage of 0.0073 must not print as 0.007); ``like`` sizes the decimals (a CI by its mean)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    scale = abs(like if like is not None else value)
    if 0 < scale < 0.1:
        digits = max(digits, 2 - math.floor(math.log10(scale)))
    return f"{value:.{digits}f}"


def _cell(mean: float, half: float, excluded: int, digits: int = 3) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        text = "—"
    elif half is None or math.isnan(half):
        text = format_value(mean, digits)
    else:
        text = f"{format_value(mean, digits)} ± {format_value(half, digits, like=mean)}"
    if excluded:
        text += f" [{int(excluded)} excl.]"
    return text


def display_table(summary: pd.DataFrame, data: RunData, kind: str = "all") -> pd.DataFrame:
    """Human-readable ``summary_table``: one 'mean ± CI [k excl.]' cell per column.

    kind: "rates" (measured rates + token metrics, no ground-truth row), "quality" (every
    other metric) or "all".
    """
    token_metrics = [m["metric"] for m in data.ok_metrics
                     if data.metric_info(m["metric"]).get("needs_tokens")]
    other_metrics = [m["metric"] for m in data.ok_metrics if m["metric"] not in token_metrics]
    token_metrics = [m for m in token_metrics if m not in RATE_METRIC_TWINS]
    quantities = {"rates": [*RATE_COLUMNS, *token_metrics], "quality": other_metrics,
                  "all": [*RATE_COLUMNS, *token_metrics, *other_metrics]}[kind]
    if summary.empty:
        return pd.DataFrame()
    rows = summary
    if kind == "rates":
        rows = summary[summary["tokens_per_s_n"] + summary["tokens_per_s_excluded"] > 0]
    out = pd.DataFrame({"variant": rows["variant"]})
    for q in quantities:
        if rows[f"{q}_n"].sum() == 0 and rows[f"{q}_excluded"].sum() == 0:
            continue
        if q in RATE_LABELS:
            header = RATE_LABELS[q]
        else:
            info = data.metric_info(q)
            header = q + arrow(info)
        digits = 1 if q == "tokens_per_s" else 3
        out[header] = [
            _cell(r[f"{q}_mean"], r[f"{q}_ci95"], r[f"{q}_excluded"], digits)
            for _, r in rows.iterrows()
        ]
    return out.reset_index(drop=True)


def footnotes(data: RunData) -> list[str]:
    """Notes under every table: CI method, metric protocols, variant provenance, skips."""
    notes = [CI_METHOD + "; [k excl.] = utterances without a value (reasons in the store).",
             "Rates are measured from emitted tokens: token kbps = tokens/s × log2(vocab); "
             "side kbps = side-information bits (e.g. speaker embeddings) per second."]
    for m in data.ok_metrics:
        info = data.metric_info(m["metric"])
        parts = [p for p in (
            info.get("protocol"),
            f"model: {info['model']}" if info.get("model") else None,
            f"at {info['sample_rate']} Hz" if info.get("sample_rate") else None,
            f"unit: {info['unit']}" if info.get("unit") else None,
            f"NOTE: {info['notes']}" if info.get("notes") else None,
        ) if p]
        notes.append(f"{m['metric']}: " + ("; ".join(parts) if parts else "no protocol notes"))
    for v in data.variants:
        if v["status"] != "ok":  # listed once, with its reason, under "Skipped"
            continue
        bits = [f"family {v['family']}"]
        if v["checkpoint"]:
            bits.append(f"checkpoint {v['checkpoint']}")
        if v["trained"] == 0:
            bits.append(UNTRAINED.upper())
        if v["notes"]:
            bits.append(v["notes"])
        bits.append(f"{v['sample_rate']} Hz, vocab {v['vocab_size']}, "
                    f"frame rate {v['frame_rate']:g} Hz")
        notes.append(f"variant {data.label(v['variant'])}: " + "; ".join(bits))
    notes.extend(audio_decisions(data))
    notes.append(f"'{GROUND_TRUTH}' rows: reference-free metrics scored on the original audio.")
    return notes


def audio_decisions(data: RunData) -> list[str]:
    """What was done to the audio on load, per variant: rate changes and mixing to mono."""
    utts = data.utterances[(data.utterances["status"] == "ok")
                           & data.utterances["decisions"].notna()]
    lines: list[str] = []
    for variant in variant_order(data):
        rows = [json.loads(d) for d in utts[utts["variant"] == variant]["decisions"]]
        if not rows or variant == GROUND_TRUTH:
            continue
        rates = sorted({(r["source_sr"], r.get("tokenizer_sr", r["source_sr"])) for r in rows})
        changes = [f"{a} → {b} Hz" for a, b in rates if a != b]
        mixed = sum(bool(r.get("mixed_to_mono")) for r in rows)
        parts = [f"resampled {', '.join(changes)} (torchaudio sinc) for the tokenizer; metrics "
                 "see the original at its native rate" if changes else "no resampling needed"]
        if mixed:
            parts.append(f"{mixed} multi-channel file(s) mixed to mono")
        lines.append(f"audio for {data.label(variant)}: " + "; ".join(parts))
    return lines


def failure_table(data: RunData) -> pd.DataFrame:
    """Every failed utterance with its reason."""
    utts = data.utterances
    failed = utts[utts["status"] != "ok"]
    return failed[["dataset", "variant", "utterance", "reason"]].reset_index(drop=True)


def to_markdown(table: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    def esc(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    cols = [esc(c) for c in table.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(esc(v) for v in row) + " |")
    return "\n".join(lines)


_LATEX_SYMBOLS = {"↑": r"$\uparrow$", "↓": r"$\downarrow$", "±": r"$\pm$", "—": "--",
                  "−": "-", "×": r"$\times$"}


def to_latex(table: pd.DataFrame) -> str:
    """pandas LaTeX (escaped) with the display symbols spelled so that pdflatex accepts them."""
    text = table.to_latex(index=False, escape=True, na_rep="--")
    for symbol, command in _LATEX_SYMBOLS.items():
        text = text.replace(symbol, command)
    return text
