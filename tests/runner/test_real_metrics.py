"""The runner with the project's real signal metrics on real LibriTTS speech (../shared)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench.data.manifest import Utterance, write_manifest
from bench.paths import ALLOW_ABSOLUTE_ENV
from bench.runner import run_suite
from bench.suite import parse_suite


@pytest.mark.needs_shared
def test_mulaw_on_libritts_pesq_stoi_and_rates(tmp_path: Path, libritts_demo: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_ABSOLUTE_ENV, "1")  # the manifest points into ../shared on purpose
    wavs = sorted((libritts_demo / "gt").glob("*.wav"))[:3]
    assert len(wavs) == 3
    write_manifest(tmp_path / "m.jsonl", [Utterance(id=p.stem, path=str(p)) for p in wavs])
    suite = parse_suite({
        "name": "libritts-mulaw",
        "datasets": [{"name": "libritts", "manifest": str(tmp_path / "m.jsonl")}],
        "variants": [{"name": "mulaw16k", "family": "mulaw", "settings": {"sample_rate": 16000}},
                     {"name": "mulaw8k", "family": "mulaw"}],
        "metrics": ["pesq_wb", "stoi", "tokens_per_s", "bits_per_s"],
        "batch": {"workers": 0},
        "store": str(tmp_path / "store.sqlite"),
    })
    run_suite(suite, progress=False, log=lambda _: None)
    con = sqlite3.connect(tmp_path / "store.sqlite")
    stats = {(v, m): (lo, hi, avg, n) for v, m, lo, hi, avg, n in con.execute(
        "SELECT variant, metric, MIN(value), MAX(value), AVG(value), COUNT(value) FROM results "
        "GROUP BY variant, metric")}
    con.close()
    # Rates are exact for one token per sample (24 kHz LibriTTS resampled to the codec rate).
    assert stats[("mulaw16k", "tokens_per_s")][:2] == (16000.0, 16000.0)
    assert stats[("mulaw8k", "bits_per_s")][:2] == (64000.0, 64000.0)
    # 8-bit μ-law at 16 kHz is near-transparent; at 8 kHz the lost band costs wide-band PESQ.
    lo16, _, avg16, n16 = stats[("mulaw16k", "pesq_wb")]
    _, _, avg8, _ = stats[("mulaw8k", "pesq_wb")]
    assert n16 == 3 and lo16 > 3.7 and 4.0 < avg16 < 4.6
    assert avg8 < avg16 - 0.1
    assert stats[("mulaw16k", "stoi")][0] > 0.99
