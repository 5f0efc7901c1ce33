"""The harness adapter: contract shapes, golden tokens through the adapter, side-info bit cost,
quantised speaker embeddings, untrained labelling and the missing-files error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.contract import PAD_TOKEN, Tokenizer
from tokenizers_impl.plutok.adapter import build

CASES = ("short_0p05s", "bursts_1p1s", "chirp_2s")


def golden_adapter(root, **kw):
    return build(ov_ckpt=root, vqvae_ckpt=root / "vqvae" / "model.pth",
                 tokenizer_file=root / "tokenizer" / "tokenizer.json", **kw)


@pytest.fixture(scope="module")
def deterministic(plutok_golden):
    return golden_adapter(plutok_golden, encode_noise=0.0, decode_noise=0.0)


def padded_inputs(root):
    wavs = [torch.from_numpy(np.load(root / f"{c}.input.npy")) for c in CASES]
    lengths = torch.tensor([w.numel() for w in wavs])
    batch = torch.zeros(len(wavs), int(lengths.max()))
    for i, w in enumerate(wavs):
        batch[i, : w.numel()] = w
    return batch, lengths


def test_adapter_follows_contract_and_reproduces_golden_tokens(deterministic, plutok_golden):
    tok = deterministic
    assert isinstance(tok, Tokenizer)
    assert tok.sample_rate == 22050 and tok.vocab_size == 600
    assert tok.frame_rate == pytest.approx(22050 / 512)
    batch = tok.encode(*padded_inputs(plutok_golden))
    assert batch.durations is None
    for i, case in enumerate(CASES):
        expected = np.load(plutok_golden / f"{case}.bpe_ids.npy").tolist()
        assert batch.item_tokens(i).tolist() == expected
        n_vq = len(np.load(plutok_golden / f"{case}.vq_ids.npy"))
        assert int(batch.side_info["vq_frames"].values[i]) == n_vq
    assert int((batch.tokens == PAD_TOKEN).sum()) == int(
        batch.lengths.max() * 3 - batch.lengths.sum())
    se = batch.side_info["speaker_embedding"]
    assert se.values.shape == (3, 64) and se.bits_per_utterance == 64 * 32
    assert batch.side_bits() == 64 * 32
    torch.testing.assert_close(se.values[2], torch.from_numpy(
        np.load(plutok_golden / "chirp_2s.se.npy"))[0, :, 0], atol=1e-5, rtol=0)

    wavs, lengths = tok.decode(batch)
    assert lengths.tolist() == [1024, 24576, 44032]
    golden_audio = np.load(plutok_golden / "chirp_2s.audio.npy")[0, 0]
    assert np.abs(wavs[2, :44032].numpy() - golden_audio).max() < 1e-4


@pytest.mark.parametrize(("se_bits", "bits", "max_cos_err"), [(16, 64 * 16, 1e-6),
                                                              (8, 64 * 8 + 16, 1e-3)])
def test_quantised_speaker_embedding(plutok_golden, se_bits, bits, max_cos_err):
    tok = golden_adapter(plutok_golden, encode_noise=0.0, decode_noise=0.0, se_bits=se_bits)
    wav = torch.from_numpy(np.load(plutok_golden / "chirp_2s.input.npy"))[None]
    batch = tok.encode(wav, torch.tensor([wav.shape[1]]))
    sent = batch.side_info["speaker_embedding"]
    assert sent.bits_per_utterance == bits
    exact = torch.from_numpy(np.load(plutok_golden / "chirp_2s.se.npy"))[0, :, 0]
    cos = torch.nn.functional.cosine_similarity(sent.values[0], exact, dim=0)
    assert 1 - float(cos) < max_cos_err
    assert not torch.equal(sent.values[0], exact)  # really quantised


def test_untrained_weights_are_labelled(deterministic):
    assert deterministic.info.family == "plutok"
    assert deterministic.info.trained is False
    assert "UNTRAINED" in deterministic.info.notes


def test_default_settings_use_official_noise_with_seed(plutok_golden):
    tok = golden_adapter(plutok_golden, seed=1234)
    wav = torch.from_numpy(np.load(plutok_golden / "bursts_1p1s.input.npy"))[None]
    batch = tok.encode(wav, torch.tensor([wav.shape[1]]))
    assert batch.item_tokens(0).tolist() == np.load(
        plutok_golden / "bursts_1p1s.stochastic.bpe_ids.npy").tolist()


def test_missing_files_raise_with_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"converter/config\.json"):
        build(ov_ckpt=tmp_path, vqvae_ckpt=tmp_path / "m.pth",
              tokenizer_file=tmp_path / "t.json")
    with pytest.raises(FileNotFoundError, match="give all of"):
        build(ov_ckpt=tmp_path)


def test_bad_se_bits_rejected(plutok_golden):
    with pytest.raises(ValueError, match="se_bits"):
        golden_adapter(plutok_golden, se_bits=4)
