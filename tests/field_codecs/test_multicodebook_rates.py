"""Rate metrics on multi-codebook tokens: every stream counts, bits use each codebook's size,
usage and entropy are per codebook; single-stream values are what they always were."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.contract import PAD_TOKEN, Codebook
from bench.metrics.base import MetricInput
from bench.metrics.bits_per_s import BitsPerSecond
from bench.metrics.codebook_usage import CodebookUsage
from bench.metrics.entropy_bits_per_s import EntropyBitsPerSecond
from bench.metrics.mean_span import FIXED_RATE_REASON, MeanSpan
from bench.metrics.tokens_per_s import TokensPerSecond

SR = 16000
BOOKS = (Codebook("rvq0", 1024, 50.0), Codebook("rvq1", 16, 50.0))


def item(tokens: np.ndarray, seconds: float = 1.0, codebooks=BOOKS, vocab: int = 1024
         ) -> MetricInput:
    return MetricInput(utt_id="u", reference=np.zeros(int(seconds * SR), np.float32),
                       reference_sr=SR, tokens=tokens, vocab_size=vocab, frame_rate=50.0,
                       codebooks=codebooks)


def rvq_tokens(frames: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, 1024, frames), rng.integers(0, 16, frames)])


def test_tokens_and_bits_count_every_codebook() -> None:
    x = item(rvq_tokens(50))
    assert TokensPerSecond().compute([x])[0].value == pytest.approx(100.0)
    assert BitsPerSecond().compute([x])[0].value == pytest.approx(50 * 10 + 50 * 4)
    corpus = BitsPerSecond().corpus([x, item(rvq_tokens(25), seconds=0.5)], [])
    assert corpus["corpus"].value == pytest.approx(700.0)


def test_streams_of_different_lengths_are_counted_without_padding() -> None:
    books = (Codebook("s0", 4096, 12.5), Codebook("s1", 4096, 25.0))
    tokens = np.full((2, 4), PAD_TOKEN)
    tokens[0, :2] = [1, 2]
    tokens[1, :] = [3, 4, 5, 6]
    x = item(tokens, codebooks=books, vocab=4096)
    assert TokensPerSecond().compute([x])[0].value == pytest.approx(6.0)
    assert BitsPerSecond().compute([x])[0].value == pytest.approx(72.0)
    flat = item(tokens.reshape(-1), codebooks=books, vocab=4096)  # as read back from the store
    assert BitsPerSecond().compute([flat])[0].value == pytest.approx(72.0)


def test_codebook_usage_and_entropy_are_per_codebook() -> None:
    # codebook 0 uses ids {0, 1} evenly, codebook 1 always id 7: H = (1 + 0) / 2 per token
    tokens = np.stack([np.tile([0, 1], 10), np.full(20, 7)])
    x = item(tokens)
    usage = CodebookUsage().corpus([x], [])
    assert usage["corpus"].value == pytest.approx(3 / (1024 + 16))
    assert usage["usage_rvq0"].value == pytest.approx(2 / 1024)
    assert usage["usage_rvq1"].value == pytest.approx(1 / 16)
    assert usage["entropy_bits_per_token"].value == pytest.approx(0.5)
    assert usage["perplexity"].value == pytest.approx(math.sqrt(2))
    entropy = EntropyBitsPerSecond()
    assert entropy.compute([x])[0].value == pytest.approx(20.0)  # 20 tokens × 1 bit
    assert entropy.corpus([x], [])["corpus"].value == pytest.approx(20.0)
    assert CodebookUsage().compute([x])[0].value == pytest.approx(3 / 1040)


def test_ids_beyond_their_own_codebook_are_refused() -> None:
    tokens = np.stack([np.zeros(5, int), np.full(5, 16)])  # 16 is outside codebook rvq1 (16)
    value = CodebookUsage().compute([item(tokens)])[0]
    assert value.value is None and "rvq1" in value.reason


def test_mean_span_stays_missing_for_fixed_rate_codecs() -> None:
    value = MeanSpan().compute([item(rvq_tokens(10))])[0]
    assert value.value is None and FIXED_RATE_REASON in value.reason


def test_single_stream_values_are_unchanged() -> None:
    tokens = np.array([0, 1, 1, 3])
    x = MetricInput(utt_id="u", reference=np.zeros(SR, np.float32), reference_sr=SR,
                    tokens=tokens, vocab_size=4, frame_rate=4.0)
    assert BitsPerSecond().compute([x])[0].value == pytest.approx(8.0)
    usage = CodebookUsage().corpus([x], [])
    assert usage["corpus"].value == pytest.approx(0.75)
    assert "usage_tokens" not in usage
    assert EntropyBitsPerSecond().compute([x])[0].value == pytest.approx(6.0)
