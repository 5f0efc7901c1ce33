"""UTMOS22 strong learner parity with tarepan/SpeechMOS's ``utmos22`` model, numerically.

``utmos_golden.npz`` holds SpeechMOS's scores of four waveforms (24, 16, 22.05 kHz) under seeded
random weights (see ``make_utmos_golden.py`` for the regeneration command). Here the same weights
go through tokbench's real loading path: a SpeechMOS-layout ``.pt`` file, ``read_state_dict``
-> ``from_speechmos`` -> ``Utmos22Strong``, scored by the ``utmos`` metric in one padded batch
(16 kHz torchaudio resampling and ``mean * 2 + 3`` included).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.metrics.base import MetricInput
from bench.metrics.models import common
from bench.metrics.utmos import Utmos

sys.path.insert(0, str(Path(__file__).resolve().parent))
from utmos_seeded import SEED, seeded_speechmos_state

GOLDEN = Path(__file__).with_name("utmos_golden.npz")
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    with np.load(GOLDEN) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def seeded_checkpoint(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("utmos") / "utmos22_strong_step7459_v1.pt"
    torch.save(seeded_speechmos_state(SEED), path)
    yield path
    common.clear_model_cache()  # 95 M random parameters: do not keep them for later tests


def _items(golden: dict[str, np.ndarray]) -> list[MetricInput]:
    count = len(golden["scores"])
    return [MetricInput(f"clip{i}", hypothesis=golden[f"wave_{i}"],
                        hypothesis_sr=int(golden[f"sr_{i}"])) for i in range(count)]


def test_golden_fixture_was_made_with_the_seed_in_use(golden) -> None:
    assert int(golden["seed"]) == SEED
    assert len(golden["scores"]) == 4
    assert sorted({int(golden[f"sr_{i}"]) for i in range(4)}) == [16000, 22050, 24000]


def test_scores_equal_speechmos_within_1e_5(golden, seeded_checkpoint: Path) -> None:
    metric = Utmos(checkpoint=str(seeded_checkpoint), batch_size=4, device="cpu")
    assert metric.unavailable_reason() is None
    values = metric.compute(_items(golden))
    measured = np.array([v.value for v in values], dtype=np.float64)
    expected = golden["scores"]
    assert np.max(np.abs(measured - expected)) < TOLERANCE, (measured, expected)
    # the scores differ between clips by far more than the tolerance: the check can fail
    assert np.ptp(expected) > 1000 * TOLERANCE


def test_one_clip_at_a_time_gives_the_same_scores(golden, seeded_checkpoint: Path) -> None:
    metric = Utmos(checkpoint=str(seeded_checkpoint), batch_size=1, device="cpu")
    measured = [metric.compute([item])[0].value for item in _items(golden)]
    assert np.max(np.abs(np.array(measured) - golden["scores"])) < TOLERANCE
