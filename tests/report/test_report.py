"""Report tests: tables hold the stored numbers, untrained variants are flagged everywhere,
figures are embedded, and a rebuild from the store reproduces the CSV byte for byte."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from toys import write_tone_set

from bench.report.build import write_report
from bench.report.plots import pareto_front
from bench.report.tables import mean_ci
from bench.runner import run_suite
from bench.store import Store
from bench.suite import parse_suite


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    tmp = tmp_path_factory.mktemp("report")
    manifest = write_tone_set(tmp / "data", n=5, corrupt=True)
    suite = parse_suite({
        "name": "toyreport",
        "datasets": [{"name": "tones", "manifest": str(manifest)}],
        "variants": [
            {"name": "mulaw8k", "family": "mulaw"},
            {"name": "spans", "family": "mulaw_spans"},
            {"name": "fresh", "family": "mulaw", "settings": {"trained": False,
                                                              "sample_rate": 16000}},
            {"name": "missing", "family": "broken"},
        ],
        "metrics": ["toy_snr", "toy_rms", "not_a_metric", "tokens_per_s", "mean_span",
                    "codebook_usage"],
        "batch": {"workers": 0, "max_items": 4},
        "store": str(tmp / "store.sqlite"),
    }, base_dir=tmp)
    summary = run_suite(suite, progress=False, log=lambda _: None)
    return tmp, summary.run_id


def test_tables_hold_stored_values(toy_run: tuple[Path, int]) -> None:
    tmp, run_id = toy_run
    with Store(tmp / "store.sqlite") as store:
        files = write_report(store, run_id, out_dir=tmp / "out")
    table = pd.read_csv(files.csv["tones"])
    assert table["variant"].tolist() == ["ground truth", "mulaw8k", "spans",
                                         "fresh (untrained weights)"]
    by_variant = table.set_index("variant")
    assert by_variant.loc["mulaw8k", "tokens_per_s_mean"] == 8000.0
    assert by_variant.loc["mulaw8k", "tokens_per_s_ci95"] == 0.0
    assert by_variant.loc["mulaw8k", "token_kbps_mean"] == 64.0
    assert by_variant.loc["fresh (untrained weights)", "total_kbps_mean"] == 128.0
    assert by_variant.loc["spans", "tokens_per_s_mean"] == pytest.approx(8000 * 2 / 3, rel=1e-3)

    con = sqlite3.connect(tmp / "store.sqlite")
    snr = [v for (v,) in con.execute("SELECT value FROM results WHERE variant='mulaw8k' AND "
                                     "metric='toy_snr' AND value IS NOT NULL")]
    con.close()
    mean, half, n = mean_ci(np.array(snr))
    assert by_variant.loc["mulaw8k", "toy_snr_mean"] == pytest.approx(mean, rel=1e-5)
    assert by_variant.loc["mulaw8k", "toy_snr_ci95"] == pytest.approx(half, rel=1e-5)
    assert by_variant.loc["mulaw8k", "toy_snr_n"] == n == 5
    assert by_variant.loc["mulaw8k", "toy_snr_excluded"] == 1  # the corrupt file
    # Ground truth: the reference-free metric only.
    assert by_variant.loc["ground truth", "toy_rms_n"] == 5
    assert by_variant.loc["ground truth", "toy_snr_n"] == 0
    assert math.isnan(by_variant.loc["ground truth", "tokens_per_s_mean"])

    corpus = pd.read_csv(files.out_dir / "tones_corpus.csv").set_index("variant")
    assert corpus.loc["mulaw8k", "corpus_tokens_per_s"] == 8000.0
    assert corpus.loc["fresh (untrained weights)", "corpus_total_kbps"] == 128.0
    # The registered rate metric's own corpus value agrees with the store-derived total.
    assert corpus.loc["spans", "tokens_per_s"] == pytest.approx(
        corpus.loc["spans", "corpus_tokens_per_s"], rel=1e-5)
    assert corpus.loc["spans", "corpus_tokens_per_s"] < 8000 * 2 / 3 + 1
    # Spans alternate 1, 2: total frames / total tokens is 1.5 up to each utterance's tail.
    assert corpus.loc["spans", "mean_span"] == pytest.approx(1.5, abs=0.01)
    assert math.isnan(corpus.loc["mulaw8k", "mean_span"])  # fixed rate: missing, not 1

    md = (files.out_dir / "tones.md").read_text()
    assert "| fresh (untrained weights) |" in md
    assert "8000.0 ± 0.0 [1 excl.]" in md
    tex = (files.out_dir / "tones.tex").read_text()
    assert "\\begin{tabular}" in tex and "untrained weights" in tex
    assert "$\\pm$" in tex and "±" not in tex and "↑" not in tex
    readme = files.summary_md.read_text()
    assert "missing (broken): FileNotFoundError: weights not found" in readme
    assert "metric not_a_metric" in readme
    assert "Student-t" in readme
    assert "audio for fresh (untrained weights): resampled 8000 → 16000 Hz" in readme
    assert "audio for mulaw8k: no resampling needed" in readme
    failures = pd.read_csv(files.out_dir / "failures.csv")
    assert set(failures["utterance"]) == {"bad"}


def test_html_is_self_contained_with_figures(toy_run: tuple[Path, int]) -> None:
    tmp, run_id = toy_run
    with Store(tmp / "store.sqlite") as store:
        files = write_report(store, run_id, out_dir=tmp / "out_html")
    html = files.index_html.read_text()
    assert html.count("data:image/png;base64,") >= 5
    assert 'src="http' not in html and 'href="http' not in html and "stylesheet" not in html
    assert "fresh (untrained weights)" in html
    assert "weights not found at /nowhere/model.ckpt" in html
    plots = {p.name for p in (files.out_dir / "plots").iterdir()}
    assert {"tones_toy_snr_vs_rate.png", "tones_toy_snr_box.png", "tones_spans.png",
            "tones_token_rate.png"} <= plots


def test_rebuild_from_store_reproduces_csv(toy_run: tuple[Path, int]) -> None:
    tmp, run_id = toy_run
    with Store(tmp / "store.sqlite") as store:
        first = write_report(store, run_id, out_dir=tmp / "first")
    with Store(tmp / "store.sqlite") as store:
        second = write_report(store, run_id, out_dir=tmp / "second")
    assert first.csv["tones"].read_bytes() == second.csv["tones"].read_bytes()
    assert (tmp / "first" / "tones.md").read_text() == (tmp / "second" / "tones.md").read_text()


def test_mean_ci_student_t() -> None:
    mean, half, n = mean_ci(np.array([1.0, 2.0, 3.0]))
    assert (mean, n) == (2.0, 3)
    assert half == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)  # t(0.975, 2) · s/√n, s = 1
    assert math.isnan(mean_ci(np.array([5.0]))[1])
    assert mean_ci(np.array([]))[2] == 0


def test_pareto_front() -> None:
    # (rate, quality): B dominates D (lower rate, better quality); C is best quality.
    points = [(1.0, 2.0), (2.0, 3.0), (4.0, 4.0), (3.0, 2.5)]
    assert pareto_front(points, higher_is_better=True) == [0, 1, 2]
    # Lower-is-better metric: only the cheapest-and-lowest survive.
    assert pareto_front(points, higher_is_better=False) == [0]
