"""Merge shard stores (``tokbench run --shard i/N``) into one store that equals a single run.

Each input's run must be complete and of the same suite configuration (config hash). Rows are
copied verbatim; an utterance present in two inputs is refused (a duplicate when the rows agree,
a conflict when they differ), as are setup records (datasets, variants, metrics) that disagree.
Corpus summaries (ratios of sums) cannot be added across shards, so they are rebuilt from the
merged per-utterance rows with the same code the runner uses (``bench.execution.corpus``).
Saved reconstructions (``audio_files``) are copied beside the merged store, under the merged
run's folder, so its report plays the same audio a single run's would.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.data.manifest import read_manifest
from bench.execution.corpus import write_corpus_summaries
from bench.execution.metrics import LoadedMetric
from bench.paths import RECONSTRUCTIONS_DIR, UnsafePathError, safe_join
from bench.registry import load_metric
from bench.shard import Shard, record_shard, recorded_shard
from bench.store import Store
from bench.suite import GROUND_TRUTH

SETUP_TABLES = ("datasets", "variants", "metrics")
"""Per-run tables describing the run itself: must agree across shards (datasets: but for n)."""
DERIVED_TABLES = ("corpus_results", "run_shards")
"""Per-run tables rebuilt by the merge, never copied."""


class MergeError(ValueError):
    """Stores that cannot be merged; the message says which and why."""


@dataclass
class MergeResult:
    run_id: int
    name: str
    inputs: list[tuple[str, int, Shard | None]]
    rows: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Source:
    path: Path
    conn: sqlite3.Connection
    run: dict[str, Any]
    shard: Shard | None

    @property
    def label(self) -> str:
        shard = f", shard {self.shard}" if self.shard else ""
        return f"{self.path} (run {self.run['id']}{shard})"


def merge_stores(inputs: list[Path | str], out: Path | str, run: str | None = None,
                 allow_partial: bool = False,
                 log: Callable[[str], None] = print) -> MergeResult:
    """Merge the newest run (or ``run``, an id or name) of each input store into ``out``."""
    out = Path(out)
    paths = [Path(p) for p in inputs]
    if not paths:
        raise MergeError("give at least one store to merge")
    if out.exists():
        raise MergeError(f"{out} exists; merge writes a new store, choose another --out")
    seen: set[Path] = set()
    for p in paths:
        if not p.is_file():
            raise MergeError(f"store {p} not found")
        if p.resolve() in seen:
            raise MergeError(f"store {p} given twice")
        seen.add(p.resolve())
    sources = [_open(p, run) for p in paths]
    try:
        _check_compatible(sources, allow_partial)
        with Store(out) as store:
            result = _merge_into(store, sources, log)
    except BaseException:
        out.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{out}{suffix}").unlink(missing_ok=True)
        raise
    finally:
        for s in sources:
            s.conn.close()
    return result


# -- inputs -------------------------------------------------------------------------------------
def _open(path: Path, run: str | None) -> _Source:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        if run is None:
            row = conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        elif run.isdigit():
            row = conn.execute("SELECT * FROM runs WHERE id=?", (int(run),)).fetchone()
        else:
            row = conn.execute("SELECT * FROM runs WHERE name=? ORDER BY id DESC LIMIT 1",
                               (run,)).fetchone()
    except sqlite3.DatabaseError as err:
        conn.close()
        raise MergeError(f"{path} is not a tokbench store ({err})") from err
    if row is None:
        conn.close()
        raise MergeError(f"{path} holds no run" + (f" {run!r}" if run else ""))
    run_row = dict(row)
    if run_row["status"] != "complete":
        conn.close()
        raise MergeError(f"{path}: run {run_row['id']} is {run_row['status']}, not complete; "
                         "finish it with `tokbench run SUITE --shard ... --resume` first")
    return _Source(path, conn, run_row, recorded_shard(conn, run_row["id"]))


def _check_compatible(sources: list[_Source], allow_partial: bool) -> None:
    hashes = {s.run["config_hash"] for s in sources}
    names = {s.run["name"] for s in sources}
    if len(hashes) > 1 or len(names) > 1:
        listing = "; ".join(f"{s.label}: {s.run['name']} config {s.run['config_hash']}"
                            for s in sources)
        raise MergeError(f"suites differ (name or config hash), refusing to merge: {listing}")
    shards = [s.shard for s in sources]
    if any(sh is None for sh in shards):
        if len(sources) > 1:
            unsharded = [s.label for s in sources if s.shard is None]
            raise MergeError(f"{', '.join(unsharded)}: not a shard run; merge combines "
                             "`tokbench run --shard i/N` stores (one per shard)")
        return
    counts = {sh.count for sh in shards if sh is not None}
    if len(counts) > 1:
        raise MergeError(f"shards cut the data differently (N = {sorted(counts)}); "
                         "merge shards of one --shard i/N split")
    count = counts.pop()
    by_index: dict[int, _Source] = {}
    for s in sources:
        assert s.shard is not None
        if s.shard.index in by_index:
            raise MergeError(f"duplicate shard {s.shard}: {by_index[s.shard.index].label} and "
                             f"{s.label}")
        by_index[s.shard.index] = s
    missing = sorted(set(range(count)) - set(by_index))
    if missing and not allow_partial:
        raise MergeError(f"missing shard(s) {', '.join(f'{i}/{count}' for i in missing)}; "
                         "give every shard's store (or --allow-partial for a subset)")


# -- writing ------------------------------------------------------------------------------------
def _merge_into(store: Store, sources: list[_Source], log: Callable[[str], None]) -> MergeResult:
    first = sources[0].run
    config = json.loads(first["config_json"])
    devices = sorted({s.run["device"] or "unknown" for s in sources})
    commits = sorted({s.run["git_commit"] or "unknown" for s in sources})
    run_id = store.create_run(first["name"], first["config_hash"], config, ",".join(commits),
                              json.loads(first["packages_json"] or "{}"), "; ".join(devices),
                              int(first["seed"] or 0))
    result = MergeResult(run_id, first["name"],
                         [(str(s.path), int(s.run["id"]), s.shard) for s in sources])
    packages = {s.run["packages_json"] for s in sources}
    if len(packages) > 1:
        result.warnings.append("package versions differ between the inputs; the merged run "
                               f"records those of {sources[0].label}")
    shards = [s.shard for s in sources if s.shard is not None]
    if shards and len(shards) < shards[0].count:
        result.warnings.append(f"partial merge: {len(shards)} of {shards[0].count} shards")
    with store.transaction() as c:
        _merge_setup(c, run_id, sources, result)
        audio = _AudioMover(Path(store.path).parent, run_id)
        for table in _row_tables(sources):
            result.rows[table] = _copy_rows(c, table, run_id, sources,
                                            audio.relocate if table == "audio_files" else None)
        result.warnings += audio.problems()
        _merge_reference_cache(c, sources)
    _rebuild_corpus(store, run_id, config, result)
    store.set_run_status(run_id, "complete")
    for warning in result.warnings:
        log(f"warning: {warning}")
    return result


def _table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def _row_tables(sources: list[_Source]) -> list[str]:
    """Per-utterance tables with a run_id column (other helpers' tables included)."""
    tables: list[str] = []
    for s in sources:
        for (name,) in s.conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            if (name not in tables and name not in ("runs", *SETUP_TABLES, *DERIVED_TABLES)
                    and "run_id" in _table_columns(s.conn, name)):
                tables.append(name)
    return tables


def _rows(source: _Source, table: str) -> list[dict[str, Any]]:
    has = source.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                              (table,)).fetchone()
    if not has:
        return []
    cur = source.conn.execute(f"SELECT * FROM {table} WHERE run_id=?", (source.run["id"],))
    return [{k: v for k, v in dict(r).items() if k != "run_id"} for r in cur.fetchall()]


def _merge_setup(c: sqlite3.Connection, run_id: int, sources: list[_Source],
                 result: MergeResult) -> None:
    """datasets (n summed), variants and metrics (identical in every input)."""
    keys = {"datasets": ("dataset",), "variants": ("variant",), "metrics": ("metric",)}
    for table in SETUP_TABLES:
        merged: dict[tuple, dict[str, Any]] = {}
        origin: dict[tuple, _Source] = {}
        for s in sources:
            for row in _rows(s, table):
                key = tuple(row[k] for k in keys[table])
                if key not in merged:
                    merged[key], origin[key] = dict(row), s
                    continue
                mine = {k: v for k, v in row.items() if k != "n_utterances"}
                theirs = {k: v for k, v in merged[key].items() if k != "n_utterances"}
                if mine != theirs:
                    diff = sorted(k for k in mine if mine[k] != theirs.get(k))
                    raise MergeError(
                        f"conflicting {table} record {key[0]!r} ({', '.join(diff)}): "
                        f"{origin[key].label} has {[theirs[k] for k in diff]}, {s.label} has "
                        f"{[mine[k] for k in diff]}")
                if table == "datasets":
                    merged[key]["n_utterances"] += row["n_utterances"]
        for row in merged.values():
            cols = ["run_id", *row]
            c.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                      f"({', '.join('?' * len(cols))})", (run_id, *row.values()))
        result.rows[table] = len(merged)
    shards = [s.shard for s in sources if s.shard is not None]
    if shards and len(shards) < shards[0].count:  # a partial merge remains a shard subset
        record_shard(c, run_id, Shard(shards[0].index, shards[0].count))


RowHook = Callable[[_Source, dict[str, Any]], "dict[str, Any] | None"]


def _copy_rows(c: sqlite3.Connection, table: str, run_id: int, sources: list[_Source],
               transform: RowHook | None = None) -> int:
    """Copy one per-utterance table; an identity key seen twice is a duplicate or conflict.
    ``transform`` may rewrite a row (after the duplicate check) or drop it (None)."""
    columns = None
    key_cols = ("dataset", "variant", "utterance", "metric")
    seen: dict[tuple, tuple[_Source, dict[str, Any]]] = {}
    n = 0
    for s in sources:
        rows = _rows(s, table)
        for row in rows:
            present = [k for k in key_cols if k in row]
            key = tuple(row[k] for k in present) if present else tuple(row.values())
            if key in seen:
                other, before = seen[key]
                kind = "duplicate" if before == row else "conflicting values for"
                raise MergeError(f"{kind} {table} row {dict(zip(present, key, strict=True))} in "
                                 f"{other.label} and {s.label}; each utterance must come from "
                                 "exactly one shard")
            seen[key] = (s, row)
            if transform is not None and (row := transform(s, row)) is None:
                continue
            if columns is None:
                columns = ["run_id", *row]
                _ensure_table(c, s.conn, table)
            values = (run_id, *(row[k] for k in columns[1:]))
            c.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                      f"({', '.join('?' * len(columns))})", values)
            n += 1
    return n


class _AudioMover:
    """Copies each input's saved FLAC files to ``<out folder>/tokbench_audio/run<merged id>/``
    (paths confined to the input's folder) and rewrites their rows; a file that is missing or
    points outside its store's folder drops its row, counted in a warning."""

    def __init__(self, out_root: Path, run_id: int) -> None:
        self.out_root = out_root
        self.run_dir = Path(RECONSTRUCTIONS_DIR) / f"run{run_id}"
        self.missing: dict[str, int] = {}

    def relocate(self, source: _Source, row: dict[str, Any]) -> dict[str, Any] | None:
        parts = Path(str(row["path"])).parts
        try:
            src = safe_join(source.path.parent, *parts)
        except UnsafePathError:
            src = None
        if src is None or len(parts) < 3 or parts[0] != RECONSTRUCTIONS_DIR or not src.is_file():
            self.missing[source.label] = self.missing.get(source.label, 0) + 1
            return None
        rel = self.run_dir.joinpath(*parts[2:])  # drop tokbench_audio/run<shard id>/
        target = safe_join(self.out_root, rel)
        if not target.exists() or not target.samefile(src):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
        return {**row, "path": rel.as_posix()}

    def problems(self) -> list[str]:
        return [f"{n} saved audio file(s) of {label} are missing or outside its folder: "
                "not in the merged run" for label, n in self.missing.items()]


def _ensure_table(c: sqlite3.Connection, source: sqlite3.Connection, table: str) -> None:
    """Create a table another module added to the schema (same SQL as in the input)."""
    (sql,) = source.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name=?",
                            (table,)).fetchone()
    c.execute(sql.replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)
              if "IF NOT EXISTS" not in sql else sql)


def _merge_reference_cache(c: sqlite3.Connection, sources: list[_Source]) -> None:
    """Union of the reference-side caches; one key with two values is a conflict."""
    for s in sources:
        for row in s.conn.execute("SELECT * FROM reference_cache"):
            key = tuple(row)[:4]
            have = c.execute("SELECT value, reason FROM reference_cache WHERE audio_hash=? AND "
                             "metric=? AND metric_version=? AND settings_hash=?", key).fetchone()
            if have is None:
                c.execute("INSERT INTO reference_cache VALUES (?,?,?,?,?,?)", tuple(row))
            elif tuple(have) != tuple(row)[4:]:
                raise MergeError(f"conflicting cached reference value for metric {row[1]} "
                                 f"(audio {row[0]}): {tuple(have)} vs {tuple(row)[4:]} "
                                 f"from {s.label}")


def _rebuild_corpus(store: Store, run_id: int, config: dict[str, Any],
                    result: MergeResult) -> None:
    """Corpus values of every (dataset, variant) the runner would have summarised."""
    ok_metrics = {r["metric"] for r in store.table("metrics", run_id) if r["status"] == "ok"}
    metrics: list[LoadedMetric] = []
    for spec in config.get("metrics", []):
        try:
            metric = load_metric(spec["id"], **(spec.get("settings") or {}))
        except Exception as err:
            result.warnings.append(f"metric {spec['id']} cannot be loaded here ({err}); its "
                                   "corpus values are left out")
            continue
        if metric.info.id in ok_metrics:
            metrics.append(LoadedMetric(metric, dict(spec.get("settings") or {})))
    gt_metrics = [m for m in metrics if m.reference_free]
    variants = [v for v in store.table("variants", run_id) if v["status"] == "ok"]
    for data in store.table("datasets", run_id):
        manifest = Path(data["manifest"])
        if data["manifest"].startswith("unavailable"):
            continue
        try:
            ordered = read_manifest(manifest)
        except OSError as err:
            raise MergeError(f"dataset {data['dataset']!r}: the shards' manifest {manifest} "
                             f"cannot be read here ({err}); corpus values need it, so run merge "
                             "where the shards ran") from err
        if gt_metrics:
            write_corpus_summaries(store, run_id, data["dataset"], ordered, GROUND_TRUTH,
                                   gt_metrics, None)
        for v in variants:
            tok = SimpleNamespace(vocab_size=v["vocab_size"], frame_rate=v["frame_rate"])
            write_corpus_summaries(store, run_id, data["dataset"], ordered, v["variant"],
                                   metrics, tok)  # type: ignore[arg-type]
    result.rows["corpus_results"] = len(store.table("corpus_results", run_id))
