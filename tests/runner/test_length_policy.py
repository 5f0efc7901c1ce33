"""Length ratio of every pair is recorded; a reconstruction outside the tolerance is left out of
the reference-based metrics with the reason (or scored zero-padded under ``length_policy:
pad``); inputs shorter than ``batch.min_input_seconds`` are left out with a reason."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_runner import make_suite, rows
from toys import write_tone_set

from bench.data.manifest import Utterance, read_manifest, write_manifest
from bench.runner import run_suite


@pytest.fixture
def tones(tmp_path: Path) -> Path:
    return write_tone_set(tmp_path / "data", n=3)


def values(store: Path, variant: str, metric: str) -> dict[str, tuple]:
    return {u: (v, r) for u, v, r in rows(
        store, "SELECT utterance, value, reason FROM results WHERE variant=? AND metric=?",
        variant, metric)}


def test_short_reconstruction_is_left_out_with_its_ratio(tmp_path: Path, tones: Path) -> None:
    variants = [{"name": "half", "family": "mulaw_half"}, {"name": "full", "family": "mulaw"}]
    suite = make_suite(tmp_path, tones, variants, metrics=("toy_snr", "tokens_per_s"))
    run_suite(suite, progress=False, log=lambda _: None)
    store = tmp_path / "store.sqlite"
    snr = values(store, "half", "toy_snr")
    assert len(snr) == 3
    for value, reason in snr.values():
        assert value is None and reason.startswith(
            "length mismatch: reconstruction is 50.0% of the reference length (tolerance ±2%)")
    assert all(v is not None for v, _ in values(store, "full", "toy_snr").values())
    # token rates need no reference alignment: still measured
    assert {v for v, _ in values(store, "half", "tokens_per_s").values()} == {8000.0}
    ratios = {u: json.loads(d)["length_ratio"] for u, d in rows(
        store, "SELECT utterance, decisions FROM utterances WHERE variant='half'")}
    assert ratios == pytest.approx({"tone0": 0.5, "tone1": 0.5, "tone2": 0.5})
    full = [json.loads(d)["length_ratio"] for (d,) in rows(
        store, "SELECT decisions FROM utterances WHERE variant='full'")]
    assert full == [1.0, 1.0, 1.0]


def test_pad_policy_scores_mismatched_pairs_zero_padded(tmp_path: Path, tones: Path) -> None:
    suite = make_suite(tmp_path, tones, [{"name": "half", "family": "mulaw_half"}],
                       metrics=("si_sdr",))
    suite = replace(suite, batch=replace(suite.batch, length_policy="pad"))
    run_suite(suite, progress=False, log=lambda _: None)
    sdr = values(tmp_path / "store.sqlite", "half", "si_sdr")
    # half the signal missing: SI-SDR of a half-zeroed tone is about 0 dB, never the overlap's
    assert all(v is not None and -1.0 < v < 1.0 for v, _ in sdr.values()), sdr


def test_too_short_input_is_left_out(tmp_path: Path, tones: Path) -> None:
    root = tones.parent
    sf.write(root / "blip.wav", np.full(8, 0.1, np.float32), 8000, subtype="FLOAT")  # 1 ms
    rows_ = [*read_manifest(tones), Utterance(id="blip", path="blip.wav", duration=0.001)]
    write_manifest(tones, rows_)
    suite = make_suite(tmp_path, tones, [{"name": "full", "family": "mulaw"}],
                       metrics=("toy_rms", "tokens_per_s"))
    summary = run_suite(suite, progress=False, log=lambda _: None)
    store = tmp_path / "store.sqlite"
    blip = rows(store, "SELECT variant, status, reason FROM utterances WHERE utterance='blip'")
    reason = ("InputTooShort: input is 0.001 s, shorter than the minimum 0.5 s "
              "(batch.min_input_seconds)")
    assert sorted(blip) == [("full", "failed", reason), ("ground truth", "failed", reason)]
    assert summary.utterances_failed == 2
