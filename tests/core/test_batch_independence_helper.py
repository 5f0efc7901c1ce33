"""The batch-independence checker itself: it passes a per-item tokenizer and catches one whose
tokens or audio depend on the batch (so a family test built on it can fail)."""

from __future__ import annotations

import pytest
import torch

from bench.batch_independence import check_batch_independence, compositions
from bench.contract import TokenBatch


class ToyCodec:
    """Tokens = sign pattern of 100-sample block means; ``leak_*`` let the batch size leak in."""

    name, sample_rate, vocab_size, frame_rate = "toy", 8000, 2, 80.0

    def __init__(self, leak_tokens: bool = False, leak_audio: float = 0.0) -> None:
        self.leak_tokens, self.leak_audio = leak_tokens, leak_audio

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        seqs = []
        for row, n in zip(waveforms, lengths.tolist(), strict=True):
            blocks = row[: n - n % 100].view(-1, 100).mean(dim=1)
            seqs.append((blocks > 0).long() ^ int(self.leak_tokens and len(waveforms) > 1))
        return TokenBatch.from_sequences(seqs)

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        lengths = batch.lengths * 100
        out = torch.zeros(batch.batch_size, int(lengths.max()))
        for i in range(batch.batch_size):
            wave = batch.item_tokens(i).float().repeat_interleave(100) - 0.5
            out[i, : wave.numel()] = wave + self.leak_audio * batch.batch_size
        return out, lengths

    def to(self, device: torch.device | str) -> ToyCodec:
        return self


def _waves() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(3)
    return [torch.randn(n, generator=gen) for n in (1000, 1730, 560)]


def test_per_item_codec_passes() -> None:
    report = check_batch_independence(ToyCodec(), _waves())
    assert report.max_audio_diff == 0.0
    assert report.compositions == ["alone", *compositions(3), "wider-noise-padded"]


def test_batch_dependent_tokens_are_caught() -> None:
    with pytest.raises(AssertionError, match="tokens differ"):
        check_batch_independence(ToyCodec(leak_tokens=True), _waves())


def test_audio_tolerance_is_enforced() -> None:
    with pytest.raises(AssertionError, match="decoded audio differs"):
        check_batch_independence(ToyCodec(leak_audio=1e-6), _waves())
    report = check_batch_independence(ToyCodec(leak_audio=1e-6), _waves(), audio_atol=1e-5)
    assert 1e-6 <= report.max_audio_diff < 1e-5
