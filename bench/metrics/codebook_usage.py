"""Codebook utilisation and perplexity of the emitted ids (corpus-level headline)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from bench.metrics.base import MetricInfo, MetricInput, MetricInputError, MetricValue
from bench.metrics.rate_common import TokenRateMetric, entropy_bits, real_tokens


def checked_tokens(item: MetricInput) -> tuple[np.ndarray, int]:
    """Real ids and the vocabulary size, refusing ids outside ``[0, vocab_size)``."""
    tokens = real_tokens(item)
    if not item.vocab_size or item.vocab_size < 1:
        raise MetricInputError("vocabulary size unknown")
    if tokens.size and int(tokens.max()) >= item.vocab_size:
        raise MetricInputError(f"token id {int(tokens.max())} >= vocab_size {item.vocab_size}")
    return tokens, int(item.vocab_size)


class CodebookUsage(TokenRateMetric):
    """Fraction of the vocabulary emitted. Per utterance: distinct ids / vocab. Corpus:
    ``corpus`` = distinct ids over all utterances / vocab, ``perplexity`` = 2^H(unigram),
    ``used_codes`` and ``entropy_bits_per_token``."""

    info = MetricInfo(
        id="codebook_usage",
        needs_tokens=True,
        higher_is_better=True,
        unit="fraction",
        protocol="distinct emitted ids / vocab_size; corpus perplexity = 2^(unigram entropy of "
        "all emitted ids)",
    )

    def compute_one(self, item: MetricInput) -> MetricValue:
        tokens, vocab = checked_tokens(item)
        if tokens.size == 0:
            return MetricValue.missing("no tokens emitted")
        return MetricValue(len(np.unique(tokens)) / vocab)

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        counts: Counter[int] = Counter()
        vocabs: set[int] = set()
        for item in items:
            try:
                tokens, vocab = checked_tokens(item)
            except MetricInputError:
                continue
            counts.update(tokens.tolist())
            vocabs.add(vocab)
        if not counts:
            return {"corpus": MetricValue.missing("no utterance with tokens and a vocabulary")}
        if len(vocabs) > 1:
            reason = f"utterances disagree on vocab_size {sorted(vocabs)}"
            return {"corpus": MetricValue.missing(reason)}
        entropy = entropy_bits(counts)
        return {
            "corpus": MetricValue(len(counts) / vocabs.pop()),
            "perplexity": MetricValue(2.0**entropy),
            "used_codes": MetricValue(float(len(counts))),
            "entropy_bits_per_token": MetricValue(entropy),
        }
