"""Run a suite: datasets × tokenizer variants × metrics, written to the store batch by batch.

Audio is encoded and decoded in length-bucketed padded batches on the GPU when there is one;
CPU metrics run in a process pool while the next batch is being tokenized; neural metrics run
batched in the main process. A bad utterance becomes a failure row with its reason, a
tokenizer that cannot be built is a skipped variant with its reason; neither stops the run.
The moving parts live in ``bench.execution``; this module only orchestrates them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from bench.audio import load_audio, resample
from bench.contract import Tokenizer, TokenizerInfo, count_and_bits
from bench.data.manifest import Utterance
from bench.datasets import load_dataset, utterance_seconds
from bench.execution import timing
from bench.execution.allocator import retain_freed_memory
from bench.execution.audio_out import AudioOut, token_counts
from bench.execution.batching import length_buckets
from bench.execution.codec import audio_hash, encode_decode, seed_everything
from bench.execution.corpus import write_corpus_summaries
from bench.execution.length import check_input_seconds, mark_length
from bench.execution.lock import RunLock
from bench.execution.metrics import (
    LoadedMetric,
    MetricPool,
    compute_guarded,
    crash_prone,
    picklable,
    try_load_metric,
)
from bench.metrics.base import MetricInput
from bench.metrics.models.common import set_run_device
from bench.provenance import describe_device, git_commit, package_versions, resolve_device
from bench.registry import load_tokenizer
from bench.shard import Shard, record_shard, recorded_shard
from bench.store import Store, UtteranceRecord, summary_counts
from bench.suite import GROUND_TRUTH, Suite, VariantSpec
from tokenizers_impl.precomputed.adapter import is_precomputed, precomputed_outputs

Values = dict[str, tuple[float | None, str | None]]


class RunInterrupted(RuntimeError):
    """Raised by the ``stop_after_batches`` test hook to simulate a crash mid-run."""


@dataclass
class RunSummary:
    run_id: int
    name: str
    skipped_variants: dict[str, str] = field(default_factory=dict)
    skipped_metrics: dict[str, str] = field(default_factory=dict)
    utterances_done: int = 0
    utterances_failed: int = 0


def summary_from_store(store: Store, run_id: int, name: str) -> RunSummary:
    """What the store holds for a run over all its attempts (resumes included)."""
    done, failed, skipped_variants, skipped_metrics = summary_counts(store, run_id)
    return RunSummary(run_id=run_id, name=name, skipped_variants=skipped_variants,
                      skipped_metrics=skipped_metrics, utterances_done=done,
                      utterances_failed=failed)


def run_suite(suite: Suite, store_path: Path | str | None = None, resume: bool = False,
              progress: bool = True, stop_after_batches: int | None = None,
              log: Callable[[str], None] = print, shard: Shard | None = None,
              engine: Any = None) -> RunSummary:
    """Run (or with ``resume`` continue) a suite; returns what was done and skipped.

    ``shard`` restricts every dataset to one deterministic shard of its utterances;
    ``engine`` (e.g. ``bench.engines.ray_engine.RayEngine``) evaluates the variants instead of
    this process; None runs them here."""
    store = Store(store_path or suite.output_path(suite.store))
    try:
        run = _Run(suite, store, progress, stop_after_batches, log)
        run.shard, run.engine = shard, engine
        return run.execute(resume)
    finally:
        store.close()


class _Run:
    def __init__(self, suite: Suite, store: Store, progress: bool,
                 stop_after_batches: int | None, log: Callable[[str], None]) -> None:
        self.suite = suite
        self.store = store
        self.progress = progress
        self.stop_after = stop_after_batches
        self.batches_written = 0
        self.log = log
        retain_freed_memory()  # large CPU tensors reuse heap pages (bench.execution.allocator)
        self.device = resolve_device(suite.batch.device)
        set_run_device(self.device)  # metric models follow the run's device
        self.pool: MetricPool | None = None
        self.pool_metrics: list[LoadedMetric] = []
        self.inline_metrics: list[LoadedMetric] = []
        self.shard: Shard | None = None
        self.engine: Any = None

    # -- setup --------------------------------------------------------------------------------
    def execute(self, resume: bool) -> RunSummary:
        suite, store = self.suite, self.store
        config_hash = suite.config_hash()
        previous = store.latest_run(suite.name, config_hash) if resume else None
        if previous is not None and recorded_shard(store.conn, previous.id) != self.shard:
            raise ValueError(f"run {previous.id} in {store.path} evaluated shard "
                             f"{recorded_shard(store.conn, previous.id) or 'none'}, not "
                             f"{self.shard or 'none'}: give each shard its own --store")
        if previous is not None:
            run_id = previous.id
            lock = RunLock(store.path, run_id).acquire()  # RunLocked if it is still alive
            if previous.status == "complete":  # e.g. killed while writing the report
                lock.release()
                self.log(f"run {run_id} ({suite.name}) is complete; nothing to compute")
                return summary_from_store(store, run_id, suite.name)
            self.log(f"resuming run {run_id} ({suite.name}, config {config_hash})")
            store.set_run_status(run_id, "running")
        else:
            if resume:
                self.log(f"no run of {suite.name!r} with config {config_hash}; "
                         "starting a new run")
            run_id = store.create_run(suite.name, config_hash, suite.to_dict(), git_commit(),
                                      package_versions(), describe_device(self.device), suite.seed)
            if self.shard is not None:
                record_shard(store.conn, run_id, self.shard)
            lock = RunLock(store.path, run_id).acquire()
        self.run_id = run_id
        self.summary = RunSummary(run_id=run_id, name=suite.name)
        self.audio = AudioOut(store, run_id, suite.batch.save_audio_mb, self.log)
        try:
            return self._execute_locked()
        finally:
            lock.release()

    def _execute_locked(self) -> RunSummary:
        suite, store, run_id = self.suite, self.store, self.run_id
        try:
            metrics = self._load_metrics()
            self._start_pool(metrics)
            datasets = self._prepare_datasets()
            gt_metrics = [m for m in metrics if m.reference_free]
            for data in datasets:
                if gt_metrics:
                    run_ground_truth = (self._run_ground_truth if self.engine is None
                                        else self.engine.ground_truth(self))
                    run_ground_truth(*data, self._ordered(gt_metrics))
                    write_corpus_summaries(store, run_id, data[0], data[2], GROUND_TRUTH,
                                           gt_metrics, None)
            if self.engine is not None:
                self.engine.run_variants(self, datasets)
            for variant in suite.variants if self.engine is None else ():
                tokenizer = self._tokenizer(variant)
                if tokenizer is None:
                    continue
                for data in datasets:
                    self._run_variant(*data, variant, tokenizer)
                    write_corpus_summaries(store, run_id, data[0], data[2], variant.name,
                                           self.pool_metrics + self.inline_metrics, tokenizer)
                del tokenizer
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
        except BaseException:
            store.set_run_status(run_id, "interrupted")
            raise
        finally:
            if self.pool is not None:
                self.pool.shutdown()
            if self.engine is not None:
                self.engine.shutdown()
        store.set_run_status(run_id, "complete")  # the store is full; the report is separate
        whole = summary_from_store(store, run_id, suite.name)  # all attempts, not just this one
        self.summary.utterances_done = whole.utterances_done
        self.summary.utterances_failed = whole.utterances_failed
        return self.summary

    def _load_metrics(self) -> list[LoadedMetric]:
        loaded: list[LoadedMetric] = []
        for spec in self.suite.metrics:
            metric, reason = try_load_metric(spec, length_policy=self.suite.batch.length_policy)
            if metric is None:
                self.summary.skipped_metrics[spec.id] = reason or "unknown"
                self.store.record_metric(self.run_id, spec.id, "skipped", reason)
                self.log(f"metric {spec.id} skipped: {reason}")
                continue
            self.store.record_metric(self.run_id, metric.info.id, "ok",
                                     info=asdict(metric.info))
            loaded.append(LoadedMetric(metric, spec.settings))
        return loaded

    def _start_pool(self, metrics: list[LoadedMetric]) -> None:
        workers = self.suite.batch.workers
        for m in metrics:
            if crash_prone(m) or (workers > 0 and m.pool_safe and picklable(m.metric)):
                self.pool_metrics.append(m)
            else:
                self.inline_metrics.append(m)
        if self.pool_metrics:
            self.pool = MetricPool(self.pool_metrics, workers, self.log)

    # -- datasets and tokenizers --------------------------------------------------------------
    def _prepare_datasets(self) -> list[tuple[str, Path, list[Utterance], dict[str, float]]]:
        """(name, manifest folder, utterances sorted by duration, seconds) of each dataset."""
        prepared = []
        for spec in self.suite.datasets:
            try:
                manifest, utts = load_dataset(spec, self.suite)
            except Exception as err:  # a dataset that cannot be prepared is reported
                self.log(f"dataset {spec.name!r} skipped: {type(err).__name__}: {err}")
                self.store.record_dataset(self.run_id, spec.name,
                                          f"unavailable: {type(err).__name__}: {err}", 0)
                continue
            if self.shard is not None:
                utts = self.shard.select(utts)
            self.store.record_dataset(self.run_id, spec.name, str(manifest), len(utts))
            root = manifest.parent
            seconds = {u.id: utterance_seconds(u, root) for u in utts}
            ordered = sorted(utts, key=lambda u: (seconds[u.id], u.id))
            prepared.append((spec.name, root, ordered, seconds))
        return prepared

    def _ordered(self, metrics: list[LoadedMetric]) -> list[LoadedMetric]:
        return [m for m in self.pool_metrics + self.inline_metrics if m in metrics]

    def _tokenizer(self, variant: VariantSpec) -> Tokenizer | None:
        """Build a variant's tokenizer on the run's device, or record why it is skipped."""
        try:
            tok = load_tokenizer(variant.family, **variant.settings)
            if not isinstance(tok, Tokenizer):
                missing = [a for a in ("name", "sample_rate", "vocab_size", "frame_rate",
                                       "encode", "decode", "to") if not hasattr(tok, a)]
                raise TypeError(f"{type(tok).__name__} does not implement the Tokenizer "
                                f"contract (missing {missing})")
            tok = tok.to(self.device) or tok
        except Exception as err:  # missing weights, bad settings: skip the variant, keep going
            reason = f"{type(err).__name__}: {err}"
            self.summary.skipped_variants[variant.name] = reason
            self.store.record_variant(self.run_id, variant.name, variant.family, variant.settings,
                                      "skipped", reason)
            self.log(f"variant {variant.name} skipped: {reason}")
            return None
        info = getattr(tok, "info", None)
        if not isinstance(info, TokenizerInfo):
            info = TokenizerInfo(family=variant.family)
        self.store.record_variant(
            self.run_id, variant.name, variant.family, variant.settings, "ok",
            checkpoint=info.checkpoint, trained=info.trained, notes=info.notes,
            sample_rate=int(tok.sample_rate), vocab_size=int(tok.vocab_size),
            frame_rate=float(tok.frame_rate))
        return tok

    def _batches(self, ordered: list[Utterance], seconds: dict[str, float],
                 done: set[str]) -> list[list[Utterance]]:
        batch = self.suite.batch
        return length_buckets(ordered, seconds, done, batch.max_items, batch.max_seconds)

    def _run_ground_truth(self, dataset: str, root: Path, ordered: list[Utterance],
                          seconds: dict[str, float], metrics: list[LoadedMetric]) -> None:
        done = self.store.completed_utterances(self.run_id, dataset, GROUND_TRUTH)
        batches = self._batches(ordered, seconds, done)
        bar = tqdm(total=sum(map(len, batches)), desc=f"{dataset} / {GROUND_TRUTH}",
                   disable=not self.progress, leave=False)
        for batch in batches:
            records: list[UtteranceRecord] = []
            items: list[MetricInput] = []
            hashes: list[str] = []
            for utt in batch:
                try:
                    ref, decisions = load_audio(utt.resolved_path(root))
                    check_input_seconds(len(ref) / decisions.source_sr,
                                        self.suite.batch.min_input_seconds)
                except Exception as err:
                    records.append(self._failed(dataset, GROUND_TRUTH, utt, err, metrics))
                    continue
                sr = decisions.source_sr
                items.append(MetricInput(utt_id=utt.id, hypothesis=ref, hypothesis_sr=sr,
                                         reference=ref, reference_sr=sr, text=utt.text,
                                         language=utt.language, speaker=utt.speaker))
                hashes.append(audio_hash(ref, sr))
                records.append(UtteranceRecord(dataset, GROUND_TRUTH, utt.id, "ok",
                                               seconds=len(ref) / sr,
                                               decisions=asdict(decisions), values={}))
            ok_records = [r for r in records if r.status == "ok"]
            for m in metrics:
                todo = []
                for rec, item, h in zip(ok_records, items, hashes, strict=True):
                    hit = self.store.cached_reference(h, m.id, m.metric.info.version,
                                                      m.settings_hash)
                    if hit is None:
                        todo.append((rec, item, h))
                    else:
                        rec.values[m.id] = hit  # type: ignore[index]
                todo_items = [t[1] for t in todo]
                if crash_prone(m) and self.pool is not None:  # contained, never in this process
                    scored = self.pool.score(todo_items, (m.id,)).get(m.id, [])
                else:
                    scored = compute_guarded(m.metric, todo_items)
                for (rec, _, h), value in zip(todo, scored, strict=True):
                    rec.values[m.id] = value  # type: ignore[index]
                    self.store.cache_reference(h, m.id, m.metric.info.version, m.settings_hash,
                                               *value)
            self._write(records)
            bar.update(len(batch))
        bar.close()

    # -- one variant on one dataset -----------------------------------------------------------
    def _run_variant(self, dataset: str, root: Path, ordered: list[Utterance],
                     seconds: dict[str, float], variant: VariantSpec, tok: Tokenizer) -> None:
        done = self.store.completed_utterances(self.run_id, dataset, variant.name)
        batches = self._batches(ordered, seconds, done)
        seed_everything(self.suite.seed)
        metrics = self.pool_metrics + self.inline_metrics
        pending: list[tuple[list[UtteranceRecord], list[MetricInput], Future | None]] = []
        bar = tqdm(total=sum(map(len, batches)), desc=f"{dataset} / {variant.name}",
                   disable=not self.progress, leave=False)
        for batch in batches:
            records, items = self._tokenize_batch(dataset, root, batch, variant, tok, metrics)
            ok_records = [r for r in records if r.status == "ok"]
            future = self._submit(items)
            for m in self.inline_metrics:
                for rec, value in zip(ok_records, compute_guarded(m.metric, items), strict=True):
                    rec.values[m.id] = value  # type: ignore[index]
            pending.append((records, items, future))
            while len(pending) > 1 or (pending and pending[0][2] is None):
                self._flush(pending.pop(0))
            bar.update(len(batch))
        while pending:
            self._flush(pending.pop(0))
        bar.close()

    def _tokenize_batch(self, dataset: str, root: Path, batch: list[Utterance],
                        variant: VariantSpec, tok: Tokenizer, metrics: list[LoadedMetric]
                        ) -> tuple[list[UtteranceRecord], list[MetricInput]]:
        """Load, encode and decode one bucket; failures become records, never exceptions."""
        records: list[UtteranceRecord] = []
        loaded: list[tuple[Utterance, np.ndarray, int, np.ndarray, dict[str, Any]]] = []
        sr = int(tok.sample_rate)
        start = timing.clock()
        for utt in batch:
            try:
                ref, dec = load_audio(utt.resolved_path(root))
                check_input_seconds(len(ref) / dec.source_sr, self.suite.batch.min_input_seconds)
                wav = resample(ref, dec.source_sr, sr)
            except Exception as err:
                records.append(self._failed(dataset, variant.name, utt, err, metrics))
                continue
            decisions = {**asdict(dec), "tokenizer_sr": sr, "resampled_for_tokenizer":
                         dec.source_sr != sr}
            loaded.append((utt, ref, dec.source_sr, wav, decisions))
        timing.record("load", start, sum(len(x[1]) / x[2] for x in loaded))
        outputs = (precomputed_outputs(tok, [(u, r_sr) for u, _, r_sr, *_ in loaded])
                   if is_precomputed(tok)
                   else encode_decode(tok, [w for *_, w, _ in loaded], self.device,
                                      autocast=self.suite.batch.autocast))
        bits_per_token = math.log2(tok.vocab_size) if tok.vocab_size > 1 else 0.0
        codebooks = getattr(tok, "codebooks", None)  # multi-codebook: tokens are [K, L] per item
        items: list[MetricInput] = []
        for (utt, ref, ref_sr, _, decisions), out in zip(loaded, outputs, strict=True):
            if isinstance(out, Exception):
                records.append(self._failed(dataset, variant.name, utt, out, metrics))
                continue
            tokens, spans, side_bits, recon, *found = out  # precomputed: + (file rate, decisions)
            hyp_sr = found[0] if found else sr
            decisions.update(found[1] if found else {})
            self.audio.add(dataset, variant.name, utt.id, recon, hyp_sr, ref, ref_sr,
                           token_counts(tok, tokens))
            item = MetricInput(
                utt_id=utt.id, hypothesis=recon, hypothesis_sr=hyp_sr, reference=ref,
                reference_sr=ref_sr, text=utt.text, language=utt.language, speaker=utt.speaker,
                tokens=tokens, durations=spans, vocab_size=int(tok.vocab_size),
                frame_rate=float(tok.frame_rate), side_bits=side_bits, codebooks=codebooks)
            decisions = {**decisions, "length_ratio": mark_length(
                item, self.suite.batch.length_tolerance, self.suite.batch.length_policy)}
            items.append(item)
            n_tokens, bits = ((None, 0.0) if tokens is None else  # precomputed: declared rates
                              count_and_bits(torch.from_numpy(tokens), codebooks,
                                             int(tok.vocab_size)))
            records.append(UtteranceRecord(
                dataset, variant.name, utt.id, "ok", seconds=len(ref) / ref_sr,
                n_tokens=n_tokens, bits_per_token=bits / n_tokens if n_tokens else bits_per_token,
                side_bits=side_bits,
                decisions=decisions, values={},
                tokens=tokens if self.suite.batch.store_tokens else None, durations=spans))
        return records, items

    def _failed(self, dataset: str, variant: str, utt: Utterance, err: BaseException,
                metrics: list[LoadedMetric]) -> UtteranceRecord:
        reason = f"{type(err).__name__}: {err}"
        self.summary.utterances_failed += 1
        return UtteranceRecord(dataset, variant, utt.id, "failed", reason=reason,
                               values={m.id: (None, f"utterance failed: {reason}")
                                       for m in metrics})

    def _submit(self, items: list[MetricInput]) -> Future | None:
        return None if self.pool is None else self.pool.submit(items)

    def _flush(self, entry: tuple[list[UtteranceRecord], list[MetricInput], Future | None]
               ) -> None:
        records, items, future = entry
        ok_records = [r for r in records if r.status == "ok"]
        scored = self.pool.collect(future, items) if self.pool is not None else {}
        for metric_id, values in scored.items():
            for rec, value in zip(ok_records, values, strict=True):
                rec.values[metric_id] = value  # type: ignore[index]
        self._write(records)

    def _write(self, records: list[UtteranceRecord]) -> None:
        self.audio.flush()  # file rows first: a crash here redoes (and overwrites) the files
        start = timing.clock()
        self.store.write_utterances(self.run_id, records)
        timing.record("store", start, sum(r.seconds or 0.0 for r in records))
        self.summary.utterances_done += sum(r.status == "ok" for r in records)
        self.batches_written += 1
        if self.stop_after is not None and self.batches_written >= self.stop_after:
            raise RunInterrupted(f"stopped after {self.batches_written} batches (test hook)")
