"""Side-information bitrate: bits carried outside the token stream per second of input audio."""

from __future__ import annotations

from bench.metrics.base import MetricInfo, MetricInput, MetricValue
from bench.metrics.rate_common import TokenRateMetric, input_seconds


class SideBitsPerSecond(TokenRateMetric):
    """``side_bits`` (e.g. Plutok's speaker embedding) ÷ input seconds; 0 when a tokenizer has
    no side information, which is a measured fact, not a placeholder."""

    info = MetricInfo(
        id="side_bits_per_s",
        needs_tokens=True,
        higher_is_better=False,
        unit="bit/s",
        protocol="side-information bits per utterance / input seconds; corpus value = total "
        "side bits / total seconds",
    )

    def compute_one(self, item: MetricInput) -> MetricValue:
        if item.side_bits < 0:
            return MetricValue.missing(f"negative side bits ({item.side_bits})")
        return MetricValue(item.side_bits / input_seconds(item))

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        usable = [(item, s) for item, _, s in self.usable(items) if item.side_bits >= 0]
        if not usable:
            return self.no_data("input duration")
        total_bits = sum(item.side_bits for item, _ in usable)
        return {"corpus": MetricValue(total_bits / sum(s for _, s in usable))}
