"""``tokbench run --engine ray``: variants evaluated by Ray actors, the store written by the driver.

Each actor (one per GPU, or per CPU slot) holds the metrics and the current variant's tokenizer
on its device and runs the local runner's per-batch code (``bench.engines.worker``) on the same
length buckets, so every number matches ``--engine local``. Audio moves by path (the actors read
it from the shared filesystem); records and reconstructions (FLAC bytes) stream back as they
finish and only the driver writes SQLite and audio files, so resume and skip reasons work as in
a local run. An actor that dies takes its in-flight batches with it: each is retried once,
alone, on a fresh actor, and if that actor dies too its utterances are recorded as failed with
the reason; the run completes.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.data.manifest import Utterance
from bench.engines.worker import BatchResult, VariantLoad, VariantWorker
from bench.execution.corpus import write_corpus_summaries
from bench.store import UtteranceRecord
from bench.suite import GROUND_TRUTH, VariantSpec

Prepared = tuple[str, Path, list[Utterance], dict[str, float]]


class WorkerDied(RuntimeError):
    """A Ray actor died (killed, out of memory, segfault) while scoring a batch."""


@dataclass
class _Task:
    index: int
    batch: list[Utterance]
    attempt: int = 0

    @property
    def exclusive(self) -> bool:
        """A retry runs alone on its actor, so a second death can be blamed on it."""
        return self.attempt > 0


@dataclass
class _Actor:
    handle: Any
    in_flight: int = 0
    exclusive: bool = False
    usable: bool = True  # False when the current variant could not be loaded on it


class RayEngine:
    """Run a suite's variants on Ray actors (``address``: None starts a local instance,
    ``auto`` joins a running cluster, ``ray://HOST:PORT`` a remote one)."""

    def __init__(self, address: str | None = None, actors: int | None = None,
                 setup: Callable[[], None] | None = None, max_in_flight: int = 2,
                 max_replacements: int | None = None, init_kwargs: dict[str, Any] | None = None,
                 kill_after_results: int | None = None) -> None:
        self.address = address
        self.n_actors = actors
        self.setup = setup
        self.max_in_flight = max_in_flight
        self.max_replacements = max_replacements
        self.init_kwargs = init_kwargs or {}
        self.kill_after_results = kill_after_results  # test hook: ray.kill one busy actor
        self.killed_by_hook = False
        self.actors: list[_Actor] = []
        self.started_ray = False
        self.replacements = 0
        self.results_seen = 0
        self.actor_options: dict[str, Any] = {}

    # -- lifecycle ----------------------------------------------------------------------------
    def _start(self, run: Any) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                     **self.init_kwargs)
            self.started_ray = True
        resources = ray.cluster_resources()
        device = str(run.suite.batch.device)
        gpus = float(resources.get("GPU", 0))
        use_gpu = device.startswith("cuda") or (device == "auto" and gpus >= 1)
        if device.startswith("cuda") and gpus < 1:
            raise RuntimeError(f"device {device} requested but the Ray cluster has no GPU "
                               f"(resources: {dict(resources)})")
        if use_gpu:  # a GPU actor also scores the CPU metrics: give it its share of the CPUs
            count = self.n_actors or int(gpus)
            cpus = max(1, int(float(resources.get("CPU", 1)) // max(count, 1)))
            self.actor_options = {"num_gpus": 1, "num_cpus": cpus}
        else:
            self.actor_options = {"num_cpus": 1}
            count = self.n_actors or max(1, int(resources.get("CPU", 1)))
        if self.max_replacements is None:
            self.max_replacements = 2 * count
        self.remote_cls = ray.remote(max_restarts=0)(VariantWorker)
        self.actors = [self._new_actor(run) for _ in range(count)]
        devices = sorted(set(ray.get([a.handle.describe.remote() for a in self.actors])))
        with run.store.transaction() as c:  # provenance names the devices that computed
            c.execute("UPDATE runs SET device=? WHERE id=?",
                      (f"ray {count} actor(s): " + "; ".join(devices), run.run_id))
        run.log(f"ray engine: {count} actor(s) on {', '.join(devices)}")

    def _new_actor(self, run: Any) -> _Actor:
        from bench.engines.worker import driver_permissions

        handle = self.remote_cls.options(**self.actor_options).remote(run.suite, self.setup,
                                                                      driver_permissions())
        return _Actor(handle)

    def shutdown(self) -> None:
        """Kill the actors; stop Ray only if this engine started it."""
        try:
            import ray
        except ImportError:
            return
        for actor in self.actors:
            with contextlib.suppress(Exception):  # already dead
                ray.kill(actor.handle)
        self.actors = []
        if self.started_ray and ray.is_initialized():
            ray.shutdown()
            self.started_ray = False

    # -- the runner's hook --------------------------------------------------------------------
    def run_variants(self, run: Any, datasets: list[Prepared]) -> None:
        """Evaluate every variant of ``run``'s suite on every prepared dataset."""
        if not self.actors:
            self._start(run)
        for variant in run.suite.variants:
            tok = self._load_variant(run, variant)
            if tok is None:
                continue
            for data in datasets:
                self._run_dataset(run, data, variant)
                write_corpus_summaries(run.store, run.run_id, data[0], data[2], variant.name,
                                       run.pool_metrics + run.inline_metrics, tok)

    def _load_variant(self, run: Any, variant: VariantSpec) -> Any:
        """Build the tokenizer on every actor; record the variant (or its skip) like local."""
        import ray

        loads: list[VariantLoad | BaseException] = []
        actors = list(self.actors)
        for actor in actors:
            try:
                loads.append(ray.get(actor.handle.load_variant.remote(variant)))
            except Exception as err:  # the actor is dead (died loading, or earlier while idle)
                loads.append(err)
        good = [ld for ld in loads if isinstance(ld, VariantLoad) and ld.skipped is None]
        first = next((ld for ld in loads if isinstance(ld, VariantLoad)), None)
        chosen = good[0] if good else first
        if chosen is None:
            raise WorkerDied(f"every Ray actor died loading variant {variant.name}: {loads[0]}")
        for name, args, kwargs in chosen.calls:  # the worker's store calls, on the real store
            getattr(run.store, name)(run.run_id, *args[1:], **kwargs)
        for actor, ld in zip(actors, loads, strict=True):
            if isinstance(ld, BaseException):  # a dead actor is replaced, not left unused
                run.log(f"ray actor died before variant {variant.name}; replacing it")
                self._replace(run, actor, variant if good else None)
                continue
            actor.usable = ld.skipped is None
            if not actor.usable and good:
                run.log(f"ray actor could not load {variant.name}; not using it for this variant")
        if not good:
            run.summary.skipped_variants[variant.name] = chosen.skipped
            run.log(f"variant {variant.name} skipped: {chosen.skipped}")
            return None
        return SimpleNamespace(vocab_size=chosen.vocab_size, frame_rate=chosen.frame_rate)

    def ground_truth(self, run: Any) -> Callable[..., None]:
        """The runner's ground-truth step, done by the actors (same code, same buckets); the
        driver answers reference-cache hits from its store and keeps the new entries."""
        def run_ground_truth(dataset: str, root: Path, ordered: list[Utterance],
                             seconds: dict[str, float], metrics: list[Any]) -> None:
            import ray

            if not self.actors:
                self._start(run)
            done = run.store.completed_utterances(run.run_id, dataset, GROUND_TRUTH)
            batches = run._batches(ordered, seconds, done)
            ids = [m.id for m in metrics]
            marks = ",".join("?" * len(ids))
            snapshot = {tuple(row[:4]): (row[4], row[5]) for row in run.store.conn.execute(
                f"SELECT * FROM reference_cache WHERE metric IN ({marks})", ids)}
            cache_ref = ray.put(snapshot)

            def submit(actor: _Actor, task: _Task) -> Any:
                return actor.handle.process_ground_truth.remote(
                    dataset, root, task.batch, {u.id: seconds[u.id] for u in task.batch}, ids,
                    cache_ref)

            def accept(result: Any) -> list[UtteranceRecord]:
                records, new_cache = result
                for key, value in new_cache:
                    run.store.cache_reference(*key, *value)
                return records

            self._drive(run, dataset, GROUND_TRUTH, None, batches, submit, accept, metrics)
        return run_ground_truth

    def _run_dataset(self, run: Any, data: Prepared, variant: VariantSpec) -> None:
        dataset, root, ordered, seconds = data
        done = run.store.completed_utterances(run.run_id, dataset, variant.name)

        def submit(actor: _Actor, task: _Task) -> Any:
            saved = run.audio.saved_references(dataset, [u.id for u in task.batch])
            return actor.handle.process.remote(dataset, root, task.batch, variant, saved)

        def accept(result: BatchResult) -> list[UtteranceRecord]:
            for item in result.audio:  # the driver alone writes files and rows
                run.audio.add_encoded(item)
            return result.records

        self._drive(run, dataset, variant.name, variant, run._batches(ordered, seconds, done),
                    submit, accept, run.pool_metrics + run.inline_metrics)

    def _drive(self, run: Any, dataset: str, name: str, variant: VariantSpec | None,
               batches: list[list[Utterance]], submit: Callable[[_Actor, _Task], Any],
               accept: Callable[[Any], list[UtteranceRecord]], metrics: list[Any]) -> None:
        """Stream batches through the actors, writing each result as it arrives; a batch whose
        actor died is retried once, alone, then recorded as failed."""
        import ray
        from ray.exceptions import RayActorError

        queue = collections.deque(_Task(i, b) for i, b in enumerate(batches))
        in_flight: dict[Any, tuple[_Actor, _Task]] = {}
        while queue or in_flight:
            self._dispatch(queue, in_flight, submit)
            if not in_flight:  # no live actor can take work
                for task in queue:
                    self._write_failed(run, dataset, name, task.batch, metrics,
                                       "no live Ray actor left to run it")
                queue.clear()
                break
            (ref,), _ = ray.wait(list(in_flight), num_returns=1)
            actor, task = in_flight.pop(ref)
            actor.in_flight -= 1
            actor.exclusive = False
            try:
                records = accept(ray.get(ref))
            except RayActorError as err:
                self._replace(run, actor, variant)
                if task.attempt == 0:
                    queue.appendleft(_Task(task.index, task.batch, 1))
                    run.log(f"ray actor died on a batch of {len(task.batch)} ({dataset} / "
                            f"{name}); retrying it once")
                else:
                    self._write_failed(run, dataset, name, task.batch, metrics,
                                       f"Ray worker died twice on this batch: {_first_line(err)}")
                continue
            run.summary.utterances_failed += sum(r.status != "ok" for r in records)
            run._write(records)
            self.results_seen += 1
            if (self.kill_after_results is not None and not self.killed_by_hook
                    and self.results_seen >= self.kill_after_results):
                self._kill_busy_actor(in_flight)  # once, when a first try is still running

    def _dispatch(self, queue: collections.deque[_Task],
                  in_flight: dict[Any, tuple[_Actor, _Task]],
                  submit: Callable[[_Actor, _Task], Any]) -> None:
        """Give queued batches to live actors, at most ``max_in_flight`` each; a retry only to
        an idle actor, and nothing else to that actor while it runs."""
        progress = True
        while queue and progress:
            progress = False
            for actor in self.actors:
                if not queue:
                    break
                if not actor.usable or actor.exclusive or actor.in_flight >= self.max_in_flight:
                    continue
                task = queue[0]
                if task.exclusive and actor.in_flight:
                    continue
                queue.popleft()
                ref = submit(actor, task)
                in_flight[ref] = (actor, task)
                actor.in_flight += 1
                actor.exclusive = task.exclusive
                progress = True

    def _replace(self, run: Any, dead: _Actor, variant: VariantSpec | None) -> None:
        """Swap a dead actor for a fresh one with the current variant loaded (bounded)."""
        import ray

        if dead not in self.actors:
            return
        self.actors.remove(dead)
        assert self.max_replacements is not None
        if self.replacements >= self.max_replacements:
            run.log("ray engine: actor replacement limit reached; continuing with "
                    f"{len(self.actors)} actor(s)")
            return
        self.replacements += 1
        fresh = self._new_actor(run)
        try:
            if variant is None:
                ray.get(fresh.handle.describe.remote())
            else:
                fresh.usable = ray.get(fresh.handle.load_variant.remote(variant)).skipped is None
        except Exception as err:
            run.log(f"ray engine: a replacement actor failed to start: {_first_line(err)}")
            return
        self.actors.append(fresh)

    def _write_failed(self, run: Any, dataset: str, name: str, batch: list[Utterance],
                      metrics: list[Any], reason: str) -> None:
        err = WorkerDied(reason)
        run._write([run._failed(dataset, name, utt, err, metrics) for utt in batch])

    def _kill_busy_actor(self, in_flight: dict[Any, tuple[_Actor, _Task]]) -> None:
        import ray

        first_tries = {ref: actor for ref, (actor, task) in in_flight.items() if task.attempt == 0}
        if not first_tries:
            return
        _, running = ray.wait(list(first_tries), num_returns=len(first_tries), timeout=0)
        if running:  # an actor whose batch is still computing: its result is lost with it
            ray.kill(first_tries[running[0]].handle)
            self.killed_by_hook = True


def _first_line(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    return text.splitlines()[0][:300]
