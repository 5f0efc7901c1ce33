"""Every field codec on its tiny random model, loaded by path: round-trip shapes, rates equal to
the config's arithmetic, batched equal to one-at-a-time, deterministic tokens."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.contract import Tokenizer
from bench.metrics.base import MetricInput
from bench.metrics.bits_per_s import BitsPerSecond
from bench.metrics.tokens_per_s import TokensPerSecond
from field_codecs.conftest import CASES, Case

FAMILIES = sorted(CASES)


def noise(samples: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return 0.1 * torch.randn(samples, generator=gen)


def padded(wavs: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(w) for w in wavs])
    batch = torch.zeros(len(wavs), int(lengths.max()))
    for i, w in enumerate(wavs):
        batch[i, : len(w)] = w
    return batch, lengths


@pytest.mark.parametrize("family", FAMILIES)
def test_round_trip_shapes_and_provenance(family: str, build_tiny) -> None:
    case: Case = CASES[family]
    tok = build_tiny(family, **case.settings)
    assert isinstance(tok, Tokenizer)
    assert tok.info.family == family and tok.info.trained is False  # random weights, labelled
    assert [c.size for c in tok.codebooks] == list(case.sizes)
    assert [c.frame_rate for c in tok.codebooks] == pytest.approx(list(case.frame_rates))
    wavs = [noise(case.samples // 2, 1), noise(case.samples // 4 + 7, 2)]
    batch = tok.encode(*padded(wavs))
    assert batch.tokens.shape[:2] == (2, len(case.sizes))
    assert batch.codebooks == tok.codebooks
    audio, lengths = tok.decode(batch)
    assert audio.shape == (2, int(lengths.max())) and audio.dtype == torch.float32
    for wav, n in zip(wavs, lengths.tolist(), strict=True):
        # codecs emit whole frames (SNAC pads to 4 of its finest frames): within 10% + 2048
        assert abs(n - len(wav)) <= 0.1 * len(wav) + 2048
    assert torch.isfinite(audio).all()


@pytest.mark.parametrize("family", FAMILIES)
def test_measured_rates_equal_the_config_arithmetic(family: str, build_tiny) -> None:
    case: Case = CASES[family]
    tok = build_tiny(family, **case.settings)
    wav = noise(case.samples, 3)
    batch = tok.encode(*padded([wav]))
    seconds = case.samples / tok.sample_rate
    assert batch.item_token_count(0) / seconds == pytest.approx(case.tokens_per_s)
    assert batch.item_bits(0) / seconds == pytest.approx(case.bits_per_s)
    item = MetricInput(utt_id="u", reference=wav.numpy(), reference_sr=tok.sample_rate,
                       tokens=batch.item_tokens(0).numpy(), vocab_size=tok.vocab_size,
                       frame_rate=tok.frame_rate, codebooks=tok.codebooks)
    assert TokensPerSecond().compute([item])[0].value == pytest.approx(case.tokens_per_s)
    assert BitsPerSecond().compute([item])[0].value == pytest.approx(case.bits_per_s)


def test_encodec_and_mimi_rates_match_their_papers(build_tiny) -> None:
    """EnCodec 24 kHz at 1.5 kbps: 2 × 1024 at 75 Hz = 150 tok/s, 1500 bit/s; Mimi: 12.5 Hz,
    2048-entry codebooks (8 codebooks = 1.1 kbps)."""
    encodec = build_tiny("encodec", bandwidth=1.5)
    batch = encodec.encode(*padded([noise(48000, 4)]))
    assert batch.item_token_count(0) / 2.0 == 150.0
    assert batch.item_bits(0) / 2.0 == 1500.0
    mimi = build_tiny("mimi", n_quantizers=8)
    batch = mimi.encode(*padded([noise(48000, 5)]))
    assert batch.codebook_lengths[0].tolist() == [25] * 8  # 12.5 Hz × 2 s
    assert batch.item_bits(0) / 2.0 == pytest.approx(8 * 12.5 * 11)


@pytest.mark.parametrize("family", FAMILIES)
def test_batched_equals_one_at_a_time_and_is_deterministic(family: str, build_tiny) -> None:
    case: Case = CASES[family]
    tok = build_tiny(family, **case.settings)
    wavs = [noise(case.samples // 8 + 11, 6), noise(case.samples // 4, 7),
            noise(case.samples // 6, 8)]
    together = tok.encode(*padded(wavs))
    audio, lengths = tok.decode(together)
    for i, wav in enumerate(wavs):
        alone = tok.encode(*padded([wav]))
        assert torch.equal(alone.item_tokens(0), together.item_tokens(i))
        assert torch.equal(alone.codebook_lengths[0], together.codebook_lengths[i])
        one_audio, one_len = tok.decode(alone)
        assert int(one_len[0]) == int(lengths[i])
        np.testing.assert_array_equal(one_audio[0, : int(one_len[0])].numpy(),
                                      audio[i, : int(lengths[i])].numpy())
    again = tok.encode(*padded(wavs))
    assert torch.equal(again.tokens, together.tokens)
