"""Corpus summaries (total tokens / total seconds, total edits / total words, ...) rebuilt
from the store and the manifest, so resumed and merged runs get them too."""

from __future__ import annotations

import json

import numpy as np

from bench.contract import Tokenizer
from bench.data.manifest import Utterance
from bench.execution.metrics import LoadedMetric
from bench.metrics.base import Metric, MetricInput, MetricValue
from bench.store import Store
from tokenizers_impl.precomputed.adapter import is_precomputed


def write_corpus_summaries(store: Store, run_id: int, dataset: str, ordered: list[Utterance],
                           variant: str, metrics: list[LoadedMetric],
                           tok: Tokenizer | None) -> None:
    """Store the corpus value of every metric that defines one. ``tok`` is None for the
    ground-truth row."""
    metrics = [m for m in metrics if type(m.metric).corpus is not Metric.corpus]
    if not metrics:
        return
    manifest = {utt.id: utt for utt in ordered}
    rows = store.ok_utterances(run_id, dataset, variant)
    streams = store.token_streams(run_id, dataset, variant) if tok else {}
    items: list[MetricInput] = []
    unstored = 0
    for row in rows:
        utt = manifest[row["utterance"]]
        tokens, spans = streams.get(utt.id, (None, None))
        unstored += tok is not None and tokens is None
        source_sr = int(json.loads(row["decisions"])["source_sr"])
        samples = round(float(row["seconds"]) * source_sr)
        items.append(MetricInput(
            utt_id=utt.id, reference=duration_only(samples), reference_sr=source_sr,
            text=utt.text, language=utt.language, speaker=utt.speaker,
            tokens=tokens, durations=spans,
            vocab_size=int(tok.vocab_size) if tok else None,
            frame_rate=float(tok.frame_rate) if tok else None,
            side_bits=float(row["side_bits"] or 0.0),
            codebooks=getattr(tok, "codebooks", None) if tok else None))
    out: dict[tuple[str, str], tuple[float | None, str | None]] = {}
    for m in metrics:
        if unstored and m.metric.info.needs_tokens:
            out[(m.id, "corpus")] = (None, tok.rate_note() if is_precomputed(tok) else
                                     f"{unstored} token streams not stored "
                                     "(batch.store_tokens: false)")
            continue
        stored = store.metric_values(run_id, dataset, variant, m.id)
        values = [MetricValue(*stored[i.utt_id]) if i.utt_id in stored
                  else MetricValue.missing("no stored value") for i in items]
        try:
            summaries = m.metric.corpus(items, values)
        except Exception as err:
            out[(m.id, "corpus")] = (None, f"corpus() raised {type(err).__name__}: {err}")
            continue
        for key, value in summaries.items():
            out[(m.id, key)] = (value.value, value.reason)
    store.write_corpus(run_id, dataset, variant, out)


def duration_only(samples: int) -> np.ndarray:
    """A zero-stride stand-in for reference audio that carries only its length: corpus token
    statistics need the input duration, never the samples."""
    return np.broadcast_to(np.zeros(1, dtype=np.float32), (samples,))
