"""Cell arithmetic: aggregation, bootstrap CI, delta and tolerance marker."""

from __future__ import annotations

import numpy as np
import pytest

from bench.reproduce.cells import (
    MEASURED,
    OUTSIDE,
    WITHIN,
    aggregate,
    bootstrap_ci,
    compare,
    format_number,
)


def test_corpus_aggregation_is_total_over_total() -> None:
    rates = np.array([10.0, 40.0])  # tokens/s of a 1 s and a 3 s utterance: 10 + 120 tokens
    seconds = np.array([1.0, 3.0])
    assert aggregate(rates, seconds, "corpus") == pytest.approx(130 / 4)
    assert aggregate(rates, seconds, "mean") == 25.0


def test_mean_is_numpys_mean_bit_for_bit() -> None:
    values = np.array([0.1, 0.2, 0.3, 0.7, 0.11])
    assert aggregate(values, np.ones(5), "mean") == float(np.mean(values.tolist()))


def test_bootstrap_ci_brackets_the_estimate_and_is_reproducible() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(2.0, 0.5, 50)
    low, high = bootstrap_ci(values, np.ones(50), "mean")
    assert low < values.mean() < high
    assert (low, high) == bootstrap_ci(values, np.ones(50), "mean")
    # standard error of the mean ~ 0.5/sqrt(50) = 0.07: a 95 % CI about +-0.14 wide
    assert 0.2 < high - low < 0.4


def test_bootstrap_needs_two_utterances_and_is_zero_width_for_constants() -> None:
    assert bootstrap_ci(np.array([1.0]), np.ones(1), "mean") == (None, None)
    assert bootstrap_ci(np.full(5, 3.0), np.ones(5), "corpus") == (3.0, 3.0)


def test_delta_and_tolerance_marker() -> None:
    assert compare(2.50, 2.4543, 0.05) == (pytest.approx(0.0457), WITHIN)
    assert compare(2.6535, 2.4543, 0.05)[1] == OUTSIDE
    assert compare(0.9188 + 0.005, 0.9188, 0.005)[1] == WITHIN  # the boundary is inclusive
    assert compare(1.0, None, 0.1) == (None, MEASURED)


def test_numbers_print_at_the_papers_precision() -> None:
    assert format_number(0.92569, 4) == "0.9257"
    assert format_number(0.19916, 4, signed=True) == "+0.1992"
    assert format_number(None, 2) == "–"
