"""Score a folder of reconstructions against a folder of references (``tokbench score``).

Files are matched by their path relative to each folder, without the extension; every metric
is loaded through the registry, so third-party and neural metrics work here too. A value that
cannot be computed stays ``None`` with its reason, and is left out of the mean.
"""

from __future__ import annotations

import inspect
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from bench.audio import AudioError, load_audio
from bench.execution.length import DEFAULT_LENGTH_TOLERANCE, mark_length
from bench.execution.metrics import LoadedMetric, MetricPool
from bench.metrics.base import Metric, MetricInput, MetricValue
from bench.metrics.signal_common import LENGTH_POLICIES
from bench.registry import load_metrics

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".opus", ".aiff", ".aif")
CHUNK = 16
"""Utterances loaded and scored at a time, so large folders need little memory."""


def audio_files(folder: Path) -> dict[str, Path]:
    """{relative path without extension: file} for every audio file under ``folder``."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES:
            key = path.relative_to(folder).with_suffix("").as_posix()
            if key in found:
                raise ValueError(f"{found[key]} and {path} have the same name in {folder}")
            found[key] = path
    return found


def score_directories(
    ref_dir: Path, hyp_dir: Path, metric_ids: list[str], length_policy: str = "truncate",
    length_tolerance: float = DEFAULT_LENGTH_TOLERANCE,
) -> dict:
    """Score every file of ``hyp_dir`` that has a namesake in ``ref_dir``.

    Returns ``{"metrics": {id: {"mean", "n", "excluded", "per_utterance", "reasons"}},
    "unmatched": {"reference_only", "hypothesis_only"}, "skipped_metrics": {id: reason},
    "length_ratio": {utt: hypothesis / reference seconds}, ...}``. Pairs whose length ratio is
    outside ``length_tolerance`` are left out of reference-based metrics with the reason
    (truncate policy). Crash-prone native metrics (pesq) run in a worker process, so a segfault
    on one file is that file's recorded failure, never the loss of every other file's numbers.
    """
    if length_policy not in LENGTH_POLICIES:
        raise ValueError(f"unknown length policy {length_policy!r}; use one of {LENGTH_POLICIES}")
    if not length_tolerance >= 0:
        raise ValueError(f"length tolerance must be >= 0, got {length_tolerance!r}")
    if not metric_ids:
        raise ValueError("no metric ids given")
    references, hypotheses = audio_files(Path(ref_dir)), audio_files(Path(hyp_dir))
    matched = sorted(set(references) & set(hypotheses))
    metrics, skipped = load_metrics(list(metric_ids))
    metrics = [_with_length_policy(m, length_policy) for m in metrics]
    contained = [LoadedMetric(m, {}) for m in metrics if getattr(m, "native_crash_risk", False)]
    notes: list[str] = []
    pool = MetricPool(contained, 1, notes.append) if contained else None

    values: dict[str, dict[str, MetricValue]] = {m.info.id: {} for m in metrics}
    ratios: dict[str, float | None] = {}
    try:
        for start in range(0, len(matched), CHUNK):
            items, failed = _load_chunk(matched[start : start + CHUNK], references, hypotheses)
            for item in items:
                ratios[item.utt_id] = mark_length(item, length_tolerance, length_policy)
            for metric in metrics:
                for utt, reason in failed.items():
                    values[metric.info.id][utt] = MetricValue.missing(reason)
                if pool is not None and getattr(metric, "native_crash_risk", False):
                    scored = [MetricValue(*v) for v in
                              pool.score(items, (metric.info.id,)).get(metric.info.id, [])]
                else:
                    scored = _compute(metric, items)
                for item, value in zip(items, scored, strict=True):
                    values[metric.info.id][item.utt_id] = value
    finally:
        if pool is not None:
            pool.shutdown()
    for metric_id, reason in skipped.items():
        values[metric_id] = {utt: MetricValue.missing(f"metric unavailable: {reason}")
                             for utt in matched}

    return {
        "metrics": {metric_id: _summary(per_utt, matched) for metric_id, per_utt in values.items()},
        "unmatched": {
            "reference_only": sorted(set(references) - set(hypotheses)),
            "hypothesis_only": sorted(set(hypotheses) - set(references)),
        },
        "skipped_metrics": skipped,
        "reference_dir": str(ref_dir),
        "hypothesis_dir": str(hyp_dir),
        "length_policy": length_policy,
        "length_tolerance": length_tolerance,
        "length_ratio": ratios,
        "length_mismatches": sum(1 for r in ratios.values()
                                 if r is not None and abs(r - 1.0) > length_tolerance),
        "notes": notes,
    }


def grouped_reasons(result: dict) -> dict[str, list[tuple[str, int]]]:
    """{metric: [(reason, count), ...]} of the values left out, most frequent first."""
    out: dict[str, list[tuple[str, int]]] = {}
    for metric_id, stats in (result.get("metrics") or {}).items():
        counts = Counter((stats.get("reasons") or {}).values())
        if counts:
            out[metric_id] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return out


def reason_lines(result: dict) -> list[str]:
    """Terminal lines: per metric, each distinct reason a value is missing, with its count."""
    lines = []
    skipped = result.get("skipped_metrics") or {}
    for metric_id, reasons in grouped_reasons(result).items():
        if metric_id in skipped:  # already printed once as a skipped metric
            continue
        lines.append(f"{metric_id}: {sum(n for _, n in reasons)} value(s) left out")
        lines.extend(f"  {n} × {reason}" for reason, n in reasons)
    mismatched = result.get("length_mismatches") or 0
    if mismatched:
        lines.append(f"{mismatched} pair(s) outside the length tolerance "
                     f"±{float(result.get('length_tolerance', 0)):.0%}")
    return lines


def _with_length_policy(metric: Metric, length_policy: str) -> Metric:
    """Rebuild ``metric`` with ``length_policy`` when its constructor takes one."""
    if "length_policy" in inspect.signature(type(metric)).parameters:
        return type(metric)(length_policy=length_policy)
    return metric


def _load_chunk(
    names: list[str], references: dict[str, Path], hypotheses: dict[str, Path]
) -> tuple[list[MetricInput], dict[str, str]]:
    items: list[MetricInput] = []
    failed: dict[str, str] = {}
    for name in names:
        try:
            reference, ref_dec = load_audio(references[name])
            hypothesis, hyp_dec = load_audio(hypotheses[name])
        except AudioError as err:
            failed[name] = str(err)
            continue
        items.append(MetricInput(
            utt_id=name,
            hypothesis=hypothesis,
            hypothesis_sr=hyp_dec.source_sr,
            reference=reference,
            reference_sr=ref_dec.source_sr,
            extra={"reference_decisions": ref_dec, "hypothesis_decisions": hyp_dec},
        ))
    return items, failed


def _compute(metric: Metric, items: list[MetricInput]) -> list[MetricValue]:
    """Batched compute; if the batch raises, retry item by item so one file cannot sink all."""
    if not items:
        return []
    try:
        return list(metric.compute(items))
    except Exception:
        out = []
        for item in items:
            try:
                out.extend(metric.compute([item]))
            except Exception as err:
                out.append(MetricValue.missing(f"metric failed: {type(err).__name__}: {err}"))
        return out


def _summary(per_utt: dict[str, MetricValue], order: list[str]) -> dict[str, Any]:
    present = [per_utt[u].value for u in order if u in per_utt and per_utt[u].ok]
    reasons = {u: per_utt[u].reason for u in order if u in per_utt and not per_utt[u].ok}
    return {
        "mean": float(np.mean(present)) if present else None,
        "n": len(present),
        "excluded": len(reasons),
        "per_utterance": {u: per_utt[u].value for u in order if u in per_utt},
        "reasons": reasons,
    }
