"""Per-stage wall time and audio seconds (load, encode, decode, each metric, store), collected
only when a benchmark turns it on: off, each probe is one attribute check.

    with collecting() as stages:
        run_suite(suite)
    stages["encode"].audio_s / stages["encode"].seconds  # audio seconds per second
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch


@dataclass
class Stage:
    seconds: float = 0.0
    audio_s: float = 0.0
    calls: int = 0

    @property
    def throughput(self) -> float:
        """Audio seconds processed per wall-clock second."""
        return self.audio_s / self.seconds if self.seconds > 0 else float("nan")


class _Collector:
    enabled: bool = False
    sync_cuda: bool = False
    stages: dict[str, Stage] = {}  # noqa: RUF012 - one process-wide collector


def clock() -> float:
    """A start time for ``record`` (0.0 when collection is off)."""
    if not _Collector.enabled:
        return 0.0
    if _Collector.sync_cuda:
        torch.cuda.synchronize()
    return time.perf_counter()


def record(name: str, start: float, audio_s: float) -> None:
    """Add the time since ``start`` and ``audio_s`` seconds of audio to stage ``name``."""
    if not _Collector.enabled:
        return
    if _Collector.sync_cuda:
        torch.cuda.synchronize()  # GPU work is asynchronous: charge it to its own stage
    stage = _Collector.stages.setdefault(name, Stage())
    stage.seconds += time.perf_counter() - start
    stage.audio_s += audio_s
    stage.calls += 1


@contextmanager
def collecting(sync_cuda: bool | None = None) -> Iterator[dict[str, Stage]]:
    """Turn collection on for the block; yields the live stage table."""
    _Collector.stages = {}
    _Collector.enabled = True
    _Collector.sync_cuda = torch.cuda.is_available() if sync_cuda is None else sync_cuda
    try:
        yield _Collector.stages
    finally:
        _Collector.enabled = False
