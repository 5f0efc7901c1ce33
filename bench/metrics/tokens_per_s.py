"""Tokens per second of input audio, per utterance and for the corpus (total / total)."""

from __future__ import annotations

from bench.metrics.base import MetricInfo, MetricInput, MetricValue
from bench.metrics.rate_common import TokenRateMetric, input_seconds, real_tokens


class TokensPerSecond(TokenRateMetric):
    """Emitted tokens ÷ input seconds; ``corpus()["corpus"]`` is total tokens ÷ total seconds,
    the VARSTok paper's average token rate."""

    info = MetricInfo(
        id="tokens_per_s",
        needs_tokens=True,
        higher_is_better=None,  # descriptive: how the stream is cut, compared but not judged
        unit="tok/s",
        protocol="number of emitted tokens / input audio seconds; corpus value = total tokens / "
        "total seconds (VARSTok paper)",
        aliases=("token_rate",),
    )

    def compute_one(self, item: MetricInput) -> MetricValue:
        return MetricValue(len(real_tokens(item)) / input_seconds(item))

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        usable = self.usable(items)
        if not usable:
            return self.no_data("input duration")
        total_tokens = sum(len(tokens) for _, tokens, _ in usable)
        total_seconds = sum(seconds for *_, seconds in usable)
        return {"corpus": MetricValue(total_tokens / total_seconds)}
