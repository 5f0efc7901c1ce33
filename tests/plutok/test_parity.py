"""Parity of the Plutok reimplementation with the official code's golden vectors (CPU fp32):
every stage from the golden input, and every module from its own golden input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tokenizers_impl.plutok import Encode

from .conftest import GOLDEN_SEED, build_golden

# manifest.json → reproducibility → recommended_tolerances_cpu_fp32
ATOL = {
    "spec": 1e-4, "se": 1e-5, "enc_q_m": 2e-4, "enc_q_logs": 2e-4, "z_p": 2e-4,
    "vq_z_e": 5e-4, "vq_dist": 2e-3, "vq_features": 5e-4, "flow_reverse": 5e-4,
    "audio": 1e-4, "audio_from_z_p": 1e-4,
}


def assert_close(actual: torch.Tensor | np.ndarray, expected: np.ndarray, stage: str) -> None:
    a = actual.detach().cpu().numpy() if isinstance(actual, torch.Tensor) else actual
    assert a.shape == expected.shape, f"{stage}: shape {a.shape} vs golden {expected.shape}"
    err = float(np.abs(a - expected).max())
    assert err <= ATOL[stage], f"{stage}: max abs error {err:.3g} > {ATOL[stage]}"


def t(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x)


def test_full_chain_from_input(plutok_model, golden_case, plutok_manifest):
    g = golden_case
    st = plutok_model.encode_stages(g("input"))
    for stage, value in (("spec", st.spec), ("se", st.se), ("enc_q_m", st.m),
                         ("enc_q_logs", st.logs), ("z_p", st.z_p), ("vq_z_e", st.z_e)):
        assert_close(value, g(stage), stage)
    assert st.vq_ids == g("vq_ids").tolist()
    assert st.text == g.text()
    assert st.bpe_ids == g("bpe_ids").tolist()
    case = plutok_manifest["cases"][g.case]
    assert plutok_model.bpe.token_strings(st.bpe_ids) == case["bpe_tokens"]
    assert len(st.vq_ids) == case["vq_ids_N"] and len(st.bpe_ids) == case["bpe_ids_M"]

    enc = plutok_model.encode(g("input"))
    assert enc.ids == g("bpe_ids").tolist()
    assert plutok_model.vq_ids_from_bpe(enc.ids) == g("vq_ids_from_bpe").tolist()
    wav = plutok_model.decode(enc)
    assert wav.shape == (1, 1, case["audio_samples_out"])
    assert_close(wav, g("audio"), "audio")


def test_reconstruct_skips_bpe_and_decode_noise(plutok_golden, golden_case):
    model = build_golden(plutok_golden, encode_noise=0.0, decode_noise=0.3, seed=7)
    assert_close(model.reconstruct(golden_case("input")), golden_case("audio"), "audio")


def test_each_module_on_its_golden_input(plutok_model, golden_case, plutok_golden):
    g, ov, vq = golden_case, plutok_model.ov, plutok_model.vqvae
    se = t(g("se"))
    with torch.no_grad():
        assert_close(ov.speaker_embedding(t(g("spec"))), g("se"), "se")
        m, logs, mask = ov.posterior(t(g("spec")), se)
        assert_close(m, g("enc_q_m"), "enc_q_m")
        assert_close(logs, g("enc_q_logs"), "enc_q_logs")
        assert_close(ov.content_latent(t(g("enc_q_m")), mask, se), g("z_p"), "z_p")
        assert_close(vq.encode_latent(t(g("z_p"))), g("vq_z_e"), "vq_z_e")
        z_e = t(g("vq_z_e"))[0].T.contiguous()
        assert_close(vq.vq_layer.distances(z_e), g("vq_dist"), "vq_dist")
        assert vq.vq_layer.nearest(z_e).tolist() == g("vq_ids").tolist()
        assert_close(plutok_model.features(g("vq_ids").tolist()), g("vq_features"),
                     "vq_features")
        assert_close(ov.flow_reverse(t(g("vq_features")), se), g("flow_reverse"),
                     "flow_reverse")
        assert_close(ov.decode(t(g("vq_features")), se), g("audio"), "audio")
        assert_close(ov.decode(t(g("z_p")), se), g("audio_from_z_p"), "audio_from_z_p")
    eff = np.load(plutok_golden / "vqvae" / "effective_codebook.npy")
    np.testing.assert_allclose(vq.vq_layer.effective_codebook().detach().numpy(), eff,
                               atol=1e-5)


def test_bpe_decode_handles_tokens_that_split_an_id(plutok_model, plutok_manifest):
    case = plutok_manifest["cases"]["chirp_2s"]
    assert "1#11#11#11#11#11" in case["bpe_tokens"]
    ids = plutok_model.bpe.encode_text("".join(case["bpe_tokens"]))
    raw = " ".join(plutok_model.bpe.token_strings(ids))
    assert raw == case["bpe_decode_raw_text"]
    starts = plutok_model.bpe.starts_per_token(ids)
    assert sum(starts) == case["vq_ids_N"] and 0 in starts  # the lone "1" token starts no id


def test_official_noise_with_seed_reproduces_stochastic_files(plutok_golden, golden_case):
    g = golden_case
    model = build_golden(plutok_golden, seed=GOLDEN_SEED)  # official 0.3 / 0.3
    st = model.encode_stages(g("input"))
    assert_close(st.z_p, g("stochastic.z_p"), "z_p")
    assert st.vq_ids == g("stochastic.vq_ids").tolist()
    assert st.bpe_ids == g("stochastic.bpe_ids").tolist()
    wav = model.decode(Encode(st.bpe_ids, st.se))
    assert_close(wav, g("stochastic.audio"), "audio")


def test_injected_noise_reproduces_stochastic_files(plutok_golden, golden_case):
    g = golden_case
    model = build_golden(plutok_golden, seed=None)
    st = model.encode_stages(g("input"), enc_eps=t(g("stochastic.enc_eps")))
    assert_close(st.z_p, g("stochastic.z_p"), "z_p")
    feat = model.features(g("stochastic.vq_ids").tolist())
    wav = model.decode_features(feat, t(g("se")), dec_noise=t(g("stochastic.dec_noise")))
    assert_close(wav, g("stochastic.audio"), "audio")


@pytest.mark.parametrize("num_samples", [700, 300, 767])
def test_inputs_the_official_code_crashes_on_are_rejected(plutok_model, num_samples):
    wav = np.random.default_rng(0).standard_normal(num_samples).astype(np.float32) * 0.1
    with pytest.raises(ValueError, match="too short"):
        plutok_model.encode(wav)


def test_shortest_accepted_input_gives_two_ids(plutok_model):
    wav = np.random.default_rng(0).standard_normal(768).astype(np.float32) * 0.1
    st = plutok_model.encode_stages(wav)
    assert len(st.vq_ids) == 2


@pytest.mark.parametrize("bad", [np.zeros(0, np.float32), np.full(2000, np.nan, np.float32),
                                 np.zeros((2, 2000), np.float32)])
def test_bad_audio_gets_a_clear_error(plutok_model, bad):
    with pytest.raises(ValueError, match=r"empty|NaN|mono"):
        plutok_model.encode(bad)


def test_encoding_never_rewrites_the_codebook(plutok_model, golden_case):
    """The official train-mode model rewrites 176/200 rows in 25 encodes; ours must not."""
    before = plutok_model.vqvae.vq_layer.codebook.weight.detach().clone()
    counts = plutok_model.vqvae.vq_layer._counts.clone()
    for _ in range(25):
        ids = plutok_model.encode_stages(golden_case("input")).vq_ids
    assert ids == golden_case("vq_ids").tolist()
    assert torch.equal(before, plutok_model.vqvae.vq_layer.codebook.weight)
    assert torch.equal(counts, plutok_model.vqvae.vq_layer._counts)


def test_batch_of_utterances_equals_one_by_one(plutok_model, plutok_golden):
    inputs = [np.load(plutok_golden / f"{c}.input.npy") for c in ("short_0p05s", "bursts_1p1s")]
    encs = plutok_model.encode(inputs)
    assert [e.ids for e in encs] == [plutok_model.encode(x).ids for x in inputs]
    wavs = plutok_model.decode(encs)
    assert [w.shape[-1] for w in wavs] == [1024, 24576]


def test_sample_rate_argument_resamples(plutok_model, golden_case):
    import torchaudio.functional as AF

    wav16 = AF.resample(torch.from_numpy(golden_case("input")), 22050, 16000)
    direct = plutok_model.encode(AF.resample(wav16, 16000, 22050).numpy())
    via_arg = plutok_model.encode(wav16.numpy(), sample_rate=16000)
    assert via_arg.ids == direct.ids
    assert torch.equal(via_arg.se, direct.se)
