"""Metrics as the runner uses them: loaded with their suite settings, scored with failures
isolated per item, and CPU signal metrics farmed out to a spawn-based worker pool."""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import torch

from bench.execution import timing
from bench.metrics.base import Metric, MetricInput, MetricValue
from bench.registry import load_metric
from bench.suite import MetricSpec

Scored = list[tuple[float | None, str | None]]
"""(value, reason) per item, in the order the items were given."""


@dataclass
class LoadedMetric:
    """A usable metric with its suite settings (for the reference cache key)."""

    metric: Metric
    settings: dict[str, Any]

    @property
    def id(self) -> str:
        return self.metric.info.id

    @property
    def settings_hash(self) -> str:
        text = json.dumps(self.settings, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def reference_free(self) -> bool:
        """Meaningful on the ground truth itself (DNSMOS, UTMOS, WER): shown as a report row."""
        info = self.metric.info
        return not info.needs_reference and not info.needs_tokens

    @property
    def pool_safe(self) -> bool:
        """A cheap CPU signal metric worth sending to worker processes."""
        info = self.metric.info
        return not info.uses_gpu and info.model is None and not info.needs_tokens


def try_load_metric(spec: MetricSpec) -> tuple[Metric | None, str | None]:
    """Build a suite metric, or say why it cannot run here (never raises)."""
    try:
        metric = load_metric(spec.id, **spec.settings)
    except Exception as err:  # unknown id, missing dependency, bad settings
        return None, f"{type(err).__name__}: {err}"
    try:
        reason = metric.unavailable_reason()
    except Exception as err:
        reason = f"availability check failed: {type(err).__name__}: {err}"
    return (None, reason) if reason else (metric, None)


def picklable(obj: object) -> bool:
    """Whether ``obj`` can be sent to a worker process."""
    try:
        pickle.dumps(obj)
    except Exception:
        return False
    return True


def compute_guarded(metric: Metric, items: list[MetricInput]) -> Scored:
    """Score a batch; if the batch call raises, score items one by one to isolate the culprit."""
    if not items:
        return []
    try:
        start = timing.clock()
        values = metric.compute(items)
        timing.record(f"metric:{metric.info.id}", start, audio_seconds(items))
        check_values(values, len(items))
        return [(v.value, v.reason) for v in values]
    except Exception as err:
        if len(items) == 1:
            return [(None, f"{metric.info.id} raised {type(err).__name__}: {err}")]
    out: Scored = []
    for item in items:
        out.extend(compute_guarded(metric, [item]))
    return out


def audio_seconds(items: list[MetricInput]) -> float:
    """Seconds of audio a metric batch covers (the hypotheses, else the references)."""
    total = 0.0
    for item in items:
        audio, sr = ((item.hypothesis, item.hypothesis_sr) if item.hypothesis is not None
                     else (item.reference, item.reference_sr))
        if audio is not None and sr:
            total += len(audio) / sr
    return total


def check_values(values: object, n: int) -> None:
    if not isinstance(values, list) or len(values) != n:
        raise TypeError(f"compute returned {type(values).__name__} of wrong length, expected {n}")
    for v in values:
        if not isinstance(v, MetricValue):
            raise TypeError(f"compute returned {type(v).__name__}, expected MetricValue")


_WORKER_METRICS: list[Metric] = []


def _init_worker(payload: bytes) -> None:
    torch.set_num_threads(1)
    _WORKER_METRICS.extend(pickle.loads(payload))


def _worker_ready() -> bool:
    return True


def _score_in_worker(items: list[MetricInput]) -> dict[str, Scored]:
    return {m.info.id: compute_guarded(m, items) for m in _WORKER_METRICS}


class MetricPool:
    """CPU signal metrics scored in spawned worker processes while the main process tokenizes
    the next batch. If the pool breaks, scoring falls back to the calling process."""

    def __init__(self, metrics: list[LoadedMetric], workers: int,
                 log: Callable[[str], None]) -> None:
        self.metrics = metrics
        self.log = log
        self.executor: ProcessPoolExecutor | None = None
        if metrics and workers > 0:
            payload = pickle.dumps([m.metric for m in metrics])
            self.executor = ProcessPoolExecutor(max_workers=workers,
                                                mp_context=get_context("spawn"),
                                                initializer=_init_worker, initargs=(payload,))
            for _ in range(workers):  # start the workers now, while the main process loads data
                self.executor.submit(_worker_ready)

    def submit(self, items: list[MetricInput]) -> Future | None:
        """Queue a batch for the workers; None when there is nothing to send or no pool."""
        if self.executor is None or not items or not self.metrics:
            return None
        try:
            return self.executor.submit(_score_in_worker, items)
        except BrokenProcessPool as err:
            self._broken(err)
            return None

    def collect(self, future: Future | None, items: list[MetricInput]) -> dict[str, Scored]:
        """Values of a submitted batch by metric id; scored here when the workers could not."""
        scored: dict[str, Scored] = {}
        if future is not None:
            try:
                scored = future.result()
            except BrokenProcessPool as err:
                self._broken(err)
            except Exception as err:  # e.g. an item that cannot be pickled: score it here
                self.log(f"metric worker error ({type(err).__name__}: {err}); scoring inline")
        if self.metrics and not scored:
            scored = {m.id: compute_guarded(m.metric, items) for m in self.metrics}
        return scored

    def shutdown(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def _broken(self, err: BaseException) -> None:
        """Workers died (e.g. a script without a __main__ guard): score inline from now on."""
        self.log(f"metric worker pool failed ({type(err).__name__}: {err}); "
                 "computing CPU metrics inline")
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = None
