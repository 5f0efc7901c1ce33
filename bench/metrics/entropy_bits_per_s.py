"""Entropy-coded bitrate: unigram entropy of the emitted ids × tokens per second.

Multi-codebook tokens: each codebook is entropy-coded on its own, Σ_k H_k × n_k / seconds."""

from __future__ import annotations

from collections import Counter

from bench.metrics.base import MetricInfo, MetricInput, MetricInputError, MetricValue
from bench.metrics.rate_common import (
    TokenRateMetric,
    entropy_bits,
    input_seconds,
    real_tokens,
    token_streams,
)


def stream_entropy_bits(item: MetricInput) -> float:
    """Σ over codebooks of (own unigram entropy × ids emitted): the item's entropy-coded bits."""
    total = 0.0
    for _, ids in token_streams(item):
        if ids.size:
            total += entropy_bits(Counter(ids.tolist())) * len(ids)
    return total


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
        if item.codebooks is not None:
            if len(real_tokens(item)) == 0:
                raise MetricInputError("no tokens emitted: entropy undefined")
            return MetricValue(stream_entropy_bits(item) / input_seconds(item))
        tokens = real_tokens(item)
        entropy = entropy_bits(Counter(tokens.tolist()))
        return MetricValue(entropy * len(tokens) / input_seconds(item))

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        usable = self.usable(items)
        if any(item.codebooks is not None for item, _, _ in usable):
            return self._multi_codebook_corpus(usable)
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

    def _multi_codebook_corpus(self, usable: list[tuple[MetricInput, object, float]]
                               ) -> dict[str, MetricValue]:
        """Corpus entropy per codebook name: Σ_k H_k(corpus) × n_k / total seconds."""
        counts: dict[str, Counter[int]] = {}
        seconds = 0.0
        for item, _, item_seconds in usable:
            try:
                streams = token_streams(item)
            except MetricInputError:
                continue
            for codebook, ids in streams:
                counts.setdefault(codebook.name, Counter()).update(ids.tolist())
            seconds += item_seconds
        n_tokens = sum(sum(c.values()) for c in counts.values())
        if not n_tokens or seconds == 0.0:
            return self.no_data("input duration")
        bits = sum(entropy_bits(c) * sum(c.values()) for c in counts.values() if c)
        return {
            "corpus": MetricValue(bits / seconds),
            "entropy_bits_per_token": MetricValue(bits / n_tokens),
        }
