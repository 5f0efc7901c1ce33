"""The report shows a section per declared ``compare:`` pair (Markdown, HTML, forest plot) and
says why a pair could not be compared."""

from __future__ import annotations

from pathlib import Path

import pytest
from toys import write_tone_set

from bench.report.build import write_report
from bench.runner import run_suite
from bench.store import Store
from bench.suite import SuiteError, parse_suite


def toy_suite(tmp: Path, compare: list[dict]) -> dict:
    manifest = write_tone_set(tmp / "data", n=5)
    return {
        "name": "toycompare",
        "datasets": [{"name": "tones", "manifest": str(manifest)}],
        "variants": [{"name": "mulaw8k", "family": "mulaw"},
                     {"name": "mulaw16k", "family": "mulaw", "settings": {"sample_rate": 16000}},
                     {"name": "missing", "family": "broken"}],
        "metrics": ["toy_snr", "tokens_per_s"],
        "batch": {"workers": 0, "max_items": 4},
        "store": str(tmp / "store.sqlite"),
        "compare": compare,
    }


def test_report_has_a_section_per_declared_pair(tmp_path: Path) -> None:
    raw = toy_suite(tmp_path, [{"baseline": "mulaw8k", "candidate": "mulaw16k"},
                               {"baseline": "mulaw8k", "candidate": "missing"}])
    summary = run_suite(parse_suite(raw, base_dir=tmp_path), progress=False, log=lambda _: None)
    with Store(tmp_path / "store.sqlite") as store:
        files = write_report(store, summary.run_id, out_dir=tmp_path / "out")
    md = files.summary_md.read_text()
    assert "## Paired comparisons" in md
    assert "### tones: mulaw16k vs mulaw8k" in md and "n paired: 5" in md
    assert "| tokens_per_s | 5 | 8000 | 16000.0 | 8000 | +100.0% | [8000, 8000] |" in md
    # n = 5, all 5 better: the exact two-sided Wilcoxon p is 2/32, not significant at 0.05
    assert "| toy_snr ↑ | 5 |" in md and "| 5/0/0 | no significant difference |" in md
    assert "not compared: missing was skipped" in md
    plot = tmp_path / "out" / "plots" / "compare_tones_mulaw16k_vs_mulaw8k.png"
    assert plot.stat().st_size > 3000
    page = files.index_html.read_text()
    assert "<h2>Paired comparisons</h2>" in page and page.rstrip().endswith("</html>")
    assert page.count("data:image/png") >= 1
    # `tokbench compare RUN` runs every declared pair; the one that cannot run says why
    from bench.cli import main

    assert main(["compare", "toycompare", "--store", str(tmp_path / "store.sqlite"),
                 "--draws", "500"]) == 0


def test_compare_pairs_are_validated(tmp_path: Path) -> None:
    raw = toy_suite(tmp_path, [{"baseline": "mulaw8k", "candidate": "nope"},
                               {"baseline": "mulaw8k"}])
    with pytest.raises(SuiteError) as err:
        parse_suite(raw, base_dir=tmp_path)
    assert "compare[0]: unknown variants ['nope']" in str(err.value)
    assert "compare[1]: must be {baseline: VARIANT, candidate: VARIANT}" in str(err.value)
