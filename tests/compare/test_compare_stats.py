"""Known-answer tests of the paired statistics: CI coverage under Δ = 0, power at Δ = 0.5σ,
ratio-of-sums resampling against a slow reference loop, Holm, Wilcoxon and pairing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.compare import BETTER, NO_DIFF, WORSE, Side, compare
from bench.compare.bootstrap import RatioColumns, bootstrap_deltas, percentile_ci
from bench.compare.stats import holm, wilcoxon_p


def side(label: str, values: dict[str, np.ndarray], weights: dict[str, np.ndarray] | None = None,
         hib: dict[str, bool] | None = None) -> Side:
    """A Side of synthetic per-utterance values u000, u001, ..."""
    out = Side(label=label, values={}, reasons={})
    for metric, arr in values.items():
        out.values[metric] = {f"u{i:03d}": float(v) for i, v in enumerate(arr)}
        out.info[metric] = {"id": metric, "higher_is_better": (hib or {}).get(metric, True)}
        out.weighting[metric] = "mean over utterances"
    for metric, arr in (weights or {}).items():
        out.weights[metric] = {f"u{i:03d}": float(w) for i, w in enumerate(arr)}
        out.weighting[metric] = "ratio of sums"
    return out


def test_ci_covers_zero_at_nominal_rate_when_delta_is_zero() -> None:
    """Δ = 0: the 95 % CI covers 0 in 90-99 % of 200 seeded repetitions."""
    rng = np.random.default_rng(12345)
    covered = 0
    for rep in range(200):
        base = rng.normal(3.0, 1.0, 60)
        cand = base + rng.normal(0.0, 0.5, 60)  # paired noise, true Δ = 0
        cols = RatioColumns(base[:, None], np.ones((60, 1)), cand[:, None], np.ones((60, 1)))
        low, high = percentile_ci(bootstrap_deltas(cols, draws=2000, seed=rep))
        covered += bool(low[0] <= 0.0 <= high[0])
    assert 180 <= covered <= 198, covered


def test_half_sigma_difference_is_detected_at_n200() -> None:
    """A true Δ of 0.5σ (σ of the paired differences) at n = 200 is called, every time."""
    rng = np.random.default_rng(7)
    verdicts = []
    for rep in range(10):
        base = rng.normal(2.0, 1.0, 200)
        cand = base + rng.normal(0.5, 1.0, 200)
        result = compare(side("a", {"q": base}), side("b", {"q": cand}), draws=2000, seed=rep)
        row = result.table.iloc[0]
        assert row["ci_low"] > 0
        verdicts.append(row["verdict"])
    assert verdicts == [BETTER] * 10
    lower = compare(side("a", {"q": base}, hib={"q": False}),
                    side("b", {"q": cand}, hib={"q": False}), draws=2000)
    assert lower.table.iloc[0]["verdict"] == WORSE


def test_ratio_of_sums_bootstrap_matches_slow_reference_loop() -> None:
    rng = np.random.default_rng(3)
    n, m, draws = 7, 2, 300
    bn, bd = rng.uniform(1, 5, (n, m)), rng.uniform(1, 3, (n, m))
    cn, cd = rng.uniform(1, 5, (n, m)), rng.uniform(1, 3, (n, m))
    bn[2, 1] = bd[2, 1] = cn[2, 1] = cd[2, 1] = 0.0  # a pair missing for metric 1
    fast = bootstrap_deltas(RatioColumns(bn, bd, cn, cd), draws=draws, seed=11)
    # the same draws, replayed one at a time as index lists
    gen = np.random.default_rng(11)
    slow = np.empty((draws, m))
    for k in range(draws):
        idx = gen.integers(0, n, size=n)
        for j in range(m):
            slow[k, j] = (sum(cn[i, j] for i in idx) / sum(cd[i, j] for i in idx)
                          - sum(bn[i, j] for i in idx) / sum(bd[i, j] for i in idx))
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)


def test_corpus_metric_is_a_ratio_of_sums_not_a_mean_of_ratios() -> None:
    # utterance rates 1/1 and 9/3 → ratio of sums 10/4 = 2.5, mean of ratios 2.0
    base = side("a", {"wer": np.array([1.0, 3.0])}, weights={"wer": np.array([1.0, 3.0])})
    cand = side("b", {"wer": np.array([0.0, 2.0])}, weights={"wer": np.array([1.0, 3.0])})
    row = compare(base, cand, draws=500).table.iloc[0]
    assert row["baseline"] == pytest.approx(10 / 4)
    assert row["candidate"] == pytest.approx(6 / 4)
    assert row["delta"] == pytest.approx(-1.0)


def test_delta_is_the_difference_of_the_means_exactly() -> None:
    rng = np.random.default_rng(0)
    base, cand = rng.normal(size=37), rng.normal(size=37)
    row = compare(side("a", {"q": base}), side("b", {"q": cand}), draws=200).table.iloc[0]
    assert row["delta"] == float(np.mean(cand)) - float(np.mean(base))


def test_holm_known_values() -> None:
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.5])
    # sorted 0.01, 0.03, 0.04, 0.5 with m = 4: 0.04, 0.09, 0.09 (monotone), 0.5
    np.testing.assert_allclose(holm(p), [0.04, 0.09, 0.09, np.nan, 0.5])


def test_wilcoxon_exact_small_sample_and_degenerate_cases() -> None:
    assert wilcoxon_p(np.array([-0.3, -0.2, -0.5, -0.4, -0.7, -0.1, -0.3, -0.35])) == \
        pytest.approx(2 / 256)
    assert wilcoxon_p(np.zeros(5)) == 1.0
    assert np.isnan(wilcoxon_p(np.array([])))


def test_identical_sides_give_zero_delta_and_no_verdict_of_change() -> None:
    values = {"q": np.linspace(0, 1, 20), "tokens_per_s": np.linspace(20, 30, 20)}
    result = compare(side("a", values), side("b", values), draws=300)
    table = result.table.set_index("metric")
    assert (table["delta"] == 0).all()
    assert table.loc["q", "verdict"] == NO_DIFF
    assert pd.isna(table.loc["tokens_per_s", "verdict"])  # descriptive: Δ and CI, no verdict
    assert table.loc["tokens_per_s", "ci_low"] == 0.0


def test_pairing_reports_what_each_side_dropped() -> None:
    a = side("a", {"q": np.arange(5.0)})
    b = side("b", {"q": np.arange(4.0)})
    a.values["q"]["u002"] = None
    a.reasons["q"] = {"u002": "digital silence"}
    b.dropped = {"u004": "decode failed"}
    result = compare(a, b, draws=200)
    assert result.pairing.paired == ["u000", "u001", "u002", "u003"]
    assert result.pairing.baseline_only == {"u004": "b: decode failed"}
    assert result.pairing.missing["q"] == {"baseline": 1, "candidate": 0}
    assert result.table.iloc[0]["n"] == 3
    assert any("decode failed" in line for line in result.pairing.lines("a", "b"))


def test_by_group_repeats_the_table_per_manifest_value() -> None:
    rng = np.random.default_rng(1)
    a, b = side("a", {"q": rng.normal(size=6)}), side("b", {"q": rng.normal(size=6)})
    a.columns = {f"u{i:03d}": {"language": "en" if i < 4 else "fr"} for i in range(6)}
    table = compare(a, b, by="language", draws=200).table
    assert list(table["group"]) == ["en", "fr"]
    assert list(table["n"]) == [4, 2]
    with pytest.raises(ValueError, match="not a manifest column"):
        compare(a, b, by="accent", draws=200)


def test_bootstrap_is_seeded_and_independent_of_the_metric_set() -> None:
    """The same draws serve every metric; BLAS blocking of a wider product may change the last
    bit, so floats agree to 1e-12 relative."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 3))
    ones = np.ones((30, 3))
    both = bootstrap_deltas(RatioColumns(x, ones, x + 1 + x ** 2, ones), draws=1200, seed=4)
    first = bootstrap_deltas(RatioColumns(x[:, :1], ones[:, :1], (x + 1 + x ** 2)[:, :1],
                                          ones[:, :1]), draws=1200, seed=4)
    np.testing.assert_allclose(both[:, :1], first, rtol=1e-12)
    again = bootstrap_deltas(RatioColumns(x, ones, x + 1 + x ** 2, ones), draws=1200, seed=4)
    np.testing.assert_array_equal(both, again)


def test_wer_is_weighted_by_normalised_reference_words_from_the_manifest() -> None:
    """WER per draw = Σ edits / Σ reference words; words as the metric counts them (Whisper's
    English normaliser: "Mr." → "mister"; characters for zh)."""
    pytest.importorskip("whisper.normalizers")
    pytest.importorskip("jiwer")
    from bench.compare.sides import add_weights

    columns = {"u000": {"text": "Hello there, Mr. Smith!", "language": "en"},
               "u001": {"text": "你好世界啊", "language": "zh"}}
    sides = []
    for label, rates in (("a", [0.25, 0.4]), ("b", [0.5, 0.2])):
        s = side(label, {"wer": np.array(rates)}, hib={"wer": False})
        s.columns = columns
        add_weights(s, {})
        sides.append(s)
    assert sides[0].weights["wer"] == {"u000": 4.0, "u001": 5.0}
    row = compare(*sides, draws=200).table.iloc[0]
    assert row["baseline"] == pytest.approx((1 + 2) / 9)  # 1 of 4 words, 2 of 5 characters
    assert row["candidate"] == pytest.approx((2 + 1) / 9)
    assert row["weighting"] == "total word edits / total reference words"
