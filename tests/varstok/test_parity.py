"""Stage-by-stage parity with the official VARSTok outputs in ../shared/golden/varstok."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tokenizers_impl.varstok.clustering import TemporalDensityPeakClustering
from tokenizers_impl.varstok.duration import spans_to_ids
from tokenizers_impl.varstok.model import VARSTok

AUDIO_CASES = ("chirp_2s", "bursts_0p9s")
VARIANTS = ("original", "fixed")


def _load(folder: Path, name: str) -> np.ndarray:
    return np.load(folder / name)


@pytest.fixture(scope="module")
def manifest(varstok_golden: Path) -> dict:
    return json.loads((varstok_golden / "manifest.json").read_text())


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", AUDIO_CASES)
def test_encoder_tokens_features_audio_match(
    golden_model: VARSTok, varstok_golden: Path, manifest: dict, case: str, variant: str
) -> None:
    golden_model.set_clustering(variant)
    wav = torch.from_numpy(_load(varstok_golden, f"{case}.input.npy"))[None]
    with torch.inference_mode():
        encoded = golden_model.feature_extractor(wav, torch.tensor([0]))
    np.testing.assert_allclose(
        encoded.encoder_out.numpy(), _load(varstok_golden, f"{case}.encoder_out.npy"),
        rtol=1e-4, atol=1e-5)
    spans, features = encoded.spans, encoded.quantized
    ids = spans_to_ids(encoded.codes, spans.unsqueeze(0), golden_model.bins)
    info = manifest["cases"][case]["variants"][variant]
    assert spans.shape[1] == info["num_tokens"] and int(spans.sum()) == info["num_frames"]
    np.testing.assert_array_equal(
        spans.numpy(), _load(varstok_golden, f"{case}.{variant}.cluster_lengths.npy"))
    np.testing.assert_array_equal(ids.numpy(), _load(varstok_golden, f"{case}.{variant}.codes.npy"))
    np.testing.assert_allclose(
        features.numpy(), _load(varstok_golden, f"{case}.{variant}.features.npy"),
        rtol=1e-4, atol=1e-5)
    audio = golden_model.decode(features, spans, torch.tensor([0]))
    np.testing.assert_allclose(
        audio.numpy(), _load(varstok_golden, f"{case}.{variant}.audio.npy"), rtol=0, atol=1e-4)
    from_codes = golden_model.decode(*golden_model.codes_to_features(ids), torch.tensor([0]))
    np.testing.assert_allclose(
        from_codes.numpy(), _load(varstok_golden, f"{case}.{variant}.audio_from_codes.npy"),
        rtol=0, atol=1e-4)
    torch.testing.assert_close(from_codes, audio, rtol=0, atol=0)
    golden_model.set_clustering("original")


def test_encode_infer_official_convention(golden_model: VARSTok, varstok_golden: Path) -> None:
    wav = torch.from_numpy(_load(varstok_golden, "bursts_0p9s.input.npy"))[None]
    features, ids, spans = golden_model.encode_infer(wav, torch.tensor([0]))
    assert ids.shape == (1, 1, 21) and spans.shape == (1, 21) and features.shape == (1, 512, 21)
    np.testing.assert_array_equal(
        ids.numpy(), _load(varstok_golden, "bursts_0p9s.original.codes.npy"))


def test_golden_variants_differ(varstok_golden: Path) -> None:
    a = _load(varstok_golden, "chirp_2s.original.cluster_lengths.npy")
    b = _load(varstok_golden, "chirp_2s.fixed.cluster_lengths.npy")
    assert a.shape != b.shape or not (a == b).all()


@pytest.mark.parametrize("variant", VARIANTS)
def test_clustering_only_cases(varstok_golden: Path, manifest: dict, variant: str) -> None:
    for name, case in manifest["clustering"].items():
        x = torch.from_numpy(_load(varstok_golden, case["input"]))
        clustering = TemporalDensityPeakClustering(
            variant, case["threshold"], case["max_span"], case["k"], case["beta"])
        pooled, spans = clustering(x)
        expected_spans = _load(varstok_golden, f"{name}.{variant}.lengths.npy")
        np.testing.assert_array_equal(spans.numpy(), expected_spans, err_msg=name)
        assert (spans > 0).sum(dim=1).tolist() == case[variant]["tokens_per_item"], name
        np.testing.assert_allclose(
            pooled.numpy(), _load(varstok_golden, f"{name}.{variant}.pooled.npy"),
            rtol=1e-4, atol=1e-5, err_msg=name)
