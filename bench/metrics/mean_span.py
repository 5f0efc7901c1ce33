"""Mean number of underlying frames per token for variable-rate tokenizers (VARSTok spans)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from bench.metrics.base import MetricInfo, MetricInput, MetricInputError, MetricValue
from bench.metrics.rate_common import TokenRateMetric, real_tokens

FIXED_RATE_REASON = "fixed-rate tokenizer: no token spans (durations) to average"


def real_spans(item: MetricInput) -> np.ndarray:
    """The spans of the real tokens, refusing missing, mismatched or non-positive spans."""
    if item.durations is None:
        raise MetricInputError(FIXED_RATE_REASON)
    tokens = real_tokens(item)
    spans = np.asarray(item.durations).reshape(-1).astype(np.int64)[: len(tokens)]
    if len(spans) != len(tokens):
        raise MetricInputError(f"{len(spans)} spans for {len(tokens)} tokens")
    if spans.size == 0:
        raise MetricInputError("no tokens emitted: mean span undefined")
    if np.any(spans <= 0):
        raise MetricInputError("a token covers zero or negative frames")
    return spans


def span_histogram(items: list[MetricInput]) -> dict[int, int]:
    """{span in frames: number of tokens} over every utterance with valid spans."""
    counts: Counter[int] = Counter()
    for item in items:
        try:
            counts.update(real_spans(item).tolist())
        except MetricInputError:
            continue
    return dict(sorted(counts.items()))


class MeanSpan(TokenRateMetric):
    """Frames per token (per utterance: mean span). Corpus: ``corpus`` = total frames / total
    tokens, ``mean_span_ms`` with the frame rate, and ``share_span_<k>`` = fraction of tokens
    covering k frames (the span histogram)."""

    info = MetricInfo(
        id="mean_span",
        needs_tokens=True,
        higher_is_better=None,  # descriptive: longer spans are neither better nor worse
        unit="frames",
        protocol="mean of token durations in underlying frames; corpus = total frames / total "
        "tokens; missing for fixed-rate tokenizers",
    )

    def compute_one(self, item: MetricInput) -> MetricValue:
        return MetricValue(float(np.mean(real_spans(item))))

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        histogram = span_histogram(items)
        if not histogram:
            has_spans = any(item.durations is not None for item in items)
            reason = "no utterance with valid spans" if has_spans else FIXED_RATE_REASON
            return {"corpus": MetricValue.missing(reason)}
        tokens = sum(histogram.values())
        mean = sum(span * n for span, n in histogram.items()) / tokens
        out = {"corpus": MetricValue(mean)}
        rates = {item.frame_rate for item in items if item.frame_rate}
        if len(rates) == 1:
            out["mean_span_ms"] = MetricValue(1000.0 * mean / rates.pop())
        for span, n in histogram.items():
            out[f"share_span_{span}"] = MetricValue(n / tokens)
        return out
