"""Baseline files for the regression gate: per-utterance and corpus values of one or more variants
with everything needed to tell whether a later run is comparable (dataset identity, metric ids,
versions and settings, tokenizer/checkpoint fingerprint, package versions)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from bench.compare.inputs import BASELINE_KIND, is_json_file, load_side, run_variants
from bench.compare.sides import Side
from bench.provenance import package_versions
from bench.store import now

FORMAT = 1


def corpus_value(side: Side, metric: str) -> tuple[float, float, int]:
    """(corpus value, its standard error, n) of one metric: Σ v·w / Σ w over the utterances with
    a value (w = 1 for a plain mean). The SE is the ratio estimator's linearised SE,
    sqrt(n/(n−1) · Σ (w·(v − R))²) / Σ w, which is s/√n for a plain mean."""
    weights = side.weights.get(metric)
    pairs = [(v, 1.0 if weights is None else weights.get(u)) for u, v in
             side.values[metric].items() if v is not None]
    pairs = [(v, w) for v, w in pairs if w]
    n = len(pairs)
    if n == 0:
        return math.nan, math.nan, 0
    v = np.array([p[0] for p in pairs], dtype=np.float64)
    w = np.array([p[1] for p in pairs], dtype=np.float64)
    ratio = float((v * w).sum() / w.sum()) if weights is not None else float(np.mean(v))
    if n < 2:
        return ratio, math.nan, n
    se = math.sqrt(n / (n - 1) * float(((w * (v - ratio)) ** 2).sum())) / float(w.sum())
    return ratio, se, n


def build_baseline(run: str, variants: list[str] | None = None, store: str | None = None,
                   dataset: str | None = None, repeats: list[str] | None = None
                   ) -> dict[str, Any]:
    """A baseline document for ``variants`` of ``run`` (a run or a score file).

    ``repeats`` are further runs (or score files) of the same variants, e.g. a stochastic
    tokenizer run k times; the spread of their corpus values widens the default tolerance.
    """
    if is_json_file(run):
        names = [None] if not variants else list(variants)
    else:
        names = list(variants or run_variants(run, store)[0])
        if not names:
            raise ValueError(f"run {run} declares no variants")
    sides: dict[str, Any] = {}
    corpus: dict[str, Any] = {}
    for name in names:
        side = load_side(run, name, store, dataset)
        sides[side.label] = side.to_dict()
        repeat_values: dict[str, list[float]] = {}
        for other in repeats or []:
            again = load_side(other, side.label if name is not None else None, store, dataset)
            for metric in side.metric_ids():
                if metric in again.values:
                    repeat_values.setdefault(metric, []).append(corpus_value(again, metric)[0])
        corpus[side.label] = {}
        for metric in side.metric_ids():
            value, se, n = corpus_value(side, metric)
            entry = {"value": value, "se": se, "n": n,
                     "weighting": side.weighting.get(metric, "mean over utterances")}
            if repeat_values.get(metric):
                values = [value, *repeat_values[metric]]
                entry["repeats"] = len(values)
                entry["repeat_sd"] = float(np.std(values, ddof=1))
            corpus[side.label][metric] = entry
    return {"kind": BASELINE_KIND, "format": FORMAT, "created": now(), "source": run,
            "repeats": list(repeats or []), "saved_with": package_versions(),
            "corpus": corpus, "sides": sides}


def write_baseline(doc: dict[str, Any], path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, sort_keys=True, default=_json_default) + "\n",
                    "utf-8")
    return path


def read_baseline(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"baseline {path}: not readable JSON: {err}") from err
    if not isinstance(doc, dict) or doc.get("kind") != BASELINE_KIND:
        raise ValueError(f"{path} is not a tokbench baseline (make one with "
                         "`tokbench baseline save RUN --variant V --out FILE`)")
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path}: baseline format {doc.get('format')} is not {FORMAT}; "
                         "re-save it with this tokbench")
    return doc


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a baseline")
