"""The authors' VARSTok reconstructions on ../shared/data/libritts_demo: thres6 against thres8,
from `tokbench score --json` files of each against gt/ (PESQ-WB, STOI), via the API and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main
from bench.compare import WORSE, compare, side_from_score
from bench.score import score_directories


@pytest.fixture(scope="module")
def score_files(libritts_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("scores")
    files = {}
    for name in ("varstok_thres8", "varstok_thres6"):
        result = score_directories(libritts_demo / "gt", libritts_demo / name, ["pesq_wb", "stoi"])
        files[name] = out / f"{name}.json"
        files[name].write_text(json.dumps(result, indent=2), "utf-8")
    return files


def test_thres6_is_worse_than_thres8_and_delta_is_the_difference_of_means(
        score_files: dict[str, Path]) -> None:
    t8, t6 = (json.loads(score_files[n].read_text()) for n in ("varstok_thres8", "varstok_thres6"))
    result = compare(side_from_score(score_files["varstok_thres8"]),
                     side_from_score(score_files["varstok_thres6"]))
    table = result.table.set_index("metric")
    assert result.pairing.paired and len(result.pairing.paired) == 8
    for metric in ("pesq_wb", "stoi"):
        row = table.loc[metric]
        assert row["n"] == 8
        assert row["delta"] == t6["metrics"][metric]["mean"] - t8["metrics"][metric]["mean"]
        assert row["ci_high"] < 0
        # every one of the 8 utterances is worse: exact two-sided Wilcoxon p = 2/2^8, Holm ×2
        assert row["losses"] == 8 and row["wins"] == 0
        assert row["p_wilcoxon"] == pytest.approx(2 / 256)
        assert row["p_holm"] == pytest.approx(4 / 256)
        assert row["verdict"] == WORSE
    assert table.loc["pesq_wb", "delta"] == pytest.approx(-0.3735, abs=5e-4)


def test_compare_cli_writes_table_json_markdown_and_forest_plot(
        score_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json, out_md, out_png = tmp_path / "c.json", tmp_path / "c.md", tmp_path / "forest.png"
    code = main(["compare", str(score_files["varstok_thres8"]), str(score_files["varstok_thres6"]),
                 "--json", str(out_json), "--md", str(out_md), "--plot", str(out_png),
                 "--draws", "2000"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "n paired: 8" in printed and "worse" in printed
    payload = json.loads(out_json.read_text())
    rows = {r["metric"]: r for r in payload["rows"]}
    assert rows["pesq_wb"]["verdict"] == "worse" and payload["draws"] == 2000
    assert "| pesq_wb ↑ | 8 |" in out_md.read_text()
    assert out_png.stat().st_size > 5000
    assert main(["compare", str(score_files["varstok_thres8"]), "missing.json"]) == 2


def test_gate_on_score_files(score_files: dict[str, Path], tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert main(["baseline", "save", str(score_files["varstok_thres8"]),
                 "--out", str(baseline)]) == 0
    doc = json.loads(baseline.read_text())
    side = doc["sides"]["varstok_thres8"]
    assert side["identity"]["dataset"]["hash"]  # content hash of the gt/ files
    assert doc["corpus"]["varstok_thres8"]["pesq_wb"]["n"] == 8
    assert main(["gate", str(score_files["varstok_thres8"]), "--baseline", str(baseline)]) == 0
    junit, md = tmp_path / "j.xml", tmp_path / "s.md"
    assert main(["gate", str(score_files["varstok_thres6"]), "--baseline", str(baseline),
                 "--junit", str(junit), "--md", str(md)]) == 1
    xml = junit.read_text()
    assert xml.count("<testcase") == 2 and 'failures="2"' in xml
    assert "pesq_wb: regressed: baseline 2.2277 → candidate 1.8542" in xml
    assert "❌ regressed" in md.read_text()
    # a generous tolerance from YAML lets the same change pass
    config = tmp_path / "gate.yaml"
    config.write_text("metrics:\n  pesq_wb: {abs: 0.6}\n  stoi: {rel: 0.05}\n")
    assert main(["gate", str(score_files["varstok_thres6"]), "--baseline", str(baseline),
                 "--config", str(config)]) == 0
    config.write_text("metrics:\n  pesq_wb: {tolerance: 0.6}\n")
    assert main(["gate", str(score_files["varstok_thres6"]), "--baseline", str(baseline),
                 "--config", str(config)]) == 2


def test_corpus_value_matches_score_mean(score_files: dict[str, Path]) -> None:
    from bench.gate.baseline import corpus_value

    t8 = json.loads(score_files["varstok_thres8"].read_text())
    side = side_from_score(score_files["varstok_thres8"])
    value, se, n = corpus_value(side, "pesq_wb")
    per = np.array(list(t8["metrics"]["pesq_wb"]["per_utterance"].values()))
    assert value == t8["metrics"]["pesq_wb"]["mean"] and n == 8
    assert se == pytest.approx(per.std(ddof=1) / np.sqrt(8), rel=1e-12)


def test_repeats_widen_the_default_tolerance(score_files: dict[str, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Two 'repeats' 0.37 PESQ apart: tolerance = 2 × their SD (0.53) > |Δ|, so the gate passes
    on PESQ, and the JUnit/summary name the rule used."""
    baseline = tmp_path / "baseline.json"
    assert main(["baseline", "save", str(score_files["varstok_thres8"]), "--out", str(baseline),
                 "--repeats", str(score_files["varstok_thres6"])]) == 0
    doc = json.loads(baseline.read_text())
    entry = doc["corpus"]["varstok_thres8"]["pesq_wb"]
    means = [json.loads(score_files[n].read_text())["metrics"]["pesq_wb"]["mean"]
             for n in ("varstok_thres8", "varstok_thres6")]
    assert entry["repeats"] == 2 and entry["repeat_sd"] == pytest.approx(np.std(means, ddof=1))
    capsys.readouterr()
    main(["gate", str(score_files["varstok_thres6"]), "--baseline", str(baseline)])
    out = capsys.readouterr().out
    assert "pesq_wb: pass" in out and "(2·SD over repeats)" in out
