"""The packaged demo: its suite names only registered tokenizers and metrics, writes under the
given cache dir, and (slow) runs end to end whatever weights are present."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main
from bench.demo import demo_suite
from bench.registry import metric_aliases, metric_names, tokenizer_names


def test_demo_suite_names_registered_things_and_writes_under_cache(tmp_path: Path) -> None:
    suite = demo_suite(tmp_path / "cache", workers=0)
    assert Path(suite.store) == (tmp_path / "cache" / "demo.sqlite").resolve()
    assert Path(suite.cache_dir) == (tmp_path / "cache").resolve()
    assert suite.batch.workers == 0
    known = set(metric_names()) | set(metric_aliases())
    assert [m.id for m in suite.metrics if m.id not in known] == []
    assert {v.family for v in suite.variants} <= set(tokenizer_names())
    assert len(suite.datasets) == 1 and suite.datasets[0].synth is not None
    # Every installed entry point takes part; run-time registered toys do not.
    assert {"varstok", "wavtokenizer", "plutok"} <= {v.family for v in suite.variants}
    assert {"spk_sim_ecapa", "spk_sim_wavlm", "utmos"} <= {m.id for m in suite.metrics}
    assert "toy_snr" not in {m.id for m in suite.metrics}


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    rc = main(["demo", "--cache-dir", str(tmp_path / "cache"), "--out", str(out),
               "--workers", "0", "--no-progress"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "tokenizers run:" in printed and "report:" in printed
    html = (out / "index.html").read_text()
    assert "ground truth" in html and "data:image/png;base64," in html
    assert (out / "synth.csv").exists()
