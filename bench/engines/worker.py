"""The per-batch work of one variant, as a remote worker does it: the runner's own code.

A ``VariantWorker`` wraps a runner (``bench.runner._Run``) whose store only captures what it
is told, so loading a tokenizer, recording a skip reason, loading audio, encoding, decoding and
scoring are the very code paths of ``--engine local`` (same batches in, same values out); the
records come back to the driver, which alone writes the store.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from bench.data.manifest import Utterance
from bench.execution.audio_out import EncodedAudio
from bench.execution.metrics import LoadedMetric, compute_guarded
from bench.provenance import describe_device
from bench.store import UtteranceRecord
from bench.suite import Suite, VariantSpec

CacheKey = tuple[str, str, str, str]
"""(audio hash, metric id, metric version, settings hash) of the reference-side cache."""
CacheValue = tuple[float | None, str | None]


@dataclass
class CapturingStore:
    """Stands in for the store inside a worker: records setup calls, written records and new
    reference-cache entries for the driver to replay; answers cache look-ups from a snapshot of
    the driver's cache."""

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)
    cache: dict[CacheKey, CacheValue] = field(default_factory=dict)
    new_cache: list[tuple[CacheKey, CacheValue]] = field(default_factory=list)
    written: list[UtteranceRecord] = field(default_factory=list)

    def record_variant(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("record_variant", args, kwargs))

    def record_metric(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("record_metric", args, kwargs))

    def completed_utterances(self, *_: Any) -> set[str]:
        return set()  # the driver sends only pending work

    def cached_reference(self, audio_hash: str, metric: str, version: str,
                         settings_hash: str) -> CacheValue | None:
        return self.cache.get((audio_hash, metric, version, settings_hash))

    def cache_reference(self, audio_hash: str, metric: str, version: str, settings_hash: str,
                        value: float | None, reason: str | None) -> None:
        key = (audio_hash, metric, version, settings_hash)
        self.cache[key] = (value, reason)
        self.new_cache.append((key, (value, reason)))

    def write_utterances(self, _run_id: int, records: list[UtteranceRecord]) -> None:
        self.written.extend(records)


@dataclass
class VariantLoad:
    """What loading a variant in a worker produced: the store calls to replay, or a skip."""

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]
    skipped: str | None
    vocab_size: int | None = None
    frame_rate: float | None = None


@dataclass
class BatchResult:
    """One processed batch: its records and the reconstructions to save (FLAC bytes)."""

    records: list[UtteranceRecord]
    audio: list[EncodedAudio]


class VariantWorker:
    """Holds the metrics and one variant's tokenizer on its device; scores batches."""

    def __init__(self, suite: Suite, setup: Callable[[], None] | None = None,
                 permissions: dict[str, Any] | None = None) -> None:
        if setup is not None:  # e.g. registering test tokenizers in this process
            setup()
        grant_permissions(permissions or {})
        from bench.execution.audio_out import CapturingAudioOut
        from bench.runner import RunSummary, _Run

        if str(suite.batch.device).startswith("cuda:"):
            # a scheduler (Ray, Slurm) exposes this worker's GPU as the first visible device
            suite = replace(suite, batch=replace(suite.batch, device="cuda"))
        self.store = CapturingStore()
        self.run = _Run(suite, self.store, progress=False,  # type: ignore[arg-type]
                        stop_after_batches=None, log=lambda _: None)
        self.run.run_id = 0
        self.run.summary = RunSummary(run_id=0, name=suite.name)
        # reconstructions go back to the driver as FLAC bytes; it writes files and rows
        self.run.audio = CapturingAudioOut(enabled=suite.batch.save_audio_mb > 0)
        self.metrics: list[LoadedMetric] = self.run._load_metrics()
        self.tokenizer: Any = None
        self.variant: str | None = None

    def describe(self) -> str:
        """The device this worker computes on (for the run's provenance)."""
        return describe_device(self.run.device)

    def load_variant(self, variant: VariantSpec) -> VariantLoad:
        """Build the variant's tokenizer here, exactly as the local runner does."""
        self.tokenizer = None
        gc.collect()
        if self.run.device.type == "cuda":
            torch.cuda.empty_cache()
        self.store.calls.clear()
        self.run.summary.skipped_variants.pop(variant.name, None)
        tok = self.run._tokenizer(variant)
        self.tokenizer, self.variant = tok, variant.name
        calls = list(self.store.calls)
        if tok is None:
            return VariantLoad(calls, self.run.summary.skipped_variants[variant.name])
        return VariantLoad(calls, None, int(tok.vocab_size), float(tok.frame_rate))

    def process_ground_truth(self, dataset: str, root: Path, batch: list[Utterance],
                             seconds: dict[str, float], metric_ids: list[str],
                             cache: dict[CacheKey, CacheValue]
                             ) -> tuple[list[UtteranceRecord], list[tuple[CacheKey, CacheValue]]]:
        """Reference-free metrics of the references themselves (the local runner's code),
        answering cache hits from the driver's snapshot; returns records and new cache
        entries."""
        self.store.cache, self.store.new_cache, self.store.written = dict(cache), [], []
        by_id = {m.id: m for m in self.metrics}
        self.run._run_ground_truth(dataset, root, batch, seconds, [by_id[i] for i in metric_ids])
        return list(self.store.written), list(self.store.new_cache)

    def process(self, dataset: str, root: Path, batch: list[Utterance],
                variant: VariantSpec, saved_references: set[str] | None = None) -> BatchResult:
        """Load (by path), encode, decode and score one length bucket; never raises for a
        bad utterance (it becomes a failed record, as in the local runner). References the
        driver has saved already (``saved_references``, utterance ids) are not sent again."""
        if self.tokenizer is None or self.variant != variant.name:
            raise RuntimeError(f"variant {variant.name!r} is not loaded in this worker")
        self.run.audio.expect(dataset, saved_references or set())
        records, items = self.run._tokenize_batch(dataset, root, batch, variant,
                                                  self.tokenizer, self.metrics)
        ok_records = [r for r in records if r.status == "ok"]
        for m in self.metrics:
            for rec, value in zip(ok_records, compute_guarded(m.metric, items), strict=True):
                rec.values[m.id] = value  # type: ignore[index]
        return BatchResult(records, self.run.audio.take())


def driver_permissions() -> dict[str, Any]:
    """What the person running the driver allowed (trust flag, absolute paths, the dataset
    folders tokbench built manifests from): a worker on another node has none of it."""
    from bench.paths import absolute_paths_allowed, registered_dataset_roots
    from bench.trust import is_trusted

    return {"trusted": is_trusted(), "absolute_paths": absolute_paths_allowed(),
            "dataset_roots": registered_dataset_roots()}


def grant_permissions(permissions: dict[str, Any]) -> None:
    """Apply ``driver_permissions`` in a worker process (only ever turns switches on)."""
    from bench.paths import register_dataset_root, set_absolute_paths_allowed
    from bench.trust import set_trusted

    if permissions.get("trusted"):
        set_trusted(True)
    if permissions.get("absolute_paths"):
        set_absolute_paths_allowed(True)
    for root in permissions.get("dataset_roots", []):
        register_dataset_root(root)
