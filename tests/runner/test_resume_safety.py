"""Resume never loses or repeats work: a complete run is not recomputed, a live run is not
attached to, the summary covers the whole run, and a locked store is one clear error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_runner import make_suite, rows
from toys import write_tone_set

from bench.execution.lock import RunLock, RunLocked
from bench.runner import RunInterrupted, run_suite
from bench.store import Store, StoreLocked

VARIANTS = [{"name": "mulaw8k", "family": "mulaw"}]


@pytest.fixture
def tones(tmp_path: Path) -> Path:
    return write_tone_set(tmp_path / "data", n=4, corrupt=True)


def test_resume_of_a_complete_run_recomputes_nothing(tmp_path: Path, tones: Path) -> None:
    """A run killed while its report was written is complete: --resume only rebuilds the
    report (same run id, no new run)."""
    suite = make_suite(tmp_path, tones, VARIANTS)
    first = run_suite(suite, progress=False, log=lambda _: None)
    again = run_suite(suite, progress=False, resume=True, log=lambda _: None)
    store = tmp_path / "store.sqlite"
    assert again.run_id == first.run_id == 1
    assert rows(store, "SELECT id, status FROM runs") == [(1, "complete")]
    # 4 tones for the variant and the ground truth (toy_rms), the corrupt file failed twice
    assert (again.utterances_done, again.utterances_failed) == (8, 2)
    assert (first.utterances_done, first.utterances_failed) == (8, 2)


def test_summary_after_resume_counts_the_whole_run(tmp_path: Path, tones: Path) -> None:
    suite = make_suite(tmp_path, tones, VARIANTS, max_items=1)
    with pytest.raises(RunInterrupted):
        run_suite(suite, progress=False, stop_after_batches=3, log=lambda _: None)
    summary = run_suite(suite, progress=False, resume=True, log=lambda _: None)
    assert (summary.run_id, summary.utterances_done, summary.utterances_failed) == (1, 8, 2)


def test_resume_refuses_a_run_that_is_still_alive(tmp_path: Path, tones: Path) -> None:
    suite = make_suite(tmp_path, tones, VARIANTS, max_items=1)
    with pytest.raises(RunInterrupted):
        run_suite(suite, progress=False, stop_after_batches=2, log=lambda _: None)
    store = tmp_path / "store.sqlite"
    before = rows(store, "SELECT COUNT(*) FROM utterances")[0][0]
    with RunLock(store, 1), pytest.raises(RunLocked, match=r"^run 1 is still running \(pid \d+"):
        run_suite(suite, progress=False, resume=True, log=lambda _: None)
    assert rows(store, "SELECT COUNT(*) FROM utterances")[0][0] == before  # nothing touched
    done = run_suite(suite, progress=False, resume=True, log=lambda _: None)  # lock released
    assert done.run_id == 1 and done.utterances_done == 8


def test_locked_store_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    Store(path).close()
    other = sqlite3.connect(path, isolation_level=None)  # e.g. a DB browser holding a lock
    try:
        other.execute("PRAGMA locking_mode=EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreLocked) as open_err:
            Store(path, timeout=0.2)
    finally:
        other.close()
    store = Store(path, timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        with pytest.raises(StoreLocked) as write_err:
            store.set_run_status(1, "complete")
    finally:
        other.close()
        store.close()
    for err in (write_err, open_err):
        message = str(err.value)
        assert "\n" not in message and message.startswith(f"store {path} is locked")


def test_cli_turns_a_locked_store_into_one_line_and_exit_1(tmp_path: Path, monkeypatch,
                                                           capsys) -> None:
    from bench.cli import main

    path = tmp_path / "store.sqlite"
    Store(path).close()
    monkeypatch.setenv("TOKBENCH_STORE_TIMEOUT", "0.2")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("PRAGMA locking_mode=EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        code = main(["report", "1", "--store", str(path), "--out", str(tmp_path / "rep")])
    finally:
        other.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and err[0].startswith(f"tokbench report: error: store {path} is locked")
