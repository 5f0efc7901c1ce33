"""Shared pieces of the rate metrics: the real tokens of an utterance, the duration of its input
audio, and the corpus-level sums they are built from (total tokens / total seconds, as VARSTok).

Multi-codebook tokens ([K, L] with ``item.codebooks``) count every emitted id of every stream;
bits are Σ_k n_k × log2(size_k); per-stream statistics go through ``token_streams``."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from bench.contract import PAD_TOKEN, Codebook
from bench.metrics.base import Metric, MetricInput, MetricInputError, MetricValue


def real_tokens(item: MetricInput) -> np.ndarray:
    """The utterance's emitted ids as a 1-D int64 array, padding removed."""
    if item.tokens is None:
        raise MetricInputError("no tokens for this utterance")
    tokens = np.asarray(item.tokens).reshape(-1).astype(np.int64)
    tokens = tokens[tokens != PAD_TOKEN]
    if np.any(tokens < 0):
        raise MetricInputError(f"negative token ids other than padding ({PAD_TOKEN})")
    return tokens


def token_streams(item: MetricInput) -> list[tuple[Codebook, np.ndarray]]:
    """(codebook, real ids) per stream; a single-stream tokenizer is one stream named
    ``tokens`` of ``vocab_size`` ids (its frame rate as the stream rate)."""
    if item.codebooks is None:
        if not item.vocab_size or item.vocab_size < 1:
            raise MetricInputError("vocabulary size unknown")
        only = Codebook("tokens", int(item.vocab_size), float(item.frame_rate or 0.0))
        return [(only, real_tokens(item))]
    if item.tokens is None:
        raise MetricInputError("no tokens for this utterance")
    flat = np.asarray(item.tokens).astype(np.int64)
    if flat.size % len(item.codebooks):
        raise MetricInputError(f"{flat.size} stored ids do not split into "
                               f"{len(item.codebooks)} codebooks")
    out = []
    for codebook, row in zip(item.codebooks, flat.reshape(len(item.codebooks), -1), strict=True):
        values = row[row != PAD_TOKEN]
        if np.any(values < 0):
            raise MetricInputError(f"negative token ids other than padding ({PAD_TOKEN})")
        out.append((codebook, values))
    return out


def token_bits(item: MetricInput) -> float:
    """Fixed-length bits of the utterance's tokens: n × log2(vocab), or Σ_k n_k × log2(size_k)."""
    if item.codebooks is None:
        return len(real_tokens(item)) * bits_per_token(item)
    return float(sum(len(ids) * codebook.bits for codebook, ids in token_streams(item)))


def input_seconds(item: MetricInput) -> float:
    """Duration of the input (reference) audio, the denominator of every rate."""
    seconds = item.reference_seconds
    if seconds is None:
        raise MetricInputError("input audio duration unknown (no reference audio or rate)")
    if seconds <= 0:
        raise MetricInputError("input audio is empty (0 s)")
    return seconds


def bits_per_token(item: MetricInput) -> float:
    """log2 of the vocabulary size: the fixed-length code of one token."""
    if not item.vocab_size or item.vocab_size < 1:
        raise MetricInputError("vocabulary size unknown")
    return math.log2(item.vocab_size)


def entropy_bits(counts: Counter[int] | dict[int, int]) -> float:
    """Unigram entropy in bits of an id histogram."""
    total = sum(counts.values())
    if total == 0:
        raise MetricInputError("no tokens emitted: entropy undefined")
    probs = np.array([c / total for c in counts.values() if c > 0], dtype=np.float64)
    return float(-(probs * np.log2(probs)).sum()) + 0.0


class TokenRateMetric(Metric):
    """A metric of the token stream; its corpus summary sums over the utterances it can read."""

    def usable(self, items: list[MetricInput]) -> list[tuple[MetricInput, np.ndarray, float]]:
        """(item, tokens, seconds) for every item with tokens and a known input duration."""
        out = []
        for item in items:
            try:
                out.append((item, real_tokens(item), input_seconds(item)))
            except MetricInputError:
                continue
        return out

    @staticmethod
    def no_data(what: str) -> dict[str, MetricValue]:
        return {"corpus": MetricValue.missing(f"no utterance with tokens and {what}")}
