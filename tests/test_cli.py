"""The ``tokbench`` command line, in-process: run → report rebuild, score, list, errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent / "runner"))

from toys import register_toys, write_tone_set

from bench.cli import main


@pytest.fixture(autouse=True, scope="module")
def toys() -> None:
    register_toys()


def test_run_then_report_rebuild(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write_tone_set(tmp_path / "data", n=3)
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""
name: clitoy
datasets: [{{name: tones, manifest: {manifest}}}]
variants:
  - {{name: mulaw8k, family: mulaw}}
  - {{name: gone, family: broken}}
metrics: [toy_snr]
batch: {{workers: 0}}
""")
    store = tmp_path / "s.sqlite"
    rc = main(["run", str(suite), "--store", str(store), "--out", str(tmp_path / "rep"),
               "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 1  # the variant "gone" was skipped: some requested work was not done
    assert "variant gone skipped: FileNotFoundError" in out
    assert out.count("weights not found at /nowhere/model.ckpt") == 1  # the reason once
    assert "skipped (reasons printed above and listed in the report): variant gone" in out
    assert "| mulaw8k |" in out and "toy_snr ↑" in out  # the headline table
    assert f"report: {(tmp_path / 'rep' / 'index.html').resolve()}" in out
    first = (tmp_path / "rep" / "tones.csv").read_bytes()
    assert b"mulaw8k" in first

    assert main(["report", "clitoy", "--store", str(store), "--out", str(tmp_path / "rep2")]) == 0
    assert (tmp_path / "rep2" / "tones.csv").read_bytes() == first
    assert main(["report", "1", "--store", str(store), "--out", str(tmp_path / "rep3")]) == 0
    assert (tmp_path / "rep3" / "tones.csv").read_bytes() == first

    # --resume of a complete run (e.g. killed while writing its report) recomputes nothing:
    # same run, only the report is rebuilt.
    assert main(["run", str(suite), "--store", str(store), "--resume", "--no-report",
                 "--no-progress"]) == 1  # exit 1: the suite's variant "gone" was skipped
    out = capsys.readouterr().out
    assert "run 1 (clitoy) is complete; nothing to compute" in out
    assert "run 1 (clitoy) complete:" in out


def test_errors_are_messages_not_tracebacks(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndatasets: []\n")
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "datasets: must be a non-empty list" in err and "variants: required" in err
    assert main(["report", "nope", "--store", str(tmp_path / "none.sqlite")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["train", "no_such_family"]) == 2
    assert "no training entry" in capsys.readouterr().err


def test_score_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ref, hyp = tmp_path / "ref", tmp_path / "hyp"
    ref.mkdir()
    hyp.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        clean = (0.1 * rng.standard_normal(16000)).astype(np.float32)
        sf.write(ref / f"u{i}.wav", clean, 16000)
        sf.write(hyp / f"u{i}.wav", clean + 0.01 * rng.standard_normal(16000).astype(np.float32),
                 16000)
    out = tmp_path / "scores.json"
    assert main(["score", str(ref), str(hyp), "--metrics", "si_sdr", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["metrics"]["si_sdr"]["n"] == 2
    assert result["metrics"]["si_sdr"]["mean"] == pytest.approx(20.0, abs=0.5)  # 10× amplitude
    assert "si_sdr" in capsys.readouterr().out


def test_list_shows_registered_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--no-build"]) == 0
    out = capsys.readouterr().out
    assert "tokenizers:" in out and "metrics:" in out
    assert "mulaw" in out and "varstok" in out
    assert "pesq_wb" in out and "available" in out


def test_train_passes_every_argument_to_the_family(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    seen: list[list[str]] = []
    module = types.ModuleType("tokenizers_impl.fakefam.train")
    module.cli = lambda argv: seen.append(argv) or 7  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tokenizers_impl.fakefam", types.ModuleType("x"))
    monkeypatch.setitem(sys.modules, "tokenizers_impl.fakefam.train", module)
    assert main(["train", "fakefam", "--steps", "3", "--help"]) == 7
    assert seen == [["--steps", "3", "--help"]]


def test_data_folder_builds_a_manifest(tmp_path: Path) -> None:
    audio = tmp_path / "wavs"
    audio.mkdir()
    for i in range(2):
        sf.write(audio / f"clip{i}.wav", np.full(8000, 0.1, dtype=np.float32), 8000)
    out = tmp_path / "m.jsonl"
    assert main(["data", "folder", str(audio), str(out), "--language", "en"]) == 0
    from bench.data.manifest import read_manifest

    rows = read_manifest(out)
    assert len(rows) == 2 and all(r.language == "en" for r in rows)
