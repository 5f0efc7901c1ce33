"""Crash containment for metric code: child processes that die with their parent, and one-off
isolated calls whose native crash (a segfault in the pesq C library) becomes a reason string
instead of killing the caller.

Every worker and isolated child calls ``die_with_parent`` first: on Linux the kernel sends it
SIGKILL when the parent dies (``prctl(PR_SET_PDEATHSIG)``), and a watchdog thread that polls
``os.getppid()`` covers other systems and the race before prctl takes effect. So a ``kill -9``
of the main process leaves no ~600 MB metric workers (and hence no resource tracker) behind.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing import get_context
from typing import Any

PR_SET_PDEATHSIG = 1
WATCHDOG_SECONDS = 0.5


def die_with_parent(parent_pid: int | None = None) -> None:
    """Make this process exit as soon as its parent does (call first thing in a child)."""
    expected = os.getppid() if parent_pid is None else parent_pid
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc/prctl: the watchdog still works
            pass
    if os.getppid() != expected:  # the parent died before prctl took effect
        os._exit(1)
    thread = threading.Thread(target=_watch_parent, args=(expected,), daemon=True,
                              name="tokbench-parent-watchdog")
    thread.start()


def _watch_parent(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(WATCHDOG_SECONDS)


class ChildCrashed(RuntimeError):
    """An isolated child process died without answering (signal or hard exit)."""

    def __init__(self, exitcode: int | None) -> None:
        self.exitcode = exitcode
        super().__init__(describe_exit(exitcode))


def describe_exit(exitcode: int | None) -> str:
    """'signal 11 (SIGSEGV)' for a negative exit code, 'exit code 3' otherwise."""
    if exitcode is None:
        return "no exit code (still running or timed out)"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown"
        return f"signal {-exitcode} ({name})"
    return f"exit code {exitcode}"


def _stream_main(conn: Any, parent_pid: int, payload: bytes) -> None:
    """Child body: run ``func(task)`` for each task, sending each result as soon as it exists,
    so the parent knows exactly which task was running when the process died."""
    die_with_parent(parent_pid)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    try:
        func, tasks = pickle.loads(payload)
    except BaseException as err:
        conn.send_bytes(pickle.dumps((-1, False, f"{type(err).__name__}: {err}")))
        conn.close()
        return
    for index, task in enumerate(tasks):
        try:
            message = (index, True, func(task))
        except BaseException as err:  # reported to the parent, which decides
            message = (index, False, f"{type(err).__name__}: {err}")
        try:
            conn.send_bytes(pickle.dumps(message))
        except Exception as err:  # unpicklable result
            conn.send_bytes(pickle.dumps((index, False, f"result could not be sent: {err}")))
    conn.close()


def stream_isolated(func: Callable[[Any], Any], tasks: list[Any],
                    timeout: float | None = None) -> list[Any]:
    """``[func(t) for t in tasks]`` computed in fresh spawned processes. A task whose process
    dies (segfault, hard exit) or exceeds ``timeout`` seconds yields a ``ChildCrashed`` in its
    place, one that raised yields a ``RuntimeError`` with the error text; the remaining tasks go
    on in a new process. One process is started per crash, not per task."""
    results: list[Any] = [None] * len(tasks)
    start = 0
    while start < len(tasks):
        done, crash = _stream_once(func, tasks, start, results, timeout)
        if crash is None:
            break
        results[done] = crash
        start = done + 1
    return results


def _stream_once(func: Callable[[Any], Any], tasks: list[Any], start: int,
                 results: list[Any], timeout: float | None
                 ) -> tuple[int, ChildCrashed | None]:
    """Run tasks[start:] in one child; returns (index of the task it died on, crash) or
    (len, None) when it finished."""
    ctx = get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    payload = pickle.dumps((func, tasks[start:]))
    proc = ctx.Process(target=_stream_main, args=(sender, os.getpid(), payload), daemon=True)
    proc.start()
    sender.close()
    next_index = start
    finished = False
    try:
        while next_index < len(tasks):
            if not receiver.poll(timeout):
                break
            index, ok, value = pickle.loads(receiver.recv_bytes())
            if index < 0:  # the payload itself could not be loaded: every task fails alike
                for k in range(next_index, len(tasks)):
                    results[k] = RuntimeError(value)
                next_index = len(tasks)
                break
            results[start + index] = value if ok else RuntimeError(value)
            next_index = start + index + 1
        finished = next_index >= len(tasks)
    except (EOFError, OSError):  # the child died mid-task
        pass
    finally:
        receiver.close()
    if not finished and proc.is_alive():
        proc.kill()
    proc.join()
    if finished:
        return len(tasks), None
    return next_index, ChildCrashed(proc.exitcode)
