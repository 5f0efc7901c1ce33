"""UTMOS22 strong learner structure (official and SpeechMOS key names/shapes, from a fixture
derived from the reference code) and batching behaviour with random weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.metrics.base import MetricInput
from bench.metrics.models.utmos_net import Utmos22Strong, frame_lengths, from_speechmos
from bench.metrics.utmos import Utmos, UtmosWeightsError, read_state_dict

FIXTURE = Path(__file__).with_name("utmos_keys.json")


@pytest.fixture(scope="module")
def keys() -> dict[str, dict[str, list[int]]]:
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def random_model() -> Utmos22Strong:
    torch.manual_seed(0)
    model = Utmos22Strong().eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name or name.endswith(".2.weight"):
                continue
            param.normal_(0.0, 0.05)
    return model


def test_state_dict_matches_official_checkpoint_layout(keys, random_model) -> None:
    mine = {name: list(t.shape) for name, t in random_model.state_dict().items()}
    assert mine == keys["official"]
    assert len(mine) == 225


def test_speechmos_weights_map_onto_official_layout(keys) -> None:
    state = {name: torch.full(shape, 0.5) for name, shape in keys["speechmos"].items()}
    mapped = from_speechmos(state)
    assert {k: list(v.shape) for k, v in mapped.items()} == keys["official"]
    assert torch.all(mapped["feature_extractors.1.embedding.weight"][0] == 0.5)
    assert torch.all(mapped["output_layers.0.judge_embedding.weight"][288] == 0.5)
    assert torch.all(mapped["output_layers.0.judge_embedding.weight"][287] == 0.0)


def test_frame_count_is_wav2vec2s() -> None:
    # 320x downsampling with a 400-sample receptive field: 16000 samples -> 49 frames
    assert frame_lengths(torch.tensor([16000, 400, 719, 720])).tolist() == [49, 1, 1, 2]


def test_padded_batch_equals_single_clip_scores(random_model) -> None:
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal(n).astype(np.float32) * 0.1 for n in (2000, 3333)]
    with torch.no_grad():
        alone = [random_model(torch.from_numpy(c)[None], torch.tensor([len(c)])).item()
                 for c in clips]
        padded = torch.zeros(2, 3333)
        padded[0, :2000] = torch.from_numpy(clips[0])
        padded[1] = torch.from_numpy(clips[1])
        together = random_model(padded, torch.tensor([2000, 3333])).tolist()
    assert together == pytest.approx(alone, abs=1e-4)
    assert alone[0] != pytest.approx(alone[1], abs=1e-3)  # the score depends on the audio


def test_metric_scores_with_loaded_model_and_keeps_missing_reasons(random_model,
                                                                    monkeypatch) -> None:
    metric = Utmos(batch_size=2)
    monkeypatch.setattr(metric, "model", lambda: random_model)
    rng = np.random.default_rng(1)
    audio = rng.standard_normal(12000).astype(np.float32) * 0.1
    items = [
        MetricInput("a", hypothesis=audio, hypothesis_sr=24000),
        MetricInput("b", hypothesis=np.zeros(100, np.float32), hypothesis_sr=24000),
        MetricInput("c", hypothesis=audio[:1000], hypothesis_sr=24000),
        MetricInput("d", hypothesis=audio[:6000], hypothesis_sr=24000),
    ]
    values = metric.compute(items)
    assert values[0].ok and values[3].ok
    assert values[1].reason == "hypothesis audio is digital silence"
    assert values[2].reason == "audio shorter than 0.1 s"
    alone = metric.compute([items[3]])[0].value
    assert alone == pytest.approx(values[3].value, abs=1e-4)


def test_non_weights_only_checkpoint_is_refused_with_conversion_hint(tmp_path: Path) -> None:
    path = tmp_path / "epoch=3-step=7459.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"cfg": Path("x")}}, path)
    with pytest.raises(UtmosWeightsError, match=r"bench\.metrics\.utmos convert"):
        read_state_dict(path)


def test_missing_weights_make_the_metric_unavailable(no_model_caches: Path) -> None:
    reason = Utmos().unavailable_reason()
    assert reason is not None
    assert "epoch=3-step=7459.ckpt" in reason and "TOKBENCH_UTMOS_CKPT" in reason
