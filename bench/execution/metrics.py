"""Metrics as the runner uses them: loaded with their suite settings, scored with failures
isolated per item, and CPU signal metrics farmed out to a spawn-based worker pool whose
native crashes are contained (see ``bench.execution.isolation``)."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import pickle
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import torch

from bench.execution import timing
from bench.execution.isolation import ChildCrashed, die_with_parent, stream_isolated
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


def try_load_metric(spec: MetricSpec, length_policy: str = "truncate"
                    ) -> tuple[Metric | None, str | None]:
    """Build a suite metric, or say why it cannot run here (never raises). A run-wide
    ``length_policy`` other than truncate reaches every metric that takes one, unless the
    metric's own settings choose."""
    try:
        metric = load_metric(spec.id, **spec.settings)
        if (length_policy != "truncate" and "length_policy" not in spec.settings
                and "length_policy" in inspect.signature(type(metric)).parameters):
            metric = load_metric(spec.id, **spec.settings, length_policy=length_policy)
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


def _init_worker(payload: bytes, parent_pid: int | None = None) -> None:
    die_with_parent(parent_pid)
    torch.set_num_threads(1)
    _WORKER_METRICS.extend(pickle.loads(payload))


def _worker_ready() -> bool:
    return True


def _score_in_worker(items: list[MetricInput], only: tuple[str, ...] | None = None
                     ) -> dict[str, Scored]:
    return {m.info.id: compute_guarded(m, items) for m in _WORKER_METRICS
            if only is None or m.info.id in only}


class _TaskScorer:
    """Picklable body of an isolated child: ``(metric index, item) -> (value, reason)``."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def __call__(self, task: tuple[int, MetricInput]) -> tuple[float | None, str | None]:
        index, item = task
        return compute_guarded(self.metrics[index], [item])[0]


def crash_prone(metric: LoadedMetric) -> bool:
    """Runs native code that can kill its process (pesq's C library): never in the main one."""
    return bool(getattr(metric.metric, "native_crash_risk", False))


class MetricPool:
    """CPU signal metrics scored in spawned worker processes while the main process tokenizes
    the next batch. Workers die with the main process. A batch whose worker died (a segfault in
    native metric code) is re-scored item by item, then metric by metric, each in a fresh
    isolated process, so only the culprit is recorded as failed (with the signal) and the run
    goes on; crash-prone metrics are never computed in the main process."""

    def __init__(self, metrics: list[LoadedMetric], workers: int,
                 log: Callable[[str], None]) -> None:
        self.metrics = metrics
        self.log = log
        self.workers = max(1, int(workers))
        self.payload = pickle.dumps([m.metric for m in metrics]) if metrics else b""
        self.executor: ProcessPoolExecutor | None = None
        self.unusable: str | None = None  # workers cannot start at all (e.g. no __main__ guard)
        if metrics:
            self._start()

    def _start(self) -> None:
        self.executor = ProcessPoolExecutor(max_workers=self.workers,
                                            mp_context=get_context("spawn"),
                                            initializer=_init_worker,
                                            initargs=(self.payload, os.getpid()))
        for _ in range(self.workers):  # start the workers now, while the main process loads data
            self.executor.submit(_worker_ready)

    def _executor(self) -> ProcessPoolExecutor | None:
        """The live executor, restarted when a crash broke the previous one."""
        if self.unusable is not None or not self.metrics:
            return None
        if self.executor is not None:
            try:
                self.executor.submit(_worker_ready)
                return self.executor
            except BrokenProcessPool:
                self.executor.shutdown(wait=False, cancel_futures=True)
        self.log("metric worker pool restarted after a worker died")
        self._start()
        return self.executor

    def submit(self, items: list[MetricInput], only: tuple[str, ...] | None = None
               ) -> Future | None:
        """Queue a batch for the workers; None when there is nothing to send."""
        executor = self._executor() if items else None
        if executor is None:
            return None
        try:
            return executor.submit(_score_in_worker, items, only)
        except BrokenProcessPool:
            return None

    def score(self, items: list[MetricInput], only: tuple[str, ...] | None = None
              ) -> dict[str, Scored]:
        """Score ``items`` now (submit + collect)."""
        return self.collect(self.submit(items, only), items, only)

    def collect(self, future: Future | None, items: list[MetricInput],
                only: tuple[str, ...] | None = None) -> dict[str, Scored]:
        """Values of a submitted batch by metric id; crashes isolated to their culprits."""
        wanted = [m for m in self.metrics if only is None or m.id in only]
        if not items or not wanted:
            return {}
        if future is not None:
            try:
                return future.result()
            except BrokenProcessPool as err:
                self.log(f"a metric worker died ({err}); re-scoring the batch of {len(items)} "
                         "item by item in isolated processes")
            except Exception as err:  # e.g. an item that cannot be pickled
                self.log(f"metric worker error ({type(err).__name__}: {err}); re-scoring in "
                         "isolated processes")
        return self._isolate(items, wanted)

    def _isolate(self, items: list[MetricInput], metrics: list[LoadedMetric]
                 ) -> dict[str, Scored]:
        """Score every (item, metric) in fresh isolated processes that report each value as
        it is computed; the one running when a process dies is recorded with the signal."""
        tasks = [(k, item) for item in items for k in range(len(metrics))]
        results: list[Any] = [ChildCrashed(None)] * len(tasks)
        if self.unusable is None:
            results = stream_isolated(_TaskScorer([m.metric for m in metrics]), tasks)
        out: dict[str, Scored] = {m.id: [] for m in metrics}
        for (k, item), result in zip(tasks, results, strict=True):
            metric = metrics[k]
            if isinstance(result, ChildCrashed):
                out[metric.id].extend(self._crashed(metric, item, result))
            elif isinstance(result, Exception):
                out[metric.id].append((None, f"{metric.id} could not be scored in a worker "
                                             f"process: {result}"))
            else:
                out[metric.id].append(tuple(result))  # type: ignore[arg-type]
        return out

    def _crashed(self, metric: LoadedMetric, item: MetricInput, crash: ChildCrashed) -> Scored:
        """A metric whose isolated process died: failed if it died on a signal or is
        crash-prone; a pure-Python metric whose worker could not start is scored here."""
        signalled = crash.exitcode is not None and crash.exitcode < 0
        if not signalled and self.unusable is None:
            self.unusable = str(crash)
            self.log(f"metric worker processes cannot start ({crash}); pure-Python metrics are "
                     "computed in the main process, crash-prone ones are recorded as failed")
        if signalled or crash_prone(metric):
            what = "crashed the worker process" if signalled else "could not run in a worker"
            return [(None, f"{metric.id} {what} ({crash})")]
        return compute_guarded(metric.metric, [item])

    def shutdown(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
