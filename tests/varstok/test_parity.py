"""Stage-by-stage parity with the official VARSTok outputs in ../shared/golden/varstok."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tokenizers_impl.varstok.clustering import TemporalDensityPeakClustering
from tokenizers_impl.varstok.model import VARSTok

AUDIO_CASES = ("chirp_2s", "bursts_0p9s")
VARIANTS = ("original", "fixed")


def _load(folder: Path, name: str) -> np.ndarray:
    return np.load(folder / name)


@pytest.fixture(scope="module")
def manifest(varstok_golden: Path) -> dict:
    return json.loads((varstok_golden / "manifest.json").read_text())


@pytest.mark.parametrize("case", AUDIO_CASES)
def test_encoder_output_matches(golden_model: VARSTok, varstok_golden: Path, case: str) -> None:
    wav = torch.from_numpy(_load(varstok_golden, f"{case}.input.npy"))[None]
    with torch.inference_mode():
        emb, frames = golden_model.feature_extractor.encode_frames(wav)
    expected = _load(varstok_golden, f"{case}.encoder_out.npy")
    assert emb.shape == expected.shape
    assert int(frames[0]) == expected.shape[-1]
    np.testing.assert_allclose(emb.numpy(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", AUDIO_CASES)
def test_tokens_features_audio_match(
    golden_model: VARSTok, varstok_golden: Path, manifest: dict, case: str, variant: str
) -> None:
    golden_model.set_clustering(variant)
    wav = torch.from_numpy(_load(varstok_golden, f"{case}.input.npy"))[None]
    features, ids, spans = golden_model.encode_infer(wav, torch.tensor([0]))
    expected_spans = _load(varstok_golden, f"{case}.{variant}.cluster_lengths.npy")
    expected_ids = _load(varstok_golden, f"{case}.{variant}.codes.npy")
    info = manifest["cases"][case]["variants"][variant]
    assert spans.shape[1] == info["num_tokens"]
    assert int(spans.sum()) == info["num_frames"]
    np.testing.assert_array_equal(spans.numpy(), expected_spans)
    np.testing.assert_array_equal(ids.numpy(), expected_ids)
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


def test_variants_really_differ(golden_model: VARSTok, varstok_golden: Path) -> None:
    wav = torch.from_numpy(_load(varstok_golden, "chirp_2s.input.npy"))[None]
    golden_model.set_clustering("original")
    _, _, spans_original = golden_model.encode_infer(wav, 0)
    golden_model.set_clustering("fixed")
    _, _, spans_fixed = golden_model.encode_infer(wav, 0)
    golden_model.set_clustering("original")
    assert spans_original.shape != spans_fixed.shape or not torch.equal(spans_original, spans_fixed)


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
