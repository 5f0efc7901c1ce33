"""Codebook utilisation and perplexity of the emitted ids (corpus-level headline)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from bench.contract import Codebook
from bench.metrics.base import MetricInfo, MetricInput, MetricInputError, MetricValue
from bench.metrics.rate_common import TokenRateMetric, entropy_bits, real_tokens, token_streams


def checked_tokens(item: MetricInput) -> tuple[np.ndarray, int]:
    """Real ids and the vocabulary size, refusing ids outside ``[0, vocab_size)``."""
    tokens = real_tokens(item)
    if not item.vocab_size or item.vocab_size < 1:
        raise MetricInputError("vocabulary size unknown")
    if tokens.size and int(tokens.max()) >= item.vocab_size:
        raise MetricInputError(f"token id {int(tokens.max())} >= vocab_size {item.vocab_size}")
    return tokens, int(item.vocab_size)


def checked_streams(item: MetricInput) -> list[tuple[Codebook, np.ndarray]]:
    """Per-stream real ids (one stream for single-codebook tokenizers), each checked against
    its own codebook size."""
    if item.codebooks is None:
        tokens, vocab = checked_tokens(item)
        return [(Codebook("tokens", vocab, float(item.frame_rate or 0.0)), tokens)]
    streams = token_streams(item)
    for codebook, ids in streams:
        if ids.size and int(ids.max()) >= codebook.size:
            raise MetricInputError(f"token id {int(ids.max())} >= size {codebook.size} of "
                                   f"codebook {codebook.name!r}")
    return streams


class CodebookUsage(TokenRateMetric):
    """Fraction of the vocabulary emitted. Per utterance: distinct ids / vocab. Corpus:
    ``corpus`` = distinct ids over all utterances / vocab, ``perplexity`` = 2^H(unigram),
    ``used_codes`` and ``entropy_bits_per_token``. Multi-codebook tokens: distinct ids are
    counted per codebook and divided by Σ codebook sizes, H is the token-weighted mean of the
    per-codebook entropies, and ``usage_<codebook>`` gives each codebook's own fraction."""

    info = MetricInfo(
        id="codebook_usage",
        needs_tokens=True,
        higher_is_better=True,
        unit="fraction",
        protocol="distinct emitted ids / vocab_size; corpus perplexity = 2^(unigram entropy of "
        "all emitted ids); multi-codebook: per-codebook distinct ids / sum of codebook sizes",
    )

    def compute_one(self, item: MetricInput) -> MetricValue:
        streams = checked_streams(item)
        if sum(ids.size for _, ids in streams) == 0:
            return MetricValue.missing("no tokens emitted")
        used = sum(len(np.unique(ids)) for _, ids in streams)
        return MetricValue(used / sum(codebook.size for codebook, _ in streams))

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        counts: dict[str, Counter[int]] = {}
        layouts: set[tuple[Codebook, ...]] = set()
        for item in items:
            try:
                streams = checked_streams(item)
            except MetricInputError:
                continue
            layouts.add(tuple(codebook for codebook, _ in streams))
            for codebook, ids in streams:
                counts.setdefault(codebook.name, Counter()).update(ids.tolist())
        if not any(counts.values()):
            return {"corpus": MetricValue.missing("no utterance with tokens and a vocabulary")}
        if len(layouts) > 1:
            sizes = sorted({tuple(c.size for c in layout) for layout in layouts})
            reason = (f"utterances disagree on vocab_size {sorted(s[0] for s in sizes)}"
                      if all(len(s) == 1 for s in sizes)
                      else f"utterances disagree on codebooks {sizes}")
            return {"corpus": MetricValue.missing(reason)}
        layout = layouts.pop()
        used = sum(len(counts[c.name]) for c in layout)
        n_tokens = sum(sum(counts[c.name].values()) for c in layout)
        entropy = sum(sum(counts[c.name].values()) * entropy_bits(counts[c.name])
                      for c in layout if counts[c.name]) / n_tokens
        out = {
            "corpus": MetricValue(used / sum(c.size for c in layout)),
            "perplexity": MetricValue(2.0**entropy),
            "used_codes": MetricValue(float(used)),
            "entropy_bits_per_token": MetricValue(entropy),
        }
        if len(layout) > 1:
            for c in layout:
                out[f"usage_{c.name}"] = MetricValue(len(counts[c.name]) / c.size)
        return out
