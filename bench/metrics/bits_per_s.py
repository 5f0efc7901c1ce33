"""Token bitrate: tokens per second × log2(vocabulary size), per utterance and corpus-level.

Multi-codebook tokens: Σ over streams of tokens × log2(codebook size) per second."""

from __future__ import annotations

from bench.metrics.base import MetricInfo, MetricInput, MetricInputError, MetricValue
from bench.metrics.rate_common import (
    TokenRateMetric,
    input_seconds,
    token_bits,
)


class BitsPerSecond(TokenRateMetric):
    """Bits/s of the token stream with a fixed-length code (side information not included;
    see ``side_bits_per_s``)."""

    info = MetricInfo(
        id="bits_per_s",
        needs_tokens=True,
        higher_is_better=False,
        unit="bit/s",
        protocol="tokens / input seconds x log2(vocab_size); corpus value = total tokens x "
        "log2(vocab_size) / total seconds; multi-codebook: sum over codebooks of tokens x "
        "log2(codebook size); side information excluded",
        aliases=("bitrate",),
    )

    def compute_one(self, item: MetricInput) -> MetricValue:
        return MetricValue(token_bits(item) / input_seconds(item))

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        bits = 0.0
        seconds = 0.0
        for item, _, item_seconds in self.usable(items):
            try:
                bits += token_bits(item)
            except MetricInputError:
                continue
            seconds += item_seconds
        if seconds == 0.0:
            return self.no_data("vocabulary size and input duration")
        return {"corpus": MetricValue(bits / seconds)}
