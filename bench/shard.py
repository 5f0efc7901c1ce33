"""Deterministic shards of a suite's utterances, for Slurm arrays and other schedulers.

An utterance belongs to shard ``i`` of ``N`` when ``sha256(utterance id) mod N == i``: the
assignment depends only on the id, never on manifest order, batch size or which machine runs
it, so N shard stores merged (``tokbench merge``) hold exactly the rows of a single run.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

SHARD_TABLE = """
CREATE TABLE IF NOT EXISTS run_shards (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    shard_index INTEGER NOT NULL,
    shard_count INTEGER NOT NULL,
    UNIQUE (run_id)
);
"""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (0-based) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index}/{self.count}: need 0 <= i < N and N >= 1")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, utterance_id: str) -> bool:
        """Whether this shard evaluates ``utterance_id``."""
        return shard_of(utterance_id, self.count) == self.index

    def select(self, utterances: list[T], key: str = "id") -> list[T]:
        """The items (utterances) of this shard, in their given order."""
        return [u for u in utterances if self.owns(str(getattr(u, key)))]


def shard_of(utterance_id: str, count: int) -> int:
    """Stable shard number of an utterance id: first 8 bytes of its sha256, modulo ``count``."""
    digest = hashlib.sha256(utterance_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str) -> Shard:
    """``"i/N"`` (0-based i, as Slurm's ``--array=0-(N-1)`` gives it) to a Shard."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise ValueError(f"--shard {text!r}: expected i/N with 0 <= i < N, e.g. 0/4")
    return Shard(int(match.group(1)), int(match.group(2)))


def record_shard(conn: sqlite3.Connection, run_id: int, shard: Shard) -> None:
    """Note in the store which shard a run evaluated (merge checks the set is complete)."""
    with conn:
        conn.executescript(SHARD_TABLE)
        conn.execute("INSERT OR REPLACE INTO run_shards VALUES (?,?,?)",
                     (run_id, shard.index, shard.count))


def recorded_shard(conn: sqlite3.Connection, run_id: int) -> Shard | None:
    """The shard a run evaluated, or None for an unsharded run."""
    has = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='run_shards'"
                       ).fetchone()
    if not has:
        return None
    row = conn.execute("SELECT shard_index, shard_count FROM run_shards WHERE run_id=?",
                       (run_id,)).fetchone()
    return None if row is None else Shard(int(row[0]), int(row[1]))
