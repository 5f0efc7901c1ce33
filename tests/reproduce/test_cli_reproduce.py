"""``tokbench reproduce`` end to end on a small generated corpus: outputs in every format, exit
codes (0 written, 2 bad paper file, 3 with --strict outside tolerance), not-run reasons."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from bench.cli import main
from bench.score import score_directories

SR = 16000


def _paper(published_pesq: str, tolerance: float = 0.05) -> dict:
    return {
        "name": "toy",
        "citation": {"title": "A toy table", "arxiv": "0000.00000", "table": "9"},
        "dataset": {"corpus": "Toy", "split": "test", "utterances": 10,
                    "builders": [{"kind": "libritts", "subset": "test-clean"},
                                 {"kind": "folder", "audio_dir": "gt"}]},
        "columns": [
            {"key": "rate", "label": "Rate", "metric": "tokens_per_s", "aggregation": "corpus",
             "tolerance": 0.5, "declared": "token_rate"},
            {"key": "pesq", "label": "PESQ", "metric": "pesq_wb", "aggregation": "mean",
             "truncation": "shorter", "tolerance": tolerance},
        ],
        "rows": [
            {"label": "Noisy copy", "precomputed": {"folder": "sys", "token_rate": 50,
                                                    "bits_per_token": 10},
             "published": {"rate": "50.0", "pesq": published_pesq}},
            {"label": "Model", "variant": {"family": "varstok",
                                           "weights": {"config": "v/config.yaml",
                                                       "checkpoint": "v/model.ckpt"}},
             "published": {"pesq": "3.00"}},
        ],
    }


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    (tmp_path / "gt").mkdir()
    (tmp_path / "sys").mkdir()
    for i in range(3):
        t = np.arange(int(SR * (1.2 + 0.3 * i))) / SR
        ref = (0.3 * np.sin(2 * np.pi * (140 + 20 * i) * t) * np.sin(2 * np.pi * 2 * t)
               + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
        sf.write(tmp_path / "gt" / f"u{i}.wav", ref, SR)
        sf.write(tmp_path / "sys" / f"u{i}.wav",
                 (ref + 0.03 * rng.standard_normal(t.size)).astype(np.float32), SR)
    return tmp_path


def _write(tmp_path: Path, paper: dict) -> Path:
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(paper, allow_unicode=True), encoding="utf-8")
    return path


def test_writes_every_format_and_matches_score(toy: Path, capsys) -> None:
    paper = _write(toy, _paper("9.99"))
    out = toy / "out"
    code = main(["reproduce", str(paper), "--data", str(toy), "--out", str(out),
                 "--json", str(toy / "cells.json")])
    assert code == 0
    printed = capsys.readouterr().out
    assert "subset: 3 of 10 utterances" in printed
    records = json.loads((toy / "cells.json").read_text())["cells"]
    assert set(records[0]) >= {"row", "column", "published", "measured", "ci_low", "ci_high",
                               "delta", "status", "reason"}
    cell = {(r["row"], r["column"]): r for r in records}
    pesq = cell[("Noisy copy", "pesq")]
    scored = score_directories(toy / "gt", toy / "sys", ["pesq_wb"])["metrics"]["pesq_wb"]
    assert pesq["measured"] == scored["mean"] and pesq["n"] == 3
    assert pesq["ci_low"] < pesq["measured"] < pesq["ci_high"]
    assert pesq["delta"] == pytest.approx(pesq["measured"] - 9.99)
    assert pesq["status"] == "outside tolerance"
    assert cell[("Noisy copy", "rate")]["status"] == "declared, not measured"
    assert cell[("Noisy copy", "rate")]["measured"] == 50.0
    model = cell[("Model", "pesq")]
    assert model["status"] == "not run" and model["reason"].startswith("needs weights:")
    assert "v/config.yaml" in model["reason"] and "--weights DIR" in model["reason"]
    assert (out / "table.md").read_text().startswith("### toy")
    tex = (out / "table.tex").read_text()
    assert f"{pesq['measured']:.2f} ({pesq['delta']:+.2f})" in tex and r"\toprule" in tex
    rows = list(csv.DictReader((out / "table.csv").open()))
    assert len(rows) == 4 and rows[0]["row"] == "Noisy copy"
    html = (out / "section.html").read_text()
    assert 'class="outside"' in html and "needs weights" in html


def test_strict_exits_3_only_when_a_cell_is_outside(toy: Path) -> None:
    scored = score_directories(toy / "gt", toy / "sys", ["pesq_wb"])["metrics"]["pesq_wb"]
    close = _write(toy, _paper(f"{scored['mean']:.2f}"))
    assert main(["reproduce", str(close), "--data", str(toy), "--out", str(toy / "a"),
                 "--strict"]) == 0
    far = _write(toy, _paper("1.00"))
    assert main(["reproduce", str(far), "--data", str(toy), "--out", str(toy / "b")]) == 0
    assert main(["reproduce", str(far), "--data", str(toy), "--out", str(toy / "c"),
                 "--strict"]) == 3


def test_bad_paper_file_and_arguments_exit_2(toy: Path, capsys) -> None:
    paper = _paper("2.0")
    paper["rows"][0]["publishd"] = {}
    assert main(["reproduce", str(_write(toy, paper)), "--data", str(toy)]) == 2
    assert "unknown key 'publishd'" in capsys.readouterr().err
    good = _write(toy, _paper("2.0"))
    assert main(["reproduce", str(good), "--data", str(toy / "missing")]) == 2
    assert main(["reproduce", str(good), "--limit", "0"]) == 2
    assert main(["reproduce", str(good), "--set", "nocolumn.x=1"]) == 2


def test_without_data_every_cell_says_what_is_needed(toy: Path) -> None:
    out = toy / "nodata"
    assert main(["reproduce", str(_write(toy, _paper("2.0"))), "--out", str(out)]) == 0
    records = json.loads((out / "cells.json").read_text())["cells"]
    assert {r["status"] for r in records} == {"not run"}
    assert all("needs Toy test: pass --data ROOT" in r["reason"] for r in records)


def test_a_row_with_weights_runs_the_model_and_measures_its_rate(toy: Path) -> None:
    """--weights DIR holding the row's files: the model runs (here the shipped tiny VARSTok
    under the row's declared names), and the rate cell is measured: total tokens / seconds."""
    import sqlite3

    shipped = Path(__file__).resolve().parents[2] / "tokenizers_impl/varstok/pretrained"
    weights = toy / "weights" / "v"
    weights.mkdir(parents=True)
    for name in ("config.yaml", "model.ckpt"):
        (weights / name).symlink_to(shipped / "varstok_tiny" / name)
    paper = _paper("2.0")
    paper["columns"][0].pop("declared")
    paper["rows"][1]["published"]["rate"] = "30.0"
    out = toy / "model"
    assert main(["reproduce", str(_write(toy, paper)), "--data", str(toy), "--weights",
                 str(toy / "weights"), "--out", str(out), "--source", "model"]) == 0
    data = json.loads((out / "cells.json").read_text())
    assert data["rows"]["Model"]["source"] == "model"
    cell = {(r["row"], r["column"]): r for r in data["cells"]}
    rate = cell[("Model", "rate")]
    assert rate["status"] in ("within tolerance", "outside tolerance") and rate["n"] == 3
    db = sqlite3.connect(out / "reproduce.sqlite")
    (corpus,) = db.execute("SELECT value FROM corpus_results WHERE variant='model' AND "
                           "metric='tokens_per_s' AND key='corpus'").fetchone()
    assert rate["measured"] == pytest.approx(corpus, rel=1e-12)
    tokens, seconds = db.execute("SELECT SUM(n_tokens), SUM(seconds) FROM utterances WHERE "
                                 "variant='model' AND status='ok'").fetchone()
    assert rate["measured"] == pytest.approx(tokens / seconds, rel=1e-12)
    # --source model: the precomputed row without a model is not run, with its reason
    assert cell[("Noisy copy", "pesq")]["status"] == "not run"


def test_a_language_column_aggregates_only_that_language(toy: Path) -> None:
    """Per-language columns (Plutok's tokens/s per language) filter the manifest's rows."""
    from bench.score import score_directories

    lines = [json.dumps({"id": f"u{i}", "path": f"gt/u{i}.wav", "language": lang})
             for i, lang in enumerate(("en", "fr", "en"))]
    (toy / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    paper = _paper("2.0")
    paper["dataset"]["builders"] = [{"kind": "manifest", "path": "manifest.jsonl"}]
    paper["columns"].append({"key": "pesq_en", "label": "PESQ en", "metric": "pesq_wb",
                             "aggregation": "mean", "tolerance": 0.1, "language": "en"})
    out = toy / "lang"
    assert main(["reproduce", str(_write(toy, paper)), "--data", str(toy), "--out",
                 str(out)]) == 0
    cell = {(r["row"], r["column"]): r for r in
            json.loads((out / "cells.json").read_text())["cells"]}
    per_utt = score_directories(toy / "gt", toy / "sys", ["pesq_wb"])["metrics"]["pesq_wb"][
        "per_utterance"]
    assert cell[("Noisy copy", "pesq_en")]["n"] == 2
    assert cell[("Noisy copy", "pesq_en")]["measured"] == pytest.approx(
        (per_utt["u0"] + per_utt["u2"]) / 2, abs=1e-12)
    assert cell[("Noisy copy", "pesq")]["n"] == 3
