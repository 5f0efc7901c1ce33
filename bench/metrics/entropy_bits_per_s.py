"""Entropy-coded bitrate: unigram entropy of the emitted ids × tokens per second."""

from __future__ import annotations

from collections import Counter

from bench.metrics.base import MetricInfo, MetricInput, MetricValue
from bench.metrics.rate_common import TokenRateMetric, entropy_bits, input_seconds, real_tokens


class EntropyBitsPerSecond(TokenRateMetric):
    """What an ideal unigram entropy coder would need. The corpus value (the headline) uses the
    corpus id distribution: H(corpus) × total tokens / total seconds. The per-utterance value
    uses that utterance's own id distribution, which underestimates H on short utterances."""

    info = MetricInfo(
        id="entropy_bits_per_s",
        needs_tokens=True,
        higher_is_better=False,
        unit="bit/s",
        protocol="unigram entropy (bits) of emitted ids x tokens/s; corpus value = corpus "
        "entropy x total tokens / total seconds; per utterance: own empirical entropy",
    )

    def compute_one(self, item: MetricInput) -> MetricValue:
        tokens = real_tokens(item)
        entropy = entropy_bits(Counter(tokens.tolist()))
        return MetricValue(entropy * len(tokens) / input_seconds(item))

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        usable = self.usable(items)
        counts: Counter[int] = Counter()
        for _, tokens, _ in usable:
            counts.update(tokens.tolist())
        if not counts:
            return self.no_data("input duration")
        total_seconds = sum(seconds for *_, seconds in usable)
        entropy = entropy_bits(counts)
        rate = sum(counts.values()) / total_seconds
        return {
            "corpus": MetricValue(entropy * rate),
            "entropy_bits_per_token": MetricValue(entropy),
        }
