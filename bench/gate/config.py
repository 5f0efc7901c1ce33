"""Gate settings from YAML: per-metric tolerances (absolute and/or relative) and test settings.

    k: 2.0             # default tolerance = max(floor, k · SE of the baseline corpus value,
    floor: 0.0         #                     k · SD across --repeats runs)
    draws: 10000
    seed: 0
    level: 0.95
    metrics:
      pesq_wb: {abs: 0.05}            # regress when worse by more than 0.05 PESQ
      stoi: {rel: 0.01}               # ... by more than 1 % of the baseline value
      mel_l1: {abs: 0.01, rel: 0.02}  # both given: the larger one
      tokens_per_s: {direction: lower}  # gate a descriptive metric in a chosen direction
      si_sdr: {skip: true}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TOP_KEYS = {"k", "floor", "draws", "seed", "level", "metrics"}
METRIC_KEYS = {"abs", "rel", "skip", "direction"}


@dataclass(frozen=True)
class MetricRule:
    abs: float | None = None
    rel: float | None = None
    skip: bool = False
    direction: str | None = None


@dataclass(frozen=True)
class GateConfig:
    k: float = 2.0
    floor: float = 0.0
    draws: int = 10_000
    seed: int = 0
    level: float = 0.95
    metrics: dict[str, MetricRule] = field(default_factory=dict)

    def rule(self, metric: str) -> MetricRule:
        return self.metrics.get(metric, MetricRule())


def load_gate_config(path: Path | str | None) -> GateConfig:
    """Read and validate a gate YAML (``yaml.safe_load``); every problem is listed at once."""
    if path is None:
        return GateConfig()
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ValueError(f"gate config {path}: {err}") from err
    if not isinstance(raw, dict):
        raise ValueError(f"gate config {path}: must be a mapping")
    problems = [f"unknown key {k!r} (known: {sorted(TOP_KEYS)})"
                for k in sorted(set(raw) - TOP_KEYS)]
    checks = {"k": lambda v: _number(v) and v >= 0, "floor": lambda v: _number(v) and v >= 0,
              "draws": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 100,
              "seed": lambda v: isinstance(v, int) and not isinstance(v, bool),
              "level": lambda v: _number(v) and 0.5 <= v < 1}
    for key, ok in checks.items():
        if key in raw and not ok(raw[key]):
            problems.append(f"{key}: invalid value {raw[key]!r}")
    metrics: dict[str, MetricRule] = {}
    entries = raw.get("metrics") or {}
    if not isinstance(entries, dict):
        problems.append("metrics: must be a mapping {metric id: {abs, rel, skip, direction}}")
        entries = {}
    for metric, spec in entries.items():
        if not isinstance(spec, dict):
            problems.append(f"metrics.{metric}: must be a mapping, got {spec!r}")
            continue
        unknown = sorted(set(spec) - METRIC_KEYS)
        if unknown:
            problems.append(f"metrics.{metric}: unknown keys {unknown} (known: "
                            f"{sorted(METRIC_KEYS)})")
        for key in ("abs", "rel"):
            if key in spec and not (_number(spec[key]) and spec[key] >= 0):
                problems.append(f"metrics.{metric}.{key}: must be a number >= 0")
        if "skip" in spec and not isinstance(spec["skip"], bool):
            problems.append(f"metrics.{metric}.skip: must be true or false")
        if "direction" in spec and spec["direction"] not in ("higher", "lower"):
            problems.append(f"metrics.{metric}.direction: must be higher or lower (the better "
                            "side)")
        metrics[metric] = MetricRule(**{k: spec[k] for k in METRIC_KEYS if k in spec})
    if problems:
        raise ValueError(f"gate config {path}: invalid:\n  - " + "\n  - ".join(problems))
    return GateConfig(**{k: raw[k] for k in TOP_KEYS - {"metrics"} if k in raw},
                      metrics=metrics)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
