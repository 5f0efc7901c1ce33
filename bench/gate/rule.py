"""The regression rule: a metric regresses when the candidate is worse, in the metric's
direction, by more than its tolerance AND the paired bootstrap CI of Δ lies entirely on the
worse side of 0. Default tolerance (no YAML entry) = max(floor, k·SE, k·SD_repeats), where SE is
the standard error of the baseline's corpus value from its own per-utterance spread and
SD_repeats the spread of the corpus value over repeated baseline runs (stochastic tokenizers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bench.compare.engine import compare, pair
from bench.compare.sides import Side, direction
from bench.gate.baseline import corpus_value
from bench.gate.config import GateConfig

PASS, REGRESSED, IMPROVED, NOT_GATED = "pass", "regressed", "improved", "not gated"


@dataclass
class MetricOutcome:
    variant: str
    metric: str
    status: str
    n: int
    baseline: float
    candidate: float
    delta: float
    ci_low: float
    ci_high: float
    tolerance: float | None
    tolerance_rule: str
    direction: str

    def message(self) -> str:
        tol = "–" if self.tolerance is None else f"{self.tolerance:.4g} ({self.tolerance_rule})"
        return (f"{self.variant} / {self.metric}: {self.status}: baseline {self.baseline:.5g} → "
                f"candidate {self.candidate:.5g}, Δ {self.delta:+.4g}, CI [{self.ci_low:.4g}, "
                f"{self.ci_high:.4g}], n {self.n}, tolerance {tol}, {self.direction} is better")


@dataclass
class VariantGate:
    variant: str
    outcomes: list[MetricOutcome] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lost: dict[str, dict[str, str]] = field(default_factory=dict)
    """metric -> utterance -> why a value the baseline had is missing in the candidate."""

    @property
    def regressed(self) -> list[MetricOutcome]:
        return [o for o in self.outcomes if o.status == REGRESSED]


def compatibility(base: Side, cand: Side) -> tuple[list[str], list[str]]:
    """(mismatches that make the comparison invalid, informational differences)."""
    mismatches: list[str] = []
    bd, cd = base.identity.get("dataset", {}), cand.identity.get("dataset", {})
    if bd.get("hash") is None or cd.get("hash") is None:
        missing = "baseline" if bd.get("hash") is None else "candidate"
        mismatches.append(f"dataset identity of the {missing} cannot be verified "
                          f"({_describe_dataset(bd if missing == 'baseline' else cd)} is not "
                          "readable here)")
    elif bd["hash"] != cd["hash"]:
        mismatches.append(f"dataset differs: baseline {_describe_dataset(bd)} vs candidate "
                          f"{_describe_dataset(cd)}")
    b_metrics, c_metrics = base.identity.get("metrics", {}), cand.identity.get("metrics", {})
    cand_ids = set(cand.metric_ids())
    for metric in base.metric_ids():
        if metric not in cand_ids:
            mismatches.append(f"metric {metric}: in the baseline but has no values in the "
                              "candidate")
            continue
        bm, cm = b_metrics.get(metric, {}), c_metrics.get(metric, {})
        for key in ("version", "settings"):
            if bm.get(key) != cm.get(key):
                mismatches.append(f"metric {metric}: {key} differs (baseline {bm.get(key)!r}, "
                                  f"candidate {cm.get(key)!r})")
    notes: list[str] = []
    bt, ct = base.identity.get("tokenizer", {}), cand.identity.get("tokenizer", {})
    for key in sorted(set(bt) | set(ct)):
        if key != "checkpoint" and bt.get(key) != ct.get(key):
            notes.append(f"tokenizer {key}: baseline {bt.get(key)!r}, candidate {ct.get(key)!r}")
    bp, cp = base.identity.get("packages", {}), cand.identity.get("packages", {})
    changed = [f"{k} {bp.get(k)}→{cp.get(k)}" for k in sorted(set(bp) & set(cp)) if bp[k] != cp[k]]
    if changed:
        notes.append("packages changed: " + ", ".join(changed))
    return mismatches, notes


def _describe_dataset(d: dict[str, Any]) -> str:
    where = d.get("name") or d.get("reference_dir")
    if d.get("manifest"):
        where = f"{where} (manifest {d['manifest']})"
    elif d.get("reference_dir"):
        where = f"references {d['reference_dir']}"
    h = d.get("hash")
    return f"{where}, {len(d.get('utterances', []))} utterances, hash {h[:12] if h else None}"


def tolerance_for(metric: str, base: Side, config: GateConfig, repeat_sd: float | None
                  ) -> tuple[float, str]:
    rule = config.rule(metric)
    value, se, _ = corpus_value(base, metric)
    if rule.abs is not None or rule.rel is not None:
        options = []
        if rule.abs is not None:
            options.append((float(rule.abs), f"abs {rule.abs:g}"))
        if rule.rel is not None:
            options.append((float(rule.rel) * abs(value), f"rel {rule.rel:g}·|baseline|"))
        return max(options)
    options = [(config.floor, f"floor {config.floor:g}")]
    if not math.isnan(se):
        options.append((config.k * se, f"{config.k:g}·SE"))
    if repeat_sd is not None and not math.isnan(repeat_sd):
        options.append((config.k * repeat_sd, f"{config.k:g}·SD over repeats"))
    return max(options)


def gate_variant(base: Side, cand: Side, config: GateConfig,
                 repeat_sd: dict[str, float] | None = None) -> VariantGate:
    """Apply the regression rule to every baseline metric of one variant."""
    result = VariantGate(variant=base.label)
    result.mismatches, result.notes = compatibility(base, cand)
    cand_ids = set(cand.metric_ids())
    metrics = [m for m in base.metric_ids() if m in cand_ids and not config.rule(m).skip]
    if not pair(base, cand).paired:
        result.mismatches.append(f"no utterance id in common between the baseline "
                                 f"({base.label}) and the candidate ({cand.label})")
        return result
    if not metrics:
        return result
    comparison = compare(base, cand, metrics, draws=config.draws, seed=config.seed,
                         level=config.level)
    for metric in metrics:
        lost = {u: (cand.reasons.get(metric, {}).get(u) or cand.dropped.get(u)
                    or "absent from the candidate")
                for u, v in base.values[metric].items()
                if v is not None and cand.values.get(metric, {}).get(u) is None}
        if lost:
            result.lost[metric] = lost
    for row in comparison.table.to_dict("records"):
        metric = row["metric"]
        chosen = config.rule(metric).direction
        sign = {"higher": 1, "lower": -1}.get(chosen) if chosen else \
            direction(metric, base.info.get(metric) or cand.info.get(metric) or {})
        outcome = MetricOutcome(
            variant=base.label, metric=metric, status=NOT_GATED, n=int(row["n"]),
            baseline=row["baseline"], candidate=row["candidate"], delta=row["delta"],
            ci_low=row["ci_low"], ci_high=row["ci_high"], tolerance=None,
            tolerance_rule="no better direction", direction="none")
        if sign is not None:
            tol, why = tolerance_for(metric, base, config, (repeat_sd or {}).get(metric))
            outcome.tolerance, outcome.tolerance_rule = tol, why
            outcome.direction = "higher" if sign > 0 else "lower"
            worse_by = -sign * row["delta"]
            ci_worse = -sign * row["ci_high"] > 0 if sign > 0 else -sign * row["ci_low"] > 0
            ci_better = sign * row["ci_low"] > 0 if sign > 0 else sign * row["ci_high"] > 0
            if worse_by > tol and ci_worse:
                outcome.status = REGRESSED
            elif -worse_by > tol and ci_better:
                outcome.status = IMPROVED
            else:
                outcome.status = PASS
        result.outcomes.append(outcome)
    return result
