"""A metric that segfaults its process on one utterance: the run completes, only that utterance
is recorded as failed with the signal, every other value is kept, and the main process never
computes the crash-prone metric itself (workers: 0 included)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from toys import write_tone_set

from bench.runner import run_suite
from bench.suite import parse_suite


def run_with(tmp: Path, workers: int, max_items: int) -> Path:
    manifest = write_tone_set(tmp / "data", n=4)
    suite = parse_suite({
        "name": "crashy",
        "datasets": [{"name": "tones", "manifest": str(manifest)}],
        "variants": [{"name": "mu", "family": "mulaw"}],
        "metrics": ["toy_snr", "toy_crash"],
        "batch": {"max_items": max_items, "workers": workers},
        "store": str(tmp / "store.sqlite"),
    }, base_dir=tmp)
    run_suite(suite, progress=False, log=lambda _: None)
    return tmp / "store.sqlite"


@pytest.mark.parametrize(("workers", "max_items"), [
    (1, 2), pytest.param(0, 4, marks=pytest.mark.slow)])
def test_segfaulting_metric_is_contained(tmp_path: Path, workers: int, max_items: int) -> None:
    store = run_with(tmp_path, workers, max_items)
    con = sqlite3.connect(store)
    try:
        status = con.execute("SELECT status FROM runs").fetchall()
        crash = dict(con.execute("SELECT utterance, coalesce(reason, value) FROM results "
                                 "WHERE metric='toy_crash'").fetchall())
        snr = dict(con.execute("SELECT utterance, value FROM results "
                               "WHERE metric='toy_snr'").fetchall())
    finally:
        con.close()
    assert status == [("complete",)]
    assert set(crash) == {"tone0", "tone1", "tone2", "tone3"}
    assert crash["tone2"] == "toy_crash crashed the worker process (signal 11 (SIGSEGV))"
    for utt in ("tone0", "tone1", "tone3"):  # peak of the μ-law reconstruction, a real value
        assert isinstance(crash[utt], float) and 0.15 < crash[utt] < 0.45
    assert all(isinstance(v, float) and v > 20 for v in snr.values()) and len(snr) == 4
