"""Batched encode/decode with padding equals one-at-a-time processing on real speech."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
import torch

from tokenizers_impl.varstok.model import VARSTok

CUTS = (12000 + 123, 19000 + 7, 26000)  # samples kept from three utterances (not multiples of 320)


@pytest.fixture(scope="module")
def speech(libritts_demo: Path) -> list[torch.Tensor]:
    files = sorted((libritts_demo / "gt").glob("*.wav"))[:3]
    return [torch.from_numpy(sf.read(f, dtype="float32")[0][:n])
            for f, n in zip(files, CUTS, strict=True)]


def _pad(items: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([w.numel() for w in items])
    batch = torch.zeros(len(items), int(lengths.max()))
    for i, w in enumerate(items):
        batch[i, : w.numel()] = w
    return batch, lengths


@pytest.mark.parametrize("variant", ["fixed"])
@pytest.mark.parametrize("separately", [False, True], ids=["padded-encoder", "per-item-encoder"])
def test_batched_equals_one_at_a_time(golden_model: VARSTok, speech: list, variant: str,
                                      separately: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both encoder paths (padded batch, used on GPU; item by item, used on CPU) are exact."""
    golden_model.set_clustering(variant)
    monkeypatch.setattr(golden_model.feature_extractor, "encode_items_separately_on_cpu",
                        separately)
    batch, lengths = _pad(speech)
    features, ids, spans = golden_model.encode_infer(batch, 0, lengths=lengths)
    audio, audio_lengths = golden_model.decode_with_lengths(features, spans, 0)
    from_codes = golden_model.decode(*golden_model.codes_to_features(ids), 0)
    torch.testing.assert_close(from_codes, audio, rtol=0, atol=0)
    for i, wav in enumerate(speech):
        f1, ids1, spans1 = golden_model.encode_infer(wav[None], 0)
        count = spans1.shape[1]
        assert int(spans1.sum()) == -(-wav.numel() // 320)
        assert torch.equal(spans[i, :count], spans1[0]) and int(spans[i, count:].sum()) == 0
        assert torch.equal(ids[0, i, :count], ids1[0, 0])
        assert bool((ids[0, i, count:] == -1).all())
        torch.testing.assert_close(features[i, :, :count], f1[0], rtol=1e-4, atol=1e-5)
        alone = golden_model.decode(f1, spans1, 0)[0]
        assert int(audio_lengths[i]) == alone.numel()
        peak = float(alone.abs().max())
        torch.testing.assert_close(audio[i, : alone.numel()], alone, rtol=0, atol=1e-5 * peak)
        assert float(audio[i, alone.numel():].abs().sum()) == 0.0
    golden_model.set_clustering("original")
