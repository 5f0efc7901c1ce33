"""Cell arithmetic of a reproduced table: aggregate utterance values the way the paper does,
a bootstrap 95 % CI over utterances, the delta to the printed number and its marker.

Aggregations (``bench.reproduce.paper.AGGREGATIONS``): ``mean`` and ``mean_excluding_nan`` are
the plain mean of the values present (``np.mean`` in utterance-id order, the same arithmetic as
``tokbench score``); ``corpus`` is a ratio of sums, sum(rate_i * seconds_i) / sum(seconds_i) =
total tokens / total seconds. The CI resamples utterances with replacement (percentile method,
fixed seed) and applies the same aggregation to each resample.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

BOOTSTRAP_SAMPLES = 2000
BOOTSTRAP_SEED = 0
CI_LEVEL = 0.95

WITHIN = "within tolerance"
OUTSIDE = "outside tolerance"
NOT_RUN = "not run"
DECLARED = "declared, not measured"
MEASURED = "measured (no published number)"
STATUSES = (WITHIN, OUTSIDE, NOT_RUN, DECLARED, MEASURED)


@dataclass
class Cell:
    """One table cell: what the paper printed, what was measured, and how they compare."""

    row: str
    column: str
    published: float | None
    published_text: str | None
    measured: float | None
    ci_low: float | None
    ci_high: float | None
    delta: float | None
    status: str
    reason: str | None = None
    n: int = 0
    excluded: int = 0
    tolerance: float | None = None
    decimals: int = 4

    def record(self) -> dict[str, Any]:
        """The ``--json`` record of this cell."""
        return asdict(self)


def aggregate(values: np.ndarray, seconds: np.ndarray, how: str) -> float:
    """One number from utterance values under the paper's aggregation."""
    if how == "corpus":
        return float(np.sum(values * seconds) / np.sum(seconds))
    return float(np.mean(values))


def bootstrap_ci(values: np.ndarray, seconds: np.ndarray, how: str,
                 samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED
                 ) -> tuple[float | None, float | None]:
    """Percentile 95 % CI of ``aggregate`` over utterances resampled with replacement; None
    for fewer than two utterances (no spread to resample)."""
    n = len(values)
    if n < 2:
        return None, None
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(samples, n))
    if how == "corpus":
        stats = (values[picks] * seconds[picks]).sum(axis=1) / seconds[picks].sum(axis=1)
    else:
        stats = values[picks].mean(axis=1)
    alpha = (1.0 - CI_LEVEL) / 2
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(low), float(high)


def compare(measured: float, published: float | None, tolerance: float) -> tuple[float | None,
                                                                                 str]:
    """(delta, marker) of a measured cell against the printed number."""
    if published is None:
        return None, MEASURED
    delta = measured - published
    # tolerance is inclusive; 1e-12 absorbs the binary representation of decimal numbers
    return delta, WITHIN if abs(delta) <= tolerance + 1e-12 else OUTSIDE


def format_number(value: float | None, decimals: int, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"
