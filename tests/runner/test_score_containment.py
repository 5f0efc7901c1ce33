"""``tokbench score`` with a metric that segfaults on one file keeps every other file's numbers
and prints the reasons grouped with counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from bench.cli import main
from bench.score import reason_lines, score_directories


def folders(tmp: Path) -> tuple[Path, Path]:
    ref, hyp = tmp / "ref", tmp / "hyp"
    ref.mkdir()
    hyp.mkdir()
    t = np.arange(8000) / 8000
    for i in range(4):
        wav = (0.2 + 0.05 * i) * np.sin(2 * np.pi * (200 + 50 * i) * t).astype(np.float32)
        sf.write(ref / f"tone{i}.wav", wav, 8000, subtype="FLOAT")
        sf.write(hyp / f"tone{i}.wav", wav * 0.9, 8000, subtype="FLOAT")
    sf.write(hyp / "tone3.wav", (0.35 * np.sin(2 * np.pi * 350 * t[:4000])).astype(np.float32),
             8000, subtype="FLOAT")  # half length: a length mismatch
    return ref, hyp


def test_segfault_in_score_is_one_files_failure(tmp_path: Path, capsys) -> None:
    ref, hyp = folders(tmp_path)
    result = score_directories(ref, hyp, ["toy_crash", "toy_snr"])
    crash = result["metrics"]["toy_crash"]
    assert crash["reasons"]["tone2"] == "toy_crash crashed the worker process (signal 11 (SIGSEGV))"
    assert crash["n"] == 2 and crash["per_utterance"]["tone0"] > 0.17
    assert crash["reasons"]["tone3"].startswith("length mismatch: reconstruction is 50.0%")
    snr = result["metrics"]["toy_snr"]
    assert snr["n"] == 3 and set(snr["reasons"]) == {"tone3"}
    assert reason_lines(result) == [
        "toy_crash: 2 value(s) left out",
        "  1 × length mismatch: reconstruction is 50.0% of the reference length (tolerance "
        "±2%); not scored (length_policy pad scores it zero-padded)",
        "  1 × toy_crash crashed the worker process (signal 11 (SIGSEGV))",
        "toy_snr: 1 value(s) left out",
        "  1 × length mismatch: reconstruction is 50.0% of the reference length (tolerance "
        "±2%); not scored (length_policy pad scores it zero-padded)",
        "1 pair(s) outside the length tolerance ±2%",
    ]
    assert main(["score", str(ref), str(hyp), "--metrics", "toy_snr"]) in (0, 1)
    out = capsys.readouterr().out
    assert "toy_snr: 1 value(s) left out" in out and "1 × length mismatch" in out
