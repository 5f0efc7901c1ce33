"""Run a paper table: build the manifest under ``--data``, turn rows into suite variants (a model
when its weights are present, else the published reconstructions as a ``precomputed`` folder),
run them with the ordinary runner, and read every cell back from the store.

Nothing is computed here that the runner and the metrics do not compute: cells are aggregates of
the stored utterance values (``bench.reproduce.cells``), so a cell equals ``tokbench score`` on
the same pairs.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.data import builders
from bench.data.manifest import Utterance, read_manifest
from bench.paths import register_dataset_root
from bench.registry import load_metric, metric_aliases
from bench.reproduce.cells import (
    DECLARED,
    NOT_RUN,
    Cell,
    aggregate,
    bootstrap_ci,
    compare,
)
from bench.reproduce.paper import Column, PaperTable, Row
from bench.runner import run_suite
from bench.store import Store
from bench.suite import GROUND_TRUTH, BatchSettings, DatasetSpec, MetricSpec, Suite, VariantSpec
from bench.weights import WEIGHTS_DIR_ENV


@dataclass
class RowPlan:
    """How a row is produced: a suite variant (or the ground truth), or why it cannot run."""

    row: Row
    variant: VariantSpec | None = None
    source: str = ""
    reason: str | None = None


@dataclass
class Reproduction:
    """Everything the table writers need."""

    paper: PaperTable
    cells: list[Cell]
    plans: list[RowPlan]
    manifest: Path | None
    n_utterances: int
    subset: bool
    data_reason: str | None = None
    run_id: int | None = None
    store: Path | None = None
    notes: list[str] = field(default_factory=list)

    def cell(self, row: str, column: str) -> Cell:
        for cell in self.cells:
            if cell.row == row and cell.column == column:
                return cell
        raise KeyError((row, column))

    def subset_note(self) -> str | None:
        if not self.subset:
            return None
        full = self.paper.dataset.utterances
        of = f" of {full}" if full else ""
        return (f"subset: {self.n_utterances}{of} utterances of {self.paper.dataset.corpus} "
                f"{self.paper.dataset.split}; a subset mean is not the paper's number")


def reproduce(paper: PaperTable, out_dir: Path, data_root: Path | None = None,
              weights_dir: Path | None = None, limit: int | None = None, workers: int = 0,
              source: str = "auto", log: Callable[[str], None] = print,
              notes: list[str] | None = None) -> Reproduction:
    """Build, run and compare ``paper``; everything written under ``out_dir``. ``notes`` (e.g.
    protocol overrides) are printed with the table."""
    if source not in ("auto", "model", "precomputed"):
        raise ValueError(f"source must be auto, model or precomputed, got {source!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest, data_reason = build_manifest(paper, data_root, out_dir)
    utterances = read_manifest(manifest) if manifest else []
    if limit is not None:
        utterances = utterances[:limit]
    plans = [plan_row(row, data_root, weights_dir, source) for row in paper.rows]
    full = paper.dataset.utterances
    subset = bool(utterances) and (limit is not None or (full is not None
                                                         and len(utterances) < full))
    result = Reproduction(paper, [], plans, manifest, len(utterances), subset, data_reason,
                          notes=list(notes or []))
    runnable = [p for p in plans if p.variant is not None]
    if manifest is not None and (runnable or any(p.row.ground_truth for p in plans)):
        suite = _suite(paper, manifest, [p.variant for p in runnable if p.variant], out_dir,
                       limit, workers)
        result.store = Path(suite.store)
        with _weights_env(weights_dir):
            summary = run_suite(suite, progress=False, log=log)
        result.run_id = summary.run_id
    result.cells = _read_cells(result, {u.id: u for u in utterances})
    for plan in plans:
        if plan.variant is not None and plan.variant.family == "precomputed":
            unused = _unused(plan.variant, {u.id for u in utterances}, utterances)
            if unused:
                more = f", ... (+{len(unused) - 3})" if len(unused) > 3 else ""
                result.notes.append(f"{plan.row.label}: {len(unused)} file(s) in "
                                    f"{plan.variant.settings['folder']} match no utterance "
                                    f"of the manifest (ignored): {', '.join(unused[:3])}{more}")
    return result


# -- dataset --------------------------------------------------------------------------------
def build_manifest(paper: PaperTable, data_root: Path | None, out_dir: Path
                   ) -> tuple[Path | None, str | None]:
    """The first builder that works under ``data_root``, or (None, what is needed)."""
    wanted = f"{paper.dataset.corpus} {paper.dataset.split}"
    if data_root is None:
        return None, f"needs {wanted}: pass --data ROOT"
    tried: list[str] = []
    register_dataset_root(data_root)  # the manifest is written under --out, the audio stays here
    for index, builder in enumerate(paper.dataset.builders):
        out = out_dir / f"manifest-{index}-{builder['kind']}.jsonl"
        try:
            if builder["kind"] == "libritts":
                return builders.build_libritts(data_root, builder["subset"], out), None
            if builder["kind"] == "librispeech":
                return builders.build_librispeech(data_root, builder["subset"], out), None
            if builder["kind"] == "folder":
                return builders.build_folder(data_root / builder["audio_dir"], out), None
            path = data_root / builder["path"]
            read_manifest(path)
            return path, None
        except (OSError, ValueError) as err:
            tried.append(f"{builder['kind']}: {err}")
    return None, f"needs {wanted} under {data_root} (tried: {'; '.join(tried)})"


# -- rows -----------------------------------------------------------------------------------
def plan_row(row: Row, data_root: Path | None, weights_dir: Path | None, source: str) -> RowPlan:
    """Pick the model (weights present) or the precomputed folder for a row, or say why not."""
    if row.ground_truth:
        return RowPlan(row, source="ground truth")
    reasons: list[str] = []
    model = _model_variant(row, weights_dir, reasons) if source != "precomputed" else None
    if source == "model" and row.variant is None:
        reasons.append("the row declares no model variant (--source model)")
    if model is not None:
        return RowPlan(row, model, "model")
    folder = _precomputed_variant(row, data_root, reasons) if source != "model" else None
    if folder is not None:
        return RowPlan(row, folder, "precomputed")
    return RowPlan(row, reason="; ".join(reasons) or "nothing to run for this row")


def slug(label: str) -> str:
    """A safe variant name from a row label ("VARSTok τ=0.8" -> "varstok-tau-0-8")."""
    text = label.replace("τ", "tau").replace("=", "-")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "row"


def _model_variant(row: Row, weights_dir: Path | None, reasons: list[str]) -> VariantSpec | None:
    decl = row.variant
    if decl is None:
        if row.notes:
            reasons.append(row.notes)
        return None
    weights = decl.get("weights") or {}
    if not weights:
        reasons.append(f"variant {decl['family']} declares no weights (the shipped demo model "
                       "is never used for a paper row)")
        return None
    if weights_dir is None:
        reasons.append(f"needs weights: {', '.join(weights.values())} (pass --weights DIR)")
        return None
    missing = [rel for rel in weights.values() if not (weights_dir / rel).exists()]
    if missing:
        reasons.append(f"needs weights: {', '.join(str(weights_dir / m) for m in missing)}")
        return None
    settings = {**decl.get("settings", {}),
                **{key: str(weights_dir / rel) for key, rel in weights.items()}}
    return VariantSpec(name=slug(row.label), family=decl["family"], settings=settings)


def _precomputed_variant(row: Row, data_root: Path | None, reasons: list[str]
                         ) -> VariantSpec | None:
    decl = row.precomputed
    if decl is None:
        return None
    if data_root is None:
        reasons.append(f"needs the precomputed folder {decl['folder']} under --data ROOT")
        return None
    folder = data_root / decl["folder"]
    if not folder.is_dir():
        reasons.append(f"needs the precomputed folder {folder}")
        return None
    settings = {"folder": str(folder)}
    settings.update({k: decl[k] for k in ("token_rate", "bits_per_token") if k in decl})
    return VariantSpec(name=slug(row.label), family="precomputed", settings=settings)


def _unused(variant: VariantSpec, ids: set[str], utterances: list[Utterance]) -> list[str]:
    from tokenizers_impl.precomputed.adapter import build

    tok = build(**variant.settings)
    for utt in utterances:
        with contextlib.suppress(ValueError):
            tok._used.add(tok.find(utt))
    return tok.unused_files()


# -- suite ----------------------------------------------------------------------------------
def metric_settings(column: Column) -> dict[str, Any]:
    """The column's metric settings, plus ``length_policy: truncate`` for "shorter" truncation
    when the metric takes a length policy (as ``tokbench score`` does)."""
    settings = dict(column.settings)
    if column.truncation == "shorter":
        try:
            metric = load_metric(column.metric)  # cheap: models load on first compute
        except (ImportError, KeyError, TypeError):
            return settings  # unknown or unloadable: the runner records why
        if "length_policy" in inspect.signature(type(metric)).parameters:
            settings.setdefault("length_policy", "truncate")
    return settings


def _suite(paper: PaperTable, manifest: Path, variants: list[VariantSpec], out_dir: Path,
           limit: int | None, workers: int) -> Suite:
    metrics: dict[str, dict[str, Any]] = {}
    for column in paper.columns:
        settings = metric_settings(column)
        if metrics.setdefault(column.metric, settings) != settings:
            raise ValueError(f"columns use metric {column.metric!r} with different settings "
                             f"({metrics[column.metric]} vs {settings}); one setting per metric")
    return Suite(
        name=f"reproduce-{paper.name}",
        datasets=(DatasetSpec(name=slug(f"{paper.dataset.corpus}-{paper.dataset.split}"),
                              manifest=str(manifest.resolve()), limit=limit),),
        variants=tuple(variants),
        metrics=tuple(MetricSpec(id=k, settings=v) for k, v in metrics.items()),
        batch=BatchSettings(workers=workers),
        store=str(out_dir / "reproduce.sqlite"),
        report_dir=str(out_dir / "report"),
        cache_dir=str(out_dir / "cache"),
        base_dir=str(out_dir))


@contextlib.contextmanager
def _weights_env(weights_dir: Path | None) -> Iterator[None]:
    """``--weights DIR`` is the weights root for metrics too (DIR/utmos/, ...) during the run."""
    old = os.environ.get(WEIGHTS_DIR_ENV)
    if weights_dir is not None:
        os.environ[WEIGHTS_DIR_ENV] = str(weights_dir)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(WEIGHTS_DIR_ENV, None)
        else:
            os.environ[WEIGHTS_DIR_ENV] = old


# -- reading cells back ---------------------------------------------------------------------
def _read_cells(result: Reproduction, manifest: dict[str, Utterance]) -> list[Cell]:
    paper = result.paper
    store = Store(result.store) if result.store and result.run_id else None
    try:
        meta = _run_meta(store, result.run_id) if store else {"metrics": {}, "variants": {}}
        return [_cell(result, plan, column, store, meta, manifest)
                for plan in result.plans for column in paper.columns]
    finally:
        if store is not None:
            store.close()


def _run_meta(store: Store, run_id: int | None) -> dict[str, dict[str, dict[str, Any]]]:
    return {"metrics": {m["metric"]: m for m in store.table("metrics", run_id)},
            "variants": {v["variant"]: v for v in store.table("variants", run_id)},
            "datasets": {d["dataset"]: d for d in store.table("datasets", run_id)}}


def _cell(result: Reproduction, plan: RowPlan, column: Column, store: Store | None,
          meta: dict[str, dict[str, dict[str, Any]]], manifest: dict[str, Utterance]) -> Cell:
    published = plan.row.published.get(column.key)
    base = {"row": plan.row.label, "column": column.key,
            "published": None if published is None else published.value,
            "published_text": None if published is None else published.text,
            "tolerance": column.tolerance,
            "decimals": published.decimals if published else _default_decimals(column)}

    def not_run(reason: str) -> Cell:
        return Cell(**base, measured=None, ci_low=None, ci_high=None, delta=None,
                    status=NOT_RUN, reason=reason)

    if result.data_reason:
        return not_run(result.data_reason)
    if plan.reason:
        return not_run(plan.reason)
    variant = GROUND_TRUTH if plan.row.ground_truth else plan.variant.name  # type: ignore[union-attr]
    if plan.source == "precomputed" and column.declared:
        return _declared_cell(base, plan, column)
    metric_id = metric_aliases().get(column.metric, column.metric)
    metric_row = meta["metrics"].get(metric_id) or meta["metrics"].get(column.metric)
    if store is None or metric_row is None:
        return not_run(f"metric {column.metric} was not run")
    if metric_row["status"] != "ok":
        return not_run(short_reason(metric_row["reason"]))
    info = json.loads(metric_row["info_json"] or "{}") if "info_json" in metric_row else {}
    if plan.row.ground_truth and (info.get("needs_reference") or info.get("needs_tokens")):
        return not_run("not defined for the ground truth (compares against it)")
    if variant != GROUND_TRUTH:
        vrow = meta["variants"].get(variant)
        if vrow is None or vrow["status"] != "ok":
            return not_run(short_reason(vrow["reason"] if vrow else "variant not run"))
    dataset = next(iter(meta["datasets"]))
    stored = store.metric_values(result.run_id, dataset, variant, metric_id)  # type: ignore[arg-type]
    rows = {r["utterance"]: r for r in store.table("utterances", result.run_id)  # type: ignore[arg-type]
            if r["variant"] == variant and r["dataset"] == dataset}
    ids = sorted(u for u in manifest if column.language is None
                 or manifest[u].language == column.language)
    values, seconds, missing = [], [], {}
    for utt in ids:
        value, why = stored.get(utt, (None, (rows.get(utt) or {}).get("reason") or "not stored"))
        if value is None:
            missing[utt] = why
            continue
        values.append(value)
        seconds.append(float(rows[utt]["seconds"]))
    if not values:
        first = next(iter(missing.values()), "no utterance")
        return not_run(f"no value for any of {len(ids)} utterances: {short_reason(first)}")
    arr, secs = np.asarray(values, dtype=np.float64), np.asarray(seconds, dtype=np.float64)
    measured = aggregate(arr, secs, column.aggregation) * column.scale
    low, high = bootstrap_ci(arr, secs, column.aggregation)
    low = None if low is None else low * column.scale
    high = None if high is None else high * column.scale
    delta, status = compare(measured, base["published"], column.tolerance)
    reason = _exclusion_note(missing, column) if missing else None
    return Cell(**base, measured=measured, ci_low=low, ci_high=high, delta=delta, status=status,
                reason=reason, n=len(values), excluded=len(missing))


def _declared_cell(base: dict[str, Any], plan: RowPlan, column: Column) -> Cell:
    settings = plan.variant.settings  # type: ignore[union-attr]
    rate = settings.get("token_rate")
    bits = settings.get("bits_per_token")
    if rate is None or (column.declared == "kbps" and bits is None):
        return Cell(**base, measured=None, ci_low=None, ci_high=None, delta=None,
                    status=NOT_RUN, reason="precomputed audio has no tokens and the row declares "
                    "no nominal rate")
    value = float(rate) if column.declared == "token_rate" else float(rate) * float(bits) / 1000
    how = (f"declared {rate} tok/s" if column.declared == "token_rate"
           else f"declared {rate} tok/s x {bits} bits/token")
    return Cell(**base, measured=value, ci_low=None, ci_high=None, delta=None, status=DECLARED,
                reason=f"{how}; precomputed audio carries no tokens")


def _exclusion_note(missing: dict[str, str], column: Column) -> str:
    reasons = sorted(set(missing.values()))
    rule = f" ({column.nan_rule})" if column.nan_rule and column.aggregation == \
        "mean_excluding_nan" else ""
    return (f"{len(missing)} utterance(s) excluded{rule}: " +
            "; ".join(short_reason(r) for r in reasons[:3]))


def short_reason(reason: str | None) -> str:
    """One line; a weights message becomes "needs weights: <files> (...)"."""
    text = str(reason or "unknown")
    match = re.search(r"provide the file (.+?)\n", text + "\n")
    if match:
        env = re.search(r"set (TOKBENCH_[A-Z_]+)=", text)
        sub = re.search(r"\$TOKBENCH_WEIGHTS_DIR/([^/\s]+)/", text)
        where = [f"set {env.group(1)}" if env else "",
                 f"or put it under --weights DIR/{sub.group(1)}/" if sub else ""]
        return f"needs weights: {match.group(1)} ({' '.join(w for w in where if w)})"
    return " / ".join(part.strip() for part in text.splitlines() if part.strip())


def _default_decimals(column: Column) -> int:
    return 2 if column.declared or column.metric.endswith("per_s") else 4
