"""Run a suite: datasets × tokenizer variants × metrics, written to the store batch by batch.

Audio is encoded and decoded in length-bucketed padded batches on the GPU when there is one;
CPU metrics run in a process pool while the next batch is being tokenized; neural metrics run
batched in the main process. A bad utterance becomes a failure row with its reason, a
tokenizer that cannot be built is a skipped variant with its reason; neither stops the run.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import random
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from bench.audio import load_audio, resample
from bench.contract import Tokenizer, TokenizerInfo
from bench.data.manifest import Utterance
from bench.datasets import load_dataset, utterance_seconds
from bench.metrics.base import Metric, MetricInput, MetricValue
from bench.provenance import describe_device, git_commit, package_versions, resolve_device
from bench.registry import load_metric, load_tokenizer
from bench.store import Store, UtteranceRecord
from bench.suite import GROUND_TRUTH, MetricSpec, Suite, VariantSpec
from tokenizers_impl.precomputed.adapter import is_precomputed, precomputed_outputs

Values = dict[str, tuple[float | None, str | None]]


class RunInterrupted(RuntimeError):
    """Raised by the ``stop_after_batches`` test hook to simulate a crash mid-run."""


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


@dataclass
class RunSummary:
    run_id: int
    name: str
    skipped_variants: dict[str, str] = field(default_factory=dict)
    skipped_metrics: dict[str, str] = field(default_factory=dict)
    utterances_done: int = 0
    utterances_failed: int = 0


def run_suite(suite: Suite, store_path: Path | str | None = None, resume: bool = False,
              progress: bool = True, stop_after_batches: int | None = None,
              log: Callable[[str], None] = print) -> RunSummary:
    """Run (or with ``resume`` continue) a suite; returns what was done and skipped."""
    store = Store(store_path or suite.output_path(suite.store))
    try:
        return _Run(suite, store, progress, stop_after_batches, log).execute(resume)
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
        self.device = resolve_device(suite.batch.device)
        self.pool: ProcessPoolExecutor | None = None
        self.pool_metrics: list[LoadedMetric] = []
        self.inline_metrics: list[LoadedMetric] = []

    # -- setup --------------------------------------------------------------------------------
    def execute(self, resume: bool) -> RunSummary:
        suite, store = self.suite, self.store
        config_hash = suite.config_hash()
        previous = store.latest_resumable(suite.name, config_hash) if resume else None
        if previous is not None:
            run_id = previous.id
            self.log(f"resuming run {run_id} ({suite.name}, config {config_hash})")
            store.set_run_status(run_id, "running")
        else:
            if resume:
                self.log(f"no unfinished run of {suite.name!r} with config {config_hash}; "
                         "starting a new run")
            run_id = store.create_run(suite.name, config_hash, suite.to_dict(), git_commit(),
                                      package_versions(), describe_device(self.device), suite.seed)
        self.run_id = run_id
        self.summary = RunSummary(run_id=run_id, name=suite.name)
        try:
            metrics = self._load_metrics()
            self._start_pool(metrics)
            datasets = self._prepare_datasets()
            gt_metrics = [m for m in metrics if m.reference_free]
            for data in datasets:
                if gt_metrics:
                    self._run_ground_truth(*data, self._ordered(gt_metrics))
                    self._corpus(data[0], data[2], GROUND_TRUTH, gt_metrics, None)
            for variant in suite.variants:  # one tokenizer in memory at a time
                tokenizer = self._tokenizer(variant)
                if tokenizer is None:
                    continue
                for data in datasets:
                    self._run_variant(*data, variant, tokenizer)
                    self._corpus(data[0], data[2], variant.name,
                                 self.pool_metrics + self.inline_metrics, tokenizer)
                del tokenizer
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
        except BaseException:
            store.set_run_status(run_id, "interrupted")
            raise
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
        store.set_run_status(run_id, "complete")
        return self.summary

    def _load_metrics(self) -> list[LoadedMetric]:
        loaded: list[LoadedMetric] = []
        for spec in self.suite.metrics:
            metric, reason = _try_load_metric(spec)
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
            if workers > 0 and m.pool_safe and _picklable(m.metric):
                self.pool_metrics.append(m)
            else:
                self.inline_metrics.append(m)
        if self.pool_metrics:
            payload = pickle.dumps([m.metric for m in self.pool_metrics])
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                            initializer=_init_worker, initargs=(payload,))
            for _ in range(workers):  # start the workers now, while the main process loads data
                self.pool.submit(_worker_ready)

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
        """Length buckets of pending utterances: at most max_items and max_seconds padded."""
        limit_items, limit_s = self.suite.batch.max_items, self.suite.batch.max_seconds
        batches: list[list[Utterance]] = []
        current: list[Utterance] = []
        for utt in (u for u in ordered if u.id not in done):
            padded = (len(current) + 1) * seconds[utt.id]
            if current and (len(current) >= limit_items or padded > limit_s):
                batches.append(current)
                current = []
            current.append(utt)
        if current:
            batches.append(current)
        return batches

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
                except Exception as err:
                    records.append(self._failed(dataset, GROUND_TRUTH, utt, err, metrics))
                    continue
                sr = decisions.source_sr
                items.append(MetricInput(utt_id=utt.id, hypothesis=ref, hypothesis_sr=sr,
                                         reference=ref, reference_sr=sr, text=utt.text,
                                         language=utt.language, speaker=utt.speaker))
                hashes.append(_audio_hash(ref, sr))
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
                for (rec, _, h), value in zip(
                        todo, _compute_guarded(m.metric, [t[1] for t in todo]), strict=True):
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
        _seed_everything(self.suite.seed)
        metrics = self.pool_metrics + self.inline_metrics
        pending: list[tuple[list[UtteranceRecord], list[MetricInput], Future | None]] = []
        bar = tqdm(total=sum(map(len, batches)), desc=f"{dataset} / {variant.name}",
                   disable=not self.progress, leave=False)
        for batch in batches:
            records, items = self._tokenize_batch(dataset, root, batch, variant, tok, metrics)
            ok_records = [r for r in records if r.status == "ok"]
            future = self._submit(items)
            for m in self.inline_metrics:
                for rec, value in zip(ok_records, _compute_guarded(m.metric, items), strict=True):
                    rec.values[m.id] = value  # type: ignore[index]
            pending.append((records, items, future))
            while len(pending) > 1 or (pending and pending[0][2] is None):
                self._flush(pending.pop(0))
            bar.update(len(batch))
        while pending:
            self._flush(pending.pop(0))
        bar.close()

    def _corpus(self, dataset: str, ordered: list[Utterance], variant: str,
                metrics: list[LoadedMetric], tok: Tokenizer | None) -> None:
        """Corpus summaries of every metric that defines one (total tokens / total seconds,
        total edits / total words, ...), rebuilt from the store and the manifest so that
        resumed runs get them too. ``tok`` is None for the ground-truth row."""
        metrics = [m for m in metrics if type(m.metric).corpus is not Metric.corpus]
        if not metrics:
            return
        manifest = {utt.id: utt for utt in ordered}
        rows = self.store.ok_utterances(self.run_id, dataset, variant)
        streams = self.store.token_streams(self.run_id, dataset, variant) if tok else {}
        items: list[MetricInput] = []
        unstored = 0
        for row in rows:
            utt = manifest[row["utterance"]]
            tokens, spans = streams.get(utt.id, (None, None))
            unstored += tok is not None and tokens is None
            source_sr = int(json.loads(row["decisions"])["source_sr"])
            samples = round(float(row["seconds"]) * source_sr)
            items.append(MetricInput(
                utt_id=utt.id, reference=_duration_only(samples), reference_sr=source_sr,
                text=utt.text, language=utt.language, speaker=utt.speaker,
                tokens=tokens, durations=spans,
                vocab_size=int(tok.vocab_size) if tok else None,
                frame_rate=float(tok.frame_rate) if tok else None,
                side_bits=float(row["side_bits"] or 0.0)))
        out: dict[tuple[str, str], tuple[float | None, str | None]] = {}
        for m in metrics:
            if unstored and m.metric.info.needs_tokens:
                out[(m.id, "corpus")] = (None, tok.rate_note() if is_precomputed(tok) else
                                         f"{unstored} token streams not stored "
                                         "(batch.store_tokens: false)")
                continue
            stored = self.store.metric_values(self.run_id, dataset, variant, m.id)
            values = [MetricValue(*stored[i.utt_id]) if i.utt_id in stored
                      else MetricValue.missing("no stored value") for i in items]
            try:
                summaries = m.metric.corpus(items, values)
            except Exception as err:
                out[(m.id, "corpus")] = (None, f"corpus() raised {type(err).__name__}: {err}")
                continue
            for key, value in summaries.items():
                out[(m.id, key)] = (value.value, value.reason)
        self.store.write_corpus(self.run_id, dataset, variant, out)

    def _tokenize_batch(self, dataset: str, root: Path, batch: list[Utterance],
                        variant: VariantSpec, tok: Tokenizer, metrics: list[LoadedMetric]
                        ) -> tuple[list[UtteranceRecord], list[MetricInput]]:
        """Load, encode and decode one bucket; failures become records, never exceptions."""
        records: list[UtteranceRecord] = []
        loaded: list[tuple[Utterance, np.ndarray, int, np.ndarray, dict[str, Any]]] = []
        sr = int(tok.sample_rate)
        for utt in batch:
            try:
                ref, dec = load_audio(utt.resolved_path(root))
                wav = resample(ref, dec.source_sr, sr)
            except Exception as err:
                records.append(self._failed(dataset, variant.name, utt, err, metrics))
                continue
            decisions = {**asdict(dec), "tokenizer_sr": sr, "resampled_for_tokenizer":
                         dec.source_sr != sr}
            loaded.append((utt, ref, dec.source_sr, wav, decisions))
        outputs = (precomputed_outputs(tok, [(u, r_sr) for u, _, r_sr, *_ in loaded])
                   if is_precomputed(tok)
                   else _encode_decode(tok, [w for *_, w, _ in loaded], self.device))
        bits_per_token = math.log2(tok.vocab_size) if tok.vocab_size > 1 else 0.0
        items: list[MetricInput] = []
        for (utt, ref, ref_sr, _, decisions), out in zip(loaded, outputs, strict=True):
            if isinstance(out, Exception):
                records.append(self._failed(dataset, variant.name, utt, out, metrics))
                continue
            tokens, spans, side_bits, recon, *found = out  # precomputed: + (file rate, decisions)
            hyp_sr = found[0] if found else sr
            decisions.update(found[1] if found else {})
            items.append(MetricInput(
                utt_id=utt.id, hypothesis=recon, hypothesis_sr=hyp_sr, reference=ref,
                reference_sr=ref_sr, text=utt.text, language=utt.language, speaker=utt.speaker,
                tokens=tokens, durations=spans, vocab_size=int(tok.vocab_size),
                frame_rate=float(tok.frame_rate), side_bits=side_bits))
            records.append(UtteranceRecord(
                dataset, variant.name, utt.id, "ok", seconds=len(ref) / ref_sr,
                n_tokens=None if tokens is None else len(tokens),
                bits_per_token=bits_per_token, side_bits=side_bits,
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
        if self.pool is None or not items or not self.pool_metrics:
            return None
        try:
            return self.pool.submit(_score_in_worker, items)
        except BrokenProcessPool as err:
            self._pool_broken(err)
            return None

    def _pool_broken(self, err: BaseException) -> None:
        """Workers died (e.g. a script without a __main__ guard): score inline from now on."""
        self.log(f"metric worker pool failed ({type(err).__name__}: {err}); "
                 "computing CPU metrics inline")
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None

    def _flush(self, entry: tuple[list[UtteranceRecord], list[MetricInput], Future | None]
               ) -> None:
        records, items, future = entry
        ok_records = [r for r in records if r.status == "ok"]
        scored: dict[str, list[tuple[float | None, str | None]]] = {}
        if future is not None:
            try:
                scored = future.result()
            except BrokenProcessPool as err:
                self._pool_broken(err)
            except Exception as err:  # e.g. an item that cannot be pickled: score it here
                self.log(f"metric worker error ({type(err).__name__}: {err}); scoring inline")
        if self.pool_metrics and not scored:
            scored = {m.id: _compute_guarded(m.metric, items) for m in self.pool_metrics}
        for metric_id, values in scored.items():
            for rec, value in zip(ok_records, values, strict=True):
                rec.values[metric_id] = value  # type: ignore[index]
        self._write(records)

    def _write(self, records: list[UtteranceRecord]) -> None:
        self.store.write_utterances(self.run_id, records)
        self.summary.utterances_done += sum(r.status == "ok" for r in records)
        self.batches_written += 1
        if self.stop_after is not None and self.batches_written >= self.stop_after:
            raise RunInterrupted(f"stopped after {self.batches_written} batches (test hook)")


# -- helpers ------------------------------------------------------------------------------------
def _try_load_metric(spec: MetricSpec) -> tuple[Metric | None, str | None]:
    try:
        metric = load_metric(spec.id, **spec.settings)
    except Exception as err:  # unknown id, missing dependency, bad settings
        return None, f"{type(err).__name__}: {err}"
    try:
        reason = metric.unavailable_reason()
    except Exception as err:
        reason = f"availability check failed: {type(err).__name__}: {err}"
    return (None, reason) if reason else (metric, None)


def _duration_only(samples: int) -> np.ndarray:
    """A zero-stride stand-in for reference audio that carries only its length: corpus token
    statistics need the input duration, never the samples."""
    return np.broadcast_to(np.zeros(1, dtype=np.float32), (samples,))


def _picklable(obj: object) -> bool:
    try:
        pickle.dumps(obj)
    except Exception:
        return False
    return True


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _audio_hash(audio: np.ndarray, sr: int) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(audio, dtype="<f4").tobytes())
    digest.update(str(sr).encode())
    return digest.hexdigest()[:32]


def _encode_decode(tok: Tokenizer, wavs: list[np.ndarray], device: torch.device
                   ) -> list[tuple[np.ndarray, np.ndarray | None, float, np.ndarray] | Exception]:
    """Tokenize and reconstruct a padded batch; on failure retry item by item to isolate it."""
    if not wavs:
        return []
    try:
        return _encode_decode_batch(tok, wavs, device)
    except Exception as err:
        if len(wavs) == 1:
            return [err]
    out: list[tuple[np.ndarray, np.ndarray | None, float, np.ndarray] | Exception] = []
    for wav in wavs:
        try:
            out.extend(_encode_decode_batch(tok, [wav], device))
        except Exception as err:
            out.append(err)
    return out


def _encode_decode_batch(tok: Tokenizer, wavs: list[np.ndarray], device: torch.device
                         ) -> list[tuple[np.ndarray, np.ndarray | None, float, np.ndarray]
                                   | Exception]:
    lengths = torch.tensor([len(w) for w in wavs], dtype=torch.long)
    padded = torch.zeros(len(wavs), int(lengths.max()), dtype=torch.float32)
    for i, w in enumerate(wavs):
        padded[i, : len(w)] = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))
    with torch.inference_mode():
        batch = tok.encode(padded.to(device), lengths.to(device))
        recon, recon_lengths = tok.decode(batch)
    batch = batch.to("cpu")
    recon = recon.detach().float().cpu()
    recon_lengths = recon_lengths.detach().cpu()
    if batch.batch_size != len(wavs) or recon.shape[0] != len(wavs):
        raise RuntimeError(f"tokenizer returned {batch.batch_size} token rows and "
                           f"{recon.shape[0]} waveforms for a batch of {len(wavs)}")
    side_bits = batch.side_bits()
    out: list[tuple[np.ndarray, np.ndarray | None, float, np.ndarray] | Exception] = []
    for i in range(len(wavs)):
        tokens = batch.item_tokens(i).numpy().astype(np.int64)
        spans = batch.item_durations(i)
        hyp = recon[i, : int(recon_lengths[i])].numpy()
        if hyp.size == 0:
            out.append(RuntimeError("reconstruction is empty"))
        elif not np.all(np.isfinite(hyp)):
            out.append(FloatingPointError("reconstruction contains NaN or Inf"))
        else:
            out.append((tokens, None if spans is None else spans.numpy().astype(np.int64),
                        side_bits, hyp))
    return out


def _compute_guarded(metric: Metric, items: list[MetricInput]
                     ) -> list[tuple[float | None, str | None]]:
    """Score a batch; if the batch call raises, score items one by one to isolate the culprit."""
    if not items:
        return []
    try:
        values = metric.compute(items)
        _check_values(values, len(items))
        return [(v.value, v.reason) for v in values]
    except Exception as err:
        if len(items) == 1:
            return [(None, f"{metric.info.id} raised {type(err).__name__}: {err}")]
    out: list[tuple[float | None, str | None]] = []
    for item in items:
        out.extend(_compute_guarded(metric, [item]))
    return out


def _check_values(values: object, n: int) -> None:
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


def _score_in_worker(items: list[MetricInput]) -> dict[str, list[tuple[float | None, str | None]]]:
    return {m.info.id: _compute_guarded(m, items) for m in _WORKER_METRICS}
