"""DNSMOS on real LibriTTS speech: parity with the speechmos reference scorer, clean above noisy,
and one model run shared by the four metric ids."""

from __future__ import annotations

import numpy as np
import pytest

from bench.metrics import dnsmos
from bench.metrics.base import MetricInput
from bench.metrics.dnsmos import DnsmosBackground, DnsmosOverall, DnsmosP808, DnsmosSignal

DEMO_IDS = ("1089_134686_000003_000000", "1284_1181_000040_000005", "1995_1837_000012_000001",
            "3570_5694_000004_000000", "8455_210777_000040_000000")
SECONDS = 9.2  # one DNSMOS window (9.01 s) keeps the test fast


@pytest.fixture(scope="module")
def clean_and_noisy(demo_audio) -> tuple[np.ndarray, np.ndarray]:
    clean = np.concatenate([demo_audio("gt", utt) for utt in DEMO_IDS])
    assert len(clean) >= SECONDS * 16000
    clean = clean[: int(SECONDS * 16000)]
    noise = np.random.default_rng(0).standard_normal(len(clean)).astype(np.float32)
    noise *= np.sqrt(np.mean(clean**2) / np.mean(noise**2) / 10 ** (5 / 10))  # 5 dB SNR
    return clean, np.clip(clean + noise, -1.0, 1.0).astype(np.float32)


def test_matches_speechmos_reference(clean_and_noisy) -> None:
    from speechmos import dnsmos as reference

    clean, _ = clean_and_noisy
    expected = reference.run(clean, 16000)
    item = MetricInput("clean", hypothesis=clean, hypothesis_sr=16000)
    got = {cls.score_key: cls().compute([item])[0].value
           for cls in (DnsmosOverall, DnsmosSignal, DnsmosBackground, DnsmosP808)}
    assert got["ovrl"] == pytest.approx(expected["ovrl_mos"], abs=1e-4)
    assert got["sig"] == pytest.approx(expected["sig_mos"], abs=1e-4)
    assert got["bak"] == pytest.approx(expected["bak_mos"], abs=1e-4)
    assert got["p808"] == pytest.approx(float(expected["p808_mos"]), abs=1e-4)


def test_clean_speech_scores_above_noisy(clean_and_noisy) -> None:
    clean, noisy = clean_and_noisy
    items = [MetricInput("clean", hypothesis=clean, hypothesis_sr=16000),
             MetricInput("noisy", hypothesis=noisy, hypothesis_sr=16000)]
    ovrl = [v.value for v in DnsmosOverall(batch_size=2).compute(items)]
    bak = [v.value for v in DnsmosBackground().compute(items)]
    assert 2.5 < ovrl[0] < 4.5 and 1.0 < ovrl[1] < 4.0
    assert ovrl[0] > ovrl[1] + 0.5
    assert bak[0] > bak[1] + 1.0


def test_four_ids_share_one_model_run(clean_and_noisy, monkeypatch) -> None:
    clean, _ = clean_and_noisy
    item = MetricInput("clean24k", hypothesis=clean[::2].copy(), hypothesis_sr=8000)
    DnsmosOverall().compute([item])

    def no_second_run(*args, **kwargs):
        raise AssertionError("DNSMOS ran twice for the same audio")

    monkeypatch.setattr(dnsmos._DnsmosBase, "_score", no_second_run)
    for cls in (DnsmosSignal, DnsmosBackground, DnsmosP808):
        assert cls().compute([item])[0].ok


def test_bad_inputs_become_missing_values() -> None:
    items = [MetricInput("silent", hypothesis=np.zeros(16000, np.float32), hypothesis_sr=16000),
             MetricInput("stereo", hypothesis=np.zeros((2, 10), np.float32), hypothesis_sr=16000)]
    values = DnsmosOverall().compute(items)
    assert [v.reason for v in values] == ["hypothesis audio is digital silence",
                                          "hypothesis audio must be mono 1-D, got shape (2, 10)"]
