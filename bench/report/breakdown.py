"""Report tables by concern: corpus-level values split into quality, rate, intelligibility and
speaker tables (counts as integers, no duplicated columns, no empty rows), a per-language
breakdown with n per cell, and a coverage note for metrics that skip some languages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.data.manifest import read_manifest
from bench.report.tables import (
    CORPUS_RATE_COLUMNS,
    RunData,
    format_value,
    mean_ci,
    variant_order,
)

CONCERNS = ("quality", "rate", "intelligibility", "speaker")
INTELLIGIBILITY = ("wer", "cer", "stoi", "estoi")
COUNT_WORDS = ("utterances", "excluded", "count", "used_codes", "n_")


def manifest_info(data: RunData, dataset: str) -> dict[str, tuple[str, str]]:
    """utterance -> (language, speaker) from the run's manifest, when it is still readable."""
    for d in data.datasets:
        if d["dataset"] == dataset:
            try:
                return {u.id: (u.language or "", u.speaker or "")
                        for u in read_manifest(Path(str(d["manifest"])))}
            except Exception:  # manifest moved or deleted: language columns stay empty
                return {}
    return {}


def concern_of(column: str, data: RunData) -> str:
    """Which table a corpus column belongs to (by its metric id)."""
    metric = column.split(".")[0]
    if metric in ("utterances", "seconds") or metric.startswith("corpus_"):
        base = metric.removeprefix("corpus_")
        if base in INTELLIGIBILITY:
            return "intelligibility"
        return "rate"
    if metric in INTELLIGIBILITY or metric.startswith(("wer", "cer")):
        return "intelligibility"
    if metric.startswith("spk_sim"):
        return "speaker"
    if data.metric_info(metric).get("needs_tokens"):
        return "rate"
    return "quality"


def _is_count(name: str, values: pd.Series) -> bool:
    finite = values.dropna().astype(float)
    return (any(w in name for w in COUNT_WORDS) and not finite.empty
            and bool(np.all(np.equal(np.mod(finite.to_numpy(), 1), 0))))


def _duplicates(table: pd.DataFrame) -> list[str]:
    """Metric corpus columns that repeat a store-derived rate column (the same numbers, or
    the same in kilo-units: ``tokens_per_s`` = ``corpus_tokens_per_s``, ``bits_per_s`` =
    1000 × ``corpus_token_kbps``); the store-derived column is kept."""
    drop: list[str] = []
    derived = [c for c in CORPUS_RATE_COLUMNS if c in table]
    for col in table.columns:
        if col == "variant" or col in CORPUS_RATE_COLUMNS:
            continue
        a = pd.to_numeric(table[col], errors="coerce").to_numpy(float)
        if not np.isfinite(a).any():
            continue
        for kept in derived:
            b = pd.to_numeric(table[kept], errors="coerce").to_numpy(float)
            both = np.isfinite(a) & np.isfinite(b)
            if not both.any() or (np.isfinite(a) & ~np.isfinite(b)).any():
                continue
            if any(np.allclose(a[both], b[both] * k, rtol=1e-6, atol=1e-12)
                   for k in (1.0, 1000.0)):
                drop.append(col)
                break
    return drop


def corpus_tables(corpus: pd.DataFrame, data: RunData) -> list[tuple[str, pd.DataFrame]]:
    """(title, display table) per concern from ``tables.corpus_table``'s wide frame."""
    if corpus.empty:
        return []
    wide = corpus.drop(columns=_duplicates(corpus))
    out = []
    for concern in CONCERNS:
        cols = [c for c in wide.columns if c != "variant" and concern_of(c, data) == concern]
        if not cols:
            continue
        part = wide[["variant", *cols]]
        part = part[part[cols].notna().any(axis=1)]  # no all-empty rows (e.g. ground truth)
        if part.empty:
            continue
        shown = pd.DataFrame({"variant": part["variant"]})
        for col in cols:
            if _is_count(col, part[col]):
                shown[col] = [("—" if pd.isna(v) else str(int(v))) for v in part[col]]
            else:
                shown[col] = [format_value(v) for v in part[col]]
        out.append((f"Corpus level, {concern} (totals over utterances, not means)",
                    shown.reset_index(drop=True)))
    return out


def language_table(data: RunData, dataset: str, languages: dict[str, str]
                   ) -> pd.DataFrame:
    """Mean and n per (variant, metric) and language: one row per variant × metric (quality,
    intelligibility and speaker metrics; token-rate metrics stay in the rate tables so that this
    one stays readable)."""
    res = data.results[data.results["dataset"] == dataset].copy()
    if res.empty or not languages:
        return pd.DataFrame()
    res["language"] = res["utterance"].map(languages).fillna("?")
    langs = sorted(set(res["language"]))
    if len(langs) < 2:
        return pd.DataFrame()
    rows: list[dict[str, Any]] = []
    for metric in [m["metric"] for m in data.ok_metrics  # rates: see the rate tables
                   if not data.metric_info(m["metric"]).get("needs_tokens")]:
        m_res = res[res["metric"] == metric]
        for variant in variant_order(data):
            v_res = m_res[m_res["variant"] == variant]
            if v_res.empty:
                continue
            row: dict[str, Any] = {"metric": metric, "variant": data.label(variant)}
            for lang in langs:
                vals = v_res[v_res["language"] == lang]["value"].dropna().astype(float)
                total = int((v_res["language"] == lang).sum())
                mean, _, n = mean_ci(vals.to_numpy())
                row[lang] = ("—" if n == 0 else format_value(mean)) + f" (n={n}/{total})"
            rows.append(row)
    return pd.DataFrame(rows)


def coverage_notes(data: RunData, dataset: str, languages: dict[str, str]) -> list[str]:
    """For each metric missing on whole languages: n per language and the stored reason."""
    res = data.results[data.results["dataset"] == dataset].copy()
    if res.empty:
        return []
    res["language"] = res["utterance"].map(languages).fillna("?") if languages else "?"
    notes = []
    for metric in [m["metric"] for m in data.ok_metrics]:
        m_res = res[res["metric"] == metric]
        if m_res.empty:
            continue
        scored = m_res.groupby("language")["value"].apply(lambda v: int(v.notna().sum()))
        empty = [lang for lang in scored.index if scored[lang] == 0]
        if not empty or len(empty) == len(scored):
            continue
        by_variant: dict[str, list[str]] = {}
        for variant, v_res in m_res.groupby("variant", sort=False):
            counts = v_res.groupby("language")["value"].agg(lambda v: (int(v.notna().sum()),
                                                                       int(v.size)))
            text = ", ".join(f"{lang} {n}/{total}" for lang, (n, total) in counts.items())
            by_variant.setdefault(text, []).append(data.label(str(variant)))
        counts_text = (next(iter(by_variant)) if len(by_variant) == 1 else
                       "; ".join(f"{', '.join(vs)}: {t}" for t, vs in by_variant.items()))
        reasons = m_res[m_res["language"].isin(empty)]["reason"].dropna()
        reason = reasons.mode().iloc[0] if not reasons.empty else "no reason stored"
        notes.append(f"{metric} is scored on part of the languages only (utterances with a "
                     f"value / scored, per language: {counts_text}); missing because: {reason}")
    return notes
