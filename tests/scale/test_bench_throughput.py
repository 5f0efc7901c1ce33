"""The throughput benchmark script runs on CPU at a tiny fraction and reports every stage."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_throughput.py"


def test_throughput_benchmark_on_cpu(tmp_path: Path, capsys) -> None:
    spec = importlib.util.spec_from_file_location("bench_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "figures.json"
    assert module.main(["--device", "cpu", "--fraction", "0.0005", "--variants", "wavtokenizer",
                        "--metrics", "stoi,tokens_per_s", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["utterances"] == 2 and figures["variants"] == ["wavtokenizer"]
    # 0.0005 of 8.56 h, within the clipping of the drawn durations
    assert abs(figures["audio_seconds"] - 0.0005 * 8.56 * 3600) < 1.0
    stages = figures["stages"]
    assert {"load", "encode", "decode", "metric:stoi", "metric:tokens_per_s", "store"} <= set(
        stages)
    assert stages["encode"]["audio_s"] == stages["decode"]["audio_s"] > 10
    printed = capsys.readouterr().out
    assert "audio s/s" in printed and "peak GPU memory: n/a (no GPU)" in printed
