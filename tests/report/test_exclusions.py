"""Report data for what the cells hide: the headline rate is the corpus ratio of sums, the
reasons behind "[k excl.]" are grouped with counts, and length mismatches are counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from toys import write_tone_set

from bench.report.build import write_report
from bench.report.exclusions import failure_reasons, length_summary
from bench.report.tables import load_run, ratio_ci, summary_table
from bench.runner import run_suite
from bench.store import Store
from bench.suite import parse_suite


def test_ratio_of_sums_is_not_dragged_by_a_1_ms_input() -> None:
    # a 75 Hz codec: 750 tokens over 10 s, and 1 token for a 1 ms input (1000 tok/s alone)
    rate, half, n = ratio_ci([750.0, 1.0], [10.0, 0.001])
    assert half > 0
    assert n == 2 and rate == pytest.approx(751 / 10.001) and rate < 75.1
    assert ratio_ci([750.0, 750.0], [10.0, 10.0])[:2] == (75.0, 0.0)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    tmp = tmp_path_factory.mktemp("excl")
    manifest = write_tone_set(tmp / "data", n=4, corrupt=True)
    suite = parse_suite({
        "name": "excl",
        "datasets": [{"name": "tones", "manifest": str(manifest)}],
        "variants": [{"name": "half", "family": "mulaw_half"},
                     {"name": "spans", "family": "mulaw_spans"}],
        "metrics": ["toy_snr", "tokens_per_s"],
        "batch": {"workers": 0, "max_items": 4},
        "store": str(tmp / "store.sqlite"),
    }, base_dir=tmp)
    return tmp, run_suite(suite, progress=False, log=lambda _: None).run_id


def test_reasons_lengths_and_headline_rate(run: tuple[Path, int]) -> None:
    tmp, run_id = run
    with Store(tmp / "store.sqlite") as store:
        data = load_run(store, run_id)
        files = write_report(store, run_id, out_dir=tmp / "out")
    reasons = failure_reasons(data)
    half = reasons[(reasons["variant"] == "half") & (reasons["metric"] == "toy_snr")]
    assert half["count"].tolist() == [4, 1]
    assert half["reason"].iloc[0].startswith("length mismatch: reconstruction is 50.0%")
    assert half["reason"].iloc[1].startswith("utterance failed: ")  # the corrupt file
    lengths = length_summary(data).set_index("variant")
    assert lengths.loc["half", "pairs"] == 4 and lengths.loc["half", "length_mismatches"] == 4
    assert lengths.loc["half", "max_ratio"] == pytest.approx(0.5)
    assert lengths.loc["spans", "length_mismatches"] == 0
    readme = files.summary_md.read_text()
    assert "## Why values are missing" in readme and "## Reconstruction length" in readme

    summary = summary_table(data, "tones").set_index("variant")
    ok = data.utterances[(data.utterances["variant"] == "spans")
                         & (data.utterances["status"] == "ok")]
    expected = ok["n_tokens"].sum() / ok["seconds"].sum()
    assert summary.loc["spans", "tokens_per_s_mean"] == pytest.approx(expected, rel=1e-12)
    per_utt = (ok["n_tokens"] / ok["seconds"]).mean()
    assert summary.loc["spans", "tokens_per_s_mean"] != pytest.approx(per_utt, rel=1e-9)
    assert isinstance(pd.read_csv(files.csv["tones"]), pd.DataFrame)
