"""TokenBatch padding/selection and the entry-point registry."""

from __future__ import annotations

import pytest
import torch

from bench.contract import PAD_TOKEN, SideInfo, TokenBatch
from bench.registry import metric_names, tokenizer_names


def test_from_sequences_pads_and_keeps_spans() -> None:
    batch = TokenBatch.from_sequences(
        [torch.tensor([5, 6, 7]), torch.tensor([9])],
        durations=[torch.tensor([1, 2, 4]), torch.tensor([3])],
    )
    assert batch.tokens.tolist() == [[5, 6, 7], [9, PAD_TOKEN, PAD_TOKEN]]
    assert batch.lengths.tolist() == [3, 1]
    assert batch.durations is not None
    assert batch.durations.tolist() == [[1, 2, 4], [3, 0, 0]]
    assert batch.item_tokens(1).tolist() == [9]
    one = batch.select(0)
    assert one.tokens.tolist() == [[5, 6, 7]] and one.durations.tolist() == [[1, 2, 4]]


def test_side_info_bits_and_selection() -> None:
    se = SideInfo(values=torch.randn(2, 256), bits_per_utterance=256 * 32)
    batch = TokenBatch.from_sequences([torch.tensor([1]), torch.tensor([2, 3])],
                                      side_info={"speaker_embedding": se})
    assert batch.side_bits() == 8192.0
    assert batch.select(1).side_info["speaker_embedding"].values.shape == (1, 256)


def test_shape_errors_are_clear() -> None:
    with pytest.raises(ValueError, match=r"tokens must be \[B, L\]"):
        TokenBatch(tokens=torch.zeros(3, dtype=torch.long), lengths=torch.tensor([3]))
    with pytest.raises(ValueError, match="durations"):
        TokenBatch(tokens=torch.zeros(1, 3, dtype=torch.long), lengths=torch.tensor([3]),
                   durations=torch.zeros(1, 2, dtype=torch.long))


def test_builtins_register_through_entry_points() -> None:
    assert {"varstok", "wavtokenizer", "plutok"} <= set(tokenizer_names())
    assert {"pesq_wb", "stoi", "tokens_per_s", "utmos", "wer"} <= set(metric_names())
