"""SQLite result store: runs, per-utterance values, skips, provenance and a reference-side cache.

One row per (run, dataset, variant, utterance, metric) is enforced by a unique constraint, and a
batch of utterances is written in one transaction, so a run killed at any point can be resumed
with nothing lost or duplicated: an utterance is done exactly when its ``utterances`` row exists.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    config_json TEXT NOT NULL,
    git_commit TEXT,
    packages_json TEXT,
    device TEXT,
    seed INTEGER,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS datasets (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    dataset TEXT NOT NULL,
    manifest TEXT NOT NULL,
    n_utterances INTEGER NOT NULL,
    UNIQUE (run_id, dataset)
);
CREATE TABLE IF NOT EXISTS variants (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    variant TEXT NOT NULL,
    family TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    checkpoint TEXT,
    trained INTEGER,
    notes TEXT,
    sample_rate INTEGER,
    vocab_size INTEGER,
    frame_rate REAL,
    UNIQUE (run_id, variant)
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    metric TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    info_json TEXT,
    UNIQUE (run_id, metric)
);
CREATE TABLE IF NOT EXISTS utterances (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    dataset TEXT NOT NULL,
    variant TEXT NOT NULL,
    utterance TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    seconds REAL,
    n_tokens INTEGER,
    bits_per_token REAL,
    side_bits REAL,
    decisions TEXT,
    UNIQUE (run_id, dataset, variant, utterance)
);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    dataset TEXT NOT NULL,
    variant TEXT NOT NULL,
    utterance TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL,
    reason TEXT,
    UNIQUE (run_id, dataset, variant, utterance, metric)
);
CREATE TABLE IF NOT EXISTS token_streams (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    dataset TEXT NOT NULL,
    variant TEXT NOT NULL,
    utterance TEXT NOT NULL,
    tokens BLOB,
    durations BLOB,
    UNIQUE (run_id, dataset, variant, utterance)
);
CREATE TABLE IF NOT EXISTS corpus_results (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    dataset TEXT NOT NULL,
    variant TEXT NOT NULL,
    metric TEXT NOT NULL,
    key TEXT NOT NULL,
    value REAL,
    reason TEXT,
    UNIQUE (run_id, dataset, variant, metric, key)
);
CREATE TABLE IF NOT EXISTS audio_files (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    dataset TEXT NOT NULL,
    variant TEXT NOT NULL,
    utterance TEXT NOT NULL,
    path TEXT NOT NULL,
    sample_rate INTEGER NOT NULL,
    frames INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    extra_json TEXT,
    UNIQUE (run_id, dataset, variant, utterance)
);
CREATE TABLE IF NOT EXISTS reference_cache (
    audio_hash TEXT NOT NULL,
    metric TEXT NOT NULL,
    metric_version TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    value REAL,
    reason TEXT,
    PRIMARY KEY (audio_hash, metric, metric_version, settings_hash)
);
"""
DEFAULT_STORE_TIMEOUT = 60.0


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def pack_ids(values: np.ndarray) -> bytes:
    """zlib-compressed little-endian int64 array."""
    return zlib.compress(np.ascontiguousarray(values, dtype="<i8").tobytes())


def unpack_ids(blob: bytes | None) -> np.ndarray | None:
    if blob is None:
        return None
    return np.frombuffer(zlib.decompress(blob), dtype="<i8")


@dataclass(frozen=True)
class RunRecord:
    id: int
    name: str
    config_hash: str
    status: str
    started_at: str
    ended_at: str | None


@dataclass
class UtteranceRecord:
    """Everything written for one (dataset, variant, utterance): status, rate facts, values."""

    dataset: str
    variant: str
    utterance: str
    status: str
    reason: str | None = None
    seconds: float | None = None
    n_tokens: int | None = None
    bits_per_token: float | None = None
    side_bits: float | None = None
    decisions: dict[str, Any] | None = None
    values: dict[str, tuple[float | None, str | None]] | None = None
    tokens: np.ndarray | None = None
    durations: np.ndarray | None = None


class StoreLocked(RuntimeError):
    """Another program holds the store's write lock past the busy timeout (one-line message)."""


def store_timeout() -> float:
    """Seconds SQLite's busy handler keeps retrying a locked store (TOKBENCH_STORE_TIMEOUT)."""
    try:
        return float(os.environ.get("TOKBENCH_STORE_TIMEOUT", DEFAULT_STORE_TIMEOUT))
    except ValueError:
        return DEFAULT_STORE_TIMEOUT


def is_locked_error(err: BaseException) -> bool:
    return isinstance(err, sqlite3.OperationalError) and (
        "locked" in str(err) or "busy" in str(err))


class Store:
    """A results database file; safe to reopen after a crash.

    Retry policy for a store another program has locked: SQLite's busy handler retries every
    statement for ``timeout`` seconds (default 60, ``TOKBENCH_STORE_TIMEOUT``); past that,
    ``StoreLocked`` with a one-line message instead of a raw ``sqlite3.OperationalError``.
    """

    def __init__(self, path: Path | str, timeout: float | None = None) -> None:
        self.path = Path(path)
        self.timeout = store_timeout() if timeout is None else float(timeout)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(str(self.path), timeout=self.timeout)
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
            self.conn.commit()
        except sqlite3.OperationalError as err:
            self.conn.close()
            if is_locked_error(err):
                raise self.locked() from err
            raise

    def locked(self) -> StoreLocked:
        return StoreLocked(
            f"store {self.path} is locked by another program (waited {self.timeout:g} s); close "
            "it (an open sqlite3 shell or DB browser, another tokbench run) or pass --store "
            "with another file")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self.conn:
                yield self.conn
        except sqlite3.OperationalError as err:
            if is_locked_error(err):
                raise self.locked() from err
            raise

    # -- runs ---------------------------------------------------------------------------------
    def create_run(self, name: str, config_hash: str, config: dict[str, Any], git_commit: str,
                   packages: dict[str, str], device: str, seed: int) -> int:
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO runs (name, config_hash, config_json, git_commit, packages_json, "
                "device, seed, started_at, status) VALUES (?,?,?,?,?,?,?,?, 'running')",
                (name, config_hash, json.dumps(config, sort_keys=True, default=str), git_commit,
                 json.dumps(packages, sort_keys=True), device, seed, now()),
            )
            return int(cur.lastrowid)

    def set_run_status(self, run_id: int, status: str) -> None:
        ended = now() if status in ("complete", "failed") else None
        with self.transaction() as c:
            c.execute("UPDATE runs SET status=?, ended_at=? WHERE id=?", (status, ended, run_id))

    def latest_run(self, name: str, config_hash: str) -> RunRecord | None:
        """Newest run of this suite and config, whatever its status."""
        row = self.conn.execute(
            "SELECT id, name, config_hash, status, started_at, ended_at FROM runs WHERE name=? "
            "AND config_hash=? ORDER BY id DESC LIMIT 1", (name, config_hash)).fetchone()
        return RunRecord(*row) if row else None

    def latest_resumable(self, name: str, config_hash: str) -> RunRecord | None:
        """Newest run of this suite and config that did not complete."""
        row = self.conn.execute(
            "SELECT id, name, config_hash, status, started_at, ended_at FROM runs WHERE name=? "
            "AND config_hash=? AND status!='complete' ORDER BY id DESC LIMIT 1",
            (name, config_hash)).fetchone()
        return RunRecord(*row) if row else None

    def find_run(self, id_or_name: str | int) -> RunRecord:
        """A run by numeric id, or the newest run with that name."""
        key = str(id_or_name)
        cols = "id, name, config_hash, status, started_at, ended_at"
        row = None
        if key.isdigit():
            row = self.conn.execute(f"SELECT {cols} FROM runs WHERE id=?", (int(key),)).fetchone()
        if row is None:
            row = self.conn.execute(f"SELECT {cols} FROM runs WHERE name=? ORDER BY id DESC "
                                    "LIMIT 1", (key,)).fetchone()
        if row is None:
            known = [f"{r[0]}:{r[1]}" for r in self.conn.execute("SELECT id, name FROM runs")]
            raise KeyError(f"no run {key!r} in {self.path}; runs: {known}")
        return RunRecord(*row)

    def run_row(self, run_id: int) -> dict[str, Any]:
        cur = self.conn.execute("SELECT * FROM runs WHERE id=?", (run_id,))
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))

    # -- run setup records --------------------------------------------------------------------
    def record_dataset(self, run_id: int, dataset: str, manifest: str, n: int) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO datasets VALUES (?,?,?,?)",
                      (run_id, dataset, manifest, n))

    def record_variant(self, run_id: int, variant: str, family: str, settings: dict[str, Any],
                       status: str, reason: str | None = None, checkpoint: str | None = None,
                       trained: bool | None = None, notes: str | None = None,
                       sample_rate: int | None = None, vocab_size: int | None = None,
                       frame_rate: float | None = None) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO variants VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (run_id, variant, family, json.dumps(settings, sort_keys=True, default=str),
                 status, reason, checkpoint, None if trained is None else int(trained), notes,
                 sample_rate, vocab_size, frame_rate))

    def record_metric(self, run_id: int, metric: str, status: str, reason: str | None = None,
                      info: dict[str, Any] | None = None) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO metrics VALUES (?,?,?,?,?)",
                      (run_id, metric, status, reason,
                       None if info is None else json.dumps(info, default=str)))

    # -- per-utterance results ----------------------------------------------------------------
    def completed_utterances(self, run_id: int, dataset: str, variant: str) -> set[str]:
        rows = self.conn.execute(
            "SELECT utterance FROM utterances WHERE run_id=? AND dataset=? AND variant=?",
            (run_id, dataset, variant))
        return {r[0] for r in rows}

    def write_utterances(self, run_id: int, records: Iterable[UtteranceRecord]) -> None:
        """Write a batch of utterances (status, values, spans) atomically."""
        with self.transaction() as c:
            for r in records:
                c.execute(
                    "INSERT INTO utterances VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    (run_id, r.dataset, r.variant, r.utterance, r.status, r.reason, r.seconds,
                     r.n_tokens, r.bits_per_token, r.side_bits,
                     None if r.decisions is None else json.dumps(r.decisions, sort_keys=True)))
                for metric, (value, reason) in (r.values or {}).items():
                    c.execute(
                        "INSERT INTO results VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                        (run_id, r.dataset, r.variant, r.utterance, metric, value, reason))
                if r.tokens is not None or r.durations is not None:
                    c.execute(
                        "INSERT INTO token_streams VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                        (run_id, r.dataset, r.variant, r.utterance,
                         None if r.tokens is None else pack_ids(r.tokens),
                         None if r.durations is None else pack_ids(r.durations)))

    def ok_utterances(self, run_id: int, dataset: str, variant: str) -> list[dict[str, Any]]:
        """Successful utterance rows of one dataset and variant, in utterance order."""
        cur = self.conn.execute(
            "SELECT * FROM utterances WHERE run_id=? AND dataset=? AND variant=? AND status='ok' "
            "ORDER BY utterance", (run_id, dataset, variant))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def metric_values(self, run_id: int, dataset: str, variant: str, metric: str
                      ) -> dict[str, tuple[float | None, str | None]]:
        rows = self.conn.execute(
            "SELECT utterance, value, reason FROM results WHERE run_id=? AND dataset=? AND "
            "variant=? AND metric=?", (run_id, dataset, variant, metric))
        return {u: (v, r) for u, v, r in rows}

    def write_corpus(self, run_id: int, dataset: str, variant: str,
                     values: dict[tuple[str, str], tuple[float | None, str | None]]) -> None:
        """Corpus-level summaries {(metric, key): (value, reason)}; recomputed ones replace."""
        with self.transaction() as c:
            for (metric, key), (value, reason) in values.items():
                c.execute("INSERT OR REPLACE INTO corpus_results VALUES (?,?,?,?,?,?,?)",
                          (run_id, dataset, variant, metric, key, value, reason))

    def token_streams(self, run_id: int, dataset: str, variant: str
                      ) -> dict[str, tuple[np.ndarray | None, np.ndarray | None]]:
        """{utterance: (tokens, durations)} as stored for one dataset and variant."""
        rows = self.conn.execute(
            "SELECT utterance, tokens, durations FROM token_streams WHERE run_id=? AND "
            "dataset=? AND variant=?", (run_id, dataset, variant))
        return {u: (unpack_ids(t), unpack_ids(d)) for u, t, d in rows}

    # -- saved audio (reconstructions and references, FLAC files beside the store) -------------
    def record_audio(self, run_id: int, rows: Iterable[tuple[str, str, str, str, int, int, int,
                                                             str | None]]) -> None:
        """(dataset, variant, utterance, path relative to the store's folder, sample rate,
        frames, bytes, extra JSON) of saved files; a redone utterance replaces its row."""
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO audio_files VALUES (?,?,?,?,?,?,?,?,?)",
                          [(run_id, *row) for row in rows])

    # -- reference-side cache -----------------------------------------------------------------
    def cached_reference(self, audio_hash: str, metric: str, version: str,
                         settings_hash: str) -> tuple[float | None, str | None] | None:
        row = self.conn.execute(
            "SELECT value, reason FROM reference_cache WHERE audio_hash=? AND metric=? AND "
            "metric_version=? AND settings_hash=?",
            (audio_hash, metric, version, settings_hash)).fetchone()
        return None if row is None else (row[0], row[1])

    def cache_reference(self, audio_hash: str, metric: str, version: str, settings_hash: str,
                        value: float | None, reason: str | None) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO reference_cache VALUES (?,?,?,?,?,?)",
                      (audio_hash, metric, version, settings_hash, value, reason))

    # -- reading back -------------------------------------------------------------------------
    def table(self, name: str, run_id: int) -> list[dict[str, Any]]:
        """All rows of a per-run table as dicts."""
        if name not in ("datasets", "variants", "metrics", "utterances", "results",
                        "corpus_results", "audio_files"):
            raise ValueError(f"unknown table {name!r}")
        cur = self.conn.execute(f"SELECT * FROM {name} WHERE run_id=?", (run_id,))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    def durations(self, run_id: int) -> Iterator[tuple[str, str, str, np.ndarray]]:
        """(dataset, variant, utterance, spans) for every stored variable-rate stream."""
        rows = self.conn.execute(
            "SELECT dataset, variant, utterance, durations FROM token_streams WHERE run_id=? "
            "AND durations IS NOT NULL", (run_id,))
        for dataset, variant, utt, blob in rows:
            spans = unpack_ids(blob)
            if spans is not None:
                yield dataset, variant, utt, spans


def summary_counts(store: Store, run_id: int
                   ) -> tuple[int, int, dict[str, str], dict[str, str]]:
    """(ok utterance rows, failed rows, skipped variants, skipped metrics) of a whole run."""
    counts = dict(store.conn.execute(
        "SELECT status, COUNT(*) FROM utterances WHERE run_id=? GROUP BY status", (run_id,)))
    variants = {r["variant"]: r["reason"] or "" for r in store.table("variants", run_id)
                if r["status"] != "ok"}
    metrics = {r["metric"]: r["reason"] or "" for r in store.table("metrics", run_id)
               if r["status"] != "ok"}
    ok = int(counts.pop("ok", 0))
    return ok, int(sum(counts.values())), variants, metrics
