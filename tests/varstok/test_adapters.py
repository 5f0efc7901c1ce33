"""Harness adapters (VARSTok, WavTokenizer) and the WavTokenizer parity check on golden vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from bench.contract import PAD_TOKEN, Tokenizer
from tokenizers_impl.varstok import adapter as varstok_adapter
from tokenizers_impl.wavtokenizer import adapter as wavtokenizer_adapter
from tokenizers_impl.wavtokenizer.model import WavTokenizer


def _batch(varstok_golden: Path) -> tuple[torch.Tensor, torch.Tensor]:
    chirp = torch.from_numpy(np.load(varstok_golden / "chirp_2s.input.npy"))
    bursts = torch.from_numpy(np.load(varstok_golden / "bursts_0p9s.input.npy"))
    wavs = torch.zeros(2, chirp.numel())
    wavs[0], wavs[1, : bursts.numel()] = chirp, bursts
    return wavs, torch.tensor([chirp.numel(), bursts.numel()])


@pytest.mark.parametrize("variant", ["original", "fixed"])
def test_varstok_adapter_round_trip(varstok_golden: Path, variant: str) -> None:
    tok = varstok_adapter.build(checkpoint=str(varstok_golden), clustering=variant,
                                threshold=0.7, max_span=4)
    assert isinstance(tok, Tokenizer)
    assert tok.vocab_size == 16384 and tok.frame_rate == 75 and tok.sample_rate == 24000
    assert tok.info.family == "varstok" and tok.info.trained is False  # golden: global_step 0
    wavs, lengths = _batch(varstok_golden)
    batch = tok.encode(wavs, lengths)
    expected = np.load(varstok_golden / f"bursts_0p9s.{variant}.codes.npy")[0, 0]
    assert batch.item_tokens(1).tolist() == expected.tolist()
    assert batch.item_durations(1).tolist() == np.load(
        varstok_golden / f"bursts_0p9s.{variant}.cluster_lengths.npy")[0].tolist()
    assert batch.durations.sum(dim=1).tolist() == [150, 68]
    assert bool((batch.tokens[1, int(batch.lengths[1]):] == PAD_TOKEN).all())
    audio, audio_lengths = tok.decode(batch)
    assert audio_lengths.tolist() == [48000, 68 * 320]
    golden_audio = np.load(varstok_golden / f"chirp_2s.{variant}.audio.npy")[0]
    np.testing.assert_allclose(audio[0].numpy(), golden_audio, rtol=0, atol=1e-3)


def test_varstok_adapter_rejects_bad_input(varstok_golden: Path) -> None:
    tok = varstok_adapter.build(checkpoint=str(varstok_golden))
    with pytest.raises(ValueError, match="mono"):
        tok.encode(torch.zeros(1, 2, 100), torch.tensor([100]))
    with pytest.raises(ValueError, match="NaN"):
        tok.encode(torch.full((1, 400), float("nan")), torch.tensor([400]))
    with pytest.raises(ValueError, match="length"):
        tok.encode(torch.zeros(1, 400), torch.tensor([0]))
    with pytest.raises(TypeError, match="unknown VARSTok settings"):
        varstok_adapter.build(checkpoint=str(varstok_golden), treshold=0.6)


def test_missing_default_model_is_explained(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(varstok_adapter, "PRETRAINED_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"varstok_tiny[/\\]model\.ckpt"):
        varstok_adapter.build()
    monkeypatch.setattr(wavtokenizer_adapter, "PRETRAINED_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"wavtokenizer_tiny[/\\]config\.yaml"):
        wavtokenizer_adapter.build()


def test_wavtokenizer_parity_on_golden_encoder(varstok_golden: Path) -> None:
    model = WavTokenizer.from_pretrained(varstok_golden / "config.yaml",
                                         varstok_golden / "model.ckpt")
    assert model.feature_extractor.cluster is None
    wav = torch.from_numpy(np.load(varstok_golden / "chirp_2s.input.npy"))[None]
    features, codes = model.encode_infer(wav, 0)
    with torch.inference_mode():
        emb, _ = model.feature_extractor.encode_frames(wav)
    expected_emb = np.load(varstok_golden / "chirp_2s.encoder_out.npy")
    np.testing.assert_allclose(emb.numpy(), expected_emb, rtol=1e-4, atol=1e-5)
    assert codes.shape == (1, 1, 150)
    book = model.feature_extractor.encodec.quantizer.codebook.embed
    nearest = torch.cdist(torch.from_numpy(expected_emb)[0].t(), book).argmin(dim=1)
    assert (nearest == codes[0, 0]).float().mean() >= 0.99
    audio = model.decode(features, 0)
    assert audio.shape == (1, 48000)
    torch.testing.assert_close(model.decode(model.codes_to_features(codes), 0), audio,
                               rtol=0, atol=0)
    torch.testing.assert_close(model.decode(features, 0), audio, rtol=0, atol=0)


def test_wavtokenizer_adapter(varstok_golden: Path) -> None:
    tok = wavtokenizer_adapter.build(checkpoint=str(varstok_golden))
    assert isinstance(tok, Tokenizer) and tok.vocab_size == 4096 and tok.info.trained is False
    wavs, lengths = _batch(varstok_golden)
    batch = tok.encode(wavs, lengths)
    assert batch.lengths.tolist() == [150, 68] and batch.durations is None
    assert int(batch.tokens.max()) < 4096
    audio, audio_lengths = tok.decode(batch)
    assert audio_lengths.tolist() == [48000, 21760]
    alone, _ = tok.decode(batch.select(1))
    peak = float(alone.abs().max())
    torch.testing.assert_close(audio[1, :21760], alone[0], rtol=0, atol=1e-5 * peak)


def test_very_short_audio_gives_tokens_alone_and_in_batch(varstok_golden: Path) -> None:
    """Fewer frames than the clustering's k + 1 = 11: density from the neighbours that exist."""
    tok = varstok_adapter.build(checkpoint=str(varstok_golden))
    generator = torch.Generator().manual_seed(0)
    sizes = [1, 100, 321, 3000]
    wavs = torch.zeros(len(sizes), max(sizes))
    for i, n in enumerate(sizes):
        wavs[i, :n] = torch.randn(n, generator=generator) * 0.1
    batch = tok.encode(wavs, torch.tensor(sizes))
    assert batch.durations.sum(dim=1).tolist() == [1, 1, 2, 10]
    for i, n in enumerate(sizes):
        alone = tok.encode(wavs[i : i + 1, :n], torch.tensor([n]))
        assert torch.equal(alone.item_tokens(0), batch.item_tokens(i))
    _, audio_lengths = tok.decode(batch)
    assert audio_lengths.tolist() == [320, 320, 640, 3200]
