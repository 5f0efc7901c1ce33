"""Vectorised paired bootstrap of Δ = candidate − baseline for many metrics at once.

Every metric is a ratio of sums over utterances, Σ num / Σ den: a plain mean has num = value and
den = 1, a corpus rate (WER, tokens/s) has num = value × weight and den = weight. One draw
resamples *utterances* with replacement; the same draw serves every metric (so metrics stay
paired with each other), and a draw is a vector of multiplicities ``c``, so Σ c·num is a matrix
product. Utterances a metric could not score on either side carry num = den = 0 and drop out.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

DRAWS = 10_000
CHUNK = 500
"""Draws per matrix product: bounds memory at CHUNK × n multiplicities (float64)."""


@dataclass(frozen=True)
class RatioColumns:
    """Per-utterance numerators and denominators, shape (n_utterances, n_metrics), both sides."""

    base_num: np.ndarray
    base_den: np.ndarray
    cand_num: np.ndarray
    cand_den: np.ndarray

    def __post_init__(self) -> None:
        shapes = {a.shape for a in (self.base_num, self.base_den, self.cand_num, self.cand_den)}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2:
            raise ValueError(f"numerator/denominator arrays must share one 2-D shape, got {shapes}")

    @property
    def n(self) -> int:
        return int(self.base_num.shape[0])

    def point_delta(self) -> np.ndarray:
        """Δ of the ratios of sums on the utterances as given (no resampling)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.cand_num.sum(0) / self.cand_den.sum(0)
                    - self.base_num.sum(0) / self.base_den.sum(0))


def multiplicities(rng: np.random.Generator, n: int, draws: int) -> np.ndarray:
    """(draws, n) counts of how often each utterance is picked in n picks with replacement."""
    picks = rng.integers(0, n, size=(draws, n))
    picks += (np.arange(draws) * n)[:, None]
    return np.bincount(picks.ravel(), minlength=draws * n).reshape(draws, n).astype(np.float64)


def bootstrap_deltas(columns: RatioColumns, draws: int = DRAWS, seed: int = 0) -> np.ndarray:
    """(draws, n_metrics) bootstrap replicates of Δ; NaN where a draw has no usable utterance.

    Seeded and independent of the number of metrics: draw k resamples the same utterances for
    every metric. The chunk size is fixed, so the replicates do not depend on memory settings.
    """
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    n = columns.n
    if n == 0:
        raise ValueError("no paired utterances to resample")
    stacked = np.concatenate([columns.base_num, columns.base_den, columns.cand_num,
                              columns.cand_den], axis=1).astype(np.float64)
    m = columns.base_num.shape[1]
    rng = np.random.default_rng(seed)
    out = np.empty((draws, m), dtype=np.float64)
    for start in range(0, draws, CHUNK):
        size = min(CHUNK, draws - start)
        sums = multiplicities(rng, n, size) @ stacked
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:start + size] = (sums[:, 2 * m:3 * m] / sums[:, 3 * m:]
                                       - sums[:, :m] / sums[:, m:2 * m])
    return out


def percentile_ci(replicates: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column, ignoring draws where a ratio was undefined."""
    tail = 100 * (1 - level) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanpercentile(replicates, tail, axis=0) if replicates.size else np.array([])
        high = np.nanpercentile(replicates, 100 - tail, axis=0) if replicates.size else low
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
