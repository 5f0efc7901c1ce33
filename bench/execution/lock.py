"""Tell a live run from a dead one: each run holds an exclusive ``fcntl`` lock on a small file
next to the store while it executes, and writes its pid, host and start time into it.

The kernel drops the lock the moment the process dies (``kill -9`` included), so a run whose
lock can be taken is dead and may be resumed; one whose lock is held is still running and
``--resume`` refuses to attach to it (13 utterances were computed twice before). On systems
without ``fcntl`` the lock is a no-op and resume trusts the run status alone.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class RunLocked(RuntimeError):
    """The run to resume is still executing in another process (one-line message)."""


def lock_path(store_path: Path | str, run_id: int) -> Path:
    """``<store>.run-<id>.lock`` beside the store file."""
    store_path = Path(store_path)
    return store_path.with_name(f"{store_path.name}.run-{run_id}.lock")


class RunLock:
    """Exclusive, non-blocking lock of one run; ``release`` (or process death) frees it."""

    def __init__(self, store_path: Path | str, run_id: int) -> None:
        self.path = lock_path(store_path, run_id)
        self.run_id = run_id
        self.handle: IO[str] | None = None

    def acquire(self) -> RunLock:
        """Take the lock or raise ``RunLocked`` naming the process that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                holder = _describe(handle.read())
                handle.close()
                raise RunLocked(
                    f"run {self.run_id} is still running ({holder}); wait for it to finish or "
                    f"stop it before --resume (lock {self.path})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": datetime.now(timezone.utc).isoformat(
                                     timespec="seconds")}))
        handle.flush()
        self.handle = handle
        return self

    def release(self) -> None:
        if self.handle is None:
            return
        try:
            self.handle.seek(0)
            self.handle.truncate()
            if fcntl is not None:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        finally:
            self.handle.close()
            self.handle = None
        # The file stays: unlinking it would let a process holding the old inode and one
        # opening a new file both believe they own the run.

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe(text: str) -> str:
    try:
        info = json.loads(text)
        return f"pid {info['pid']} on {info['host']} since {info['since']}"
    except (json.JSONDecodeError, KeyError, TypeError):
        return "by another process"
