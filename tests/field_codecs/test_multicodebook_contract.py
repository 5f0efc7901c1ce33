"""Multi-codebook TokenBatch: [B, K, L] tokens with per-stream lengths, counts and bits; the
single-stream behaviour stays exactly as before."""

from __future__ import annotations

import math

import pytest
import torch

from bench.contract import (
    PAD_TOKEN,
    Codebook,
    TokenBatch,
    count_and_bits,
    split_streams,
    total_bits,
)

RVQ = (Codebook("rvq0", 1024, 75.0), Codebook("rvq1", 1024, 75.0))
SCALES = (Codebook("scale0", 4096, 11.72), Codebook("scale1", 4096, 23.44),
          Codebook("scale2", 4096, 46.88))


def test_rvq_batch_defaults_every_stream_to_the_item_length() -> None:
    tokens = torch.randint(0, 1024, (2, 2, 5))
    tokens[1, :, 3:] = PAD_TOKEN
    batch = TokenBatch(tokens=tokens, lengths=torch.tensor([5, 3]), codebooks=RVQ)
    assert batch.num_codebooks == 2
    assert batch.codebook_lengths.tolist() == [[5, 5], [3, 3]]
    assert batch.item_token_count(1) == 6
    assert batch.item_bits(1) == pytest.approx(6 * 10.0)
    assert batch.item_tokens(1).shape == (2, 3)
    one = batch.select(1)
    assert one.tokens.shape == (1, 2, 3) and one.codebooks == RVQ
    assert torch.equal(one.item_tokens(0), tokens[1, :, :3])


def test_multiscale_streams_keep_their_own_lengths() -> None:
    items = [[torch.arange(2), torch.arange(4), torch.arange(8)],
             [torch.arange(1), torch.arange(2), torch.arange(4)]]
    batch = TokenBatch.from_streams(items, SCALES)
    assert batch.tokens.shape == (2, 3, 8)
    assert batch.lengths.tolist() == [8, 4]
    assert batch.codebook_lengths.tolist() == [[2, 4, 8], [1, 2, 4]]
    assert batch.item_token_count(0) == 14
    assert batch.item_bits(0) == pytest.approx(14 * 12.0)
    for got, want in zip(batch.item_streams(1), items[1], strict=True):
        assert torch.equal(got, want)
    stored = batch.item_tokens(1).reshape(-1)  # what the store keeps: row-major, padded
    assert [s.tolist() for s in split_streams(stored, 3)] == [s.tolist() for s in items[1]]
    assert count_and_bits(stored, SCALES, 4096) == (7, pytest.approx(7 * 12.0))
    moved = batch.to("cpu")
    assert moved.codebooks == SCALES and torch.equal(moved.codebook_lengths,
                                                     batch.codebook_lengths)


def test_mixed_codebook_sizes_cost_their_own_bits() -> None:
    books = (Codebook("a", 2048, 12.5), Codebook("b", 16, 12.5))
    assert total_bits(books, [10, 10]) == pytest.approx(10 * 11 + 10 * 4)


def test_single_stream_batches_are_unchanged() -> None:
    batch = TokenBatch.from_sequences([torch.tensor([1, 2, 3]), torch.tensor([4])])
    assert batch.num_codebooks == 1 and batch.codebooks is None
    assert batch.item_token_count(0) == 3
    assert batch.item_bits(0, vocab_size=4096) == pytest.approx(3 * 12.0)
    assert count_and_bits(batch.item_tokens(1), None, 4096) == (1, pytest.approx(12.0))
    with pytest.raises(ValueError, match="vocab_size"):
        batch.item_bits(0)
    assert math.isclose(batch.select(0).item_bits(0, 2), 3.0)


def test_invalid_multicodebook_batches_are_refused() -> None:
    tokens = torch.zeros(1, 2, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="need 2 codebooks"):
        TokenBatch(tokens=tokens, lengths=torch.tensor([4]))
    with pytest.raises(ValueError, match="codebook_lengths"):
        TokenBatch(tokens=tokens, lengths=torch.tensor([4]), codebooks=RVQ,
                   codebook_lengths=torch.tensor([[4]]))
    with pytest.raises(ValueError, match="single-stream"):
        TokenBatch(tokens=tokens, lengths=torch.tensor([4]), codebooks=RVQ,
                   durations=torch.ones_like(tokens))
    with pytest.raises(ValueError, match=r"\[B, K, L\]"):
        TokenBatch(tokens=torch.zeros(1, 4, dtype=torch.long), lengths=torch.tensor([4]),
                   codebooks=RVQ)
