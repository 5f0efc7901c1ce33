"""Signal metrics against known values and against pesq/pystoi called directly."""

from __future__ import annotations

import math

import numpy as np
import pesq
import pytest
from pystoi import stoi as pystoi_stoi

from bench.audio import resample
from bench.metrics.base import MetricInput
from bench.metrics.estoi import ExtendedStoi
from bench.metrics.mel_l1 import MelL1
from bench.metrics.pesq_nb import PesqNarrowband
from bench.metrics.pesq_wb import PesqWideband
from bench.metrics.si_sdr import si_sdr_db
from bench.metrics.signal_common import apply_length_policy
from bench.metrics.stft_mr import MultiResolutionStft
from bench.metrics.stoi import Stoi
from bench.registry import load_metric

SIGNAL_IDS = ["pesq_wb", "pesq_nb", "stoi", "estoi", "mel_l1", "stft_mr", "si_sdr"]


def pair(ref: np.ndarray, hyp: np.ndarray, ref_sr: int = 24000, hyp_sr: int | None = None,
         ) -> MetricInput:
    return MetricInput("u", hypothesis=hyp, hypothesis_sr=hyp_sr or ref_sr, reference=ref,
                       reference_sr=ref_sr)


def one(metric_id: str, item: MetricInput, **settings: str):
    return load_metric(metric_id, **settings).compute([item])[0]


def test_registry_loads_every_signal_metric() -> None:
    for metric_id in SIGNAL_IDS:
        metric = load_metric(metric_id)
        assert metric.info.id == metric_id and metric.info.needs_reference
        assert metric.unavailable_reason() is None


def test_identical_signals(speech) -> None:
    audio, sr = speech
    item = pair(audio, audio.copy(), sr)
    assert one("pesq_wb", item).value == pytest.approx(4.6439, abs=2e-3)
    assert one("pesq_nb", item).value == pytest.approx(4.5486, abs=2e-3)
    assert one("stoi", item).value == pytest.approx(1.0, abs=1e-6)
    assert one("estoi", item).value == pytest.approx(1.0, abs=1e-6)
    assert one("mel_l1", item).value == pytest.approx(0.0, abs=1e-9)
    assert one("stft_mr", item).value == pytest.approx(0.0, abs=1e-9)
    assert one("si_sdr", item).value > 100.0


def test_pesq_and_stoi_equal_direct_library_calls(speech, noisy_speech) -> None:
    audio, sr = speech
    item = pair(audio, noisy_speech, sr)
    ref16, deg16 = resample(audio, sr, 16000), resample(noisy_speech, sr, 16000)
    wb = pesq.pesq(16000, ref16.astype(np.float64), deg16.astype(np.float64), "wb")
    nb = pesq.pesq(16000, ref16.astype(np.float64), deg16.astype(np.float64), "nb")
    assert PesqWideband().compute([item])[0].value == pytest.approx(wb, abs=1e-6)
    assert PesqNarrowband().compute([item])[0].value == pytest.approx(nb, abs=1e-6)
    direct_stoi = pystoi_stoi(audio.astype(np.float64), noisy_speech.astype(np.float64), sr)
    direct_estoi = pystoi_stoi(audio.astype(np.float64), noisy_speech.astype(np.float64), sr,
                               extended=True)
    assert Stoi().compute([item])[0].value == pytest.approx(direct_stoi, abs=1e-6)
    assert ExtendedStoi().compute([item])[0].value == pytest.approx(direct_estoi, abs=1e-6)
    assert 1.0 < wb < 3.0  # 10 dB white noise is clearly degraded
    assert 0.5 < direct_stoi < 0.99


def test_si_sdr_of_noise_at_10_db(speech, noisy_speech) -> None:
    audio, sr = speech
    assert one("si_sdr", pair(audio, noisy_speech, sr)).value == pytest.approx(10.0, abs=0.15)
    # scale invariance: a gain on the estimate changes nothing
    scaled = (0.3 * noisy_speech).astype(np.float32)
    assert one("si_sdr", pair(audio, scaled, sr)).value == pytest.approx(
        one("si_sdr", pair(audio, noisy_speech, sr)).value, abs=1e-4
    )


def test_si_sdr_formula_on_hand_made_vectors() -> None:
    ref = np.array([1.0, -1.0, 1.0, -1.0])
    est = ref + np.array([0.1, 0.1, -0.1, -0.1])  # orthogonal error, zero mean
    assert si_sdr_db(ref, est) == pytest.approx(10 * math.log10(4 / 0.04), abs=1e-9)
    assert si_sdr_db(ref, ref) == pytest.approx(150.0)
    with pytest.raises(ValueError, match="constant"):
        si_sdr_db(np.ones(4), ref)


def test_mel_and_stft_of_a_doubled_signal() -> None:
    noise = np.random.default_rng(0).standard_normal(24000).astype(np.float32) * 0.1
    item = pair(noise, 2 * noise)
    # log-mel of 2x is log-mel + ln 2 in every bin (no bin reaches the floor)
    assert MelL1().compute([item])[0].value == pytest.approx(math.log(2), abs=1e-5)
    # per resolution: spectral convergence |S - 2S| / |S| = 1, log magnitude = ln 2
    assert MultiResolutionStft().compute([item])[0].value == pytest.approx(1 + math.log(2),
                                                                           abs=1e-4)


def test_noisy_is_worse_than_clean_for_every_metric(speech, noisy_speech) -> None:
    audio, sr = speech
    clean, noisy = pair(audio, audio.copy(), sr), pair(audio, noisy_speech, sr)
    for metric_id in SIGNAL_IDS:
        metric = load_metric(metric_id)
        good, bad = (v.value for v in metric.compute([clean, noisy]))
        assert good is not None and bad is not None
        assert (good > bad) == metric.info.higher_is_better, metric_id


def test_hypothesis_at_another_rate_is_resampled(speech) -> None:
    audio, sr = speech
    hyp16 = resample(audio, sr, 16000)
    item = pair(audio, hyp16, sr, 16000)
    assert one("stoi", item).value > 0.99
    assert one("pesq_wb", item).value > 4.4
    odd = resample(audio, sr, 11025)  # odd rate for both signals
    odd_item = pair(odd, odd.copy(), 11025)
    assert one("stoi", odd_item).value == pytest.approx(1.0, abs=1e-6)
    assert one("pesq_wb", odd_item, allow_band_limited=True).value == pytest.approx(4.6439,
                                                                                   abs=2e-3)


def test_length_policies(speech) -> None:
    audio, sr = speech
    longer = np.concatenate([audio, audio[: sr // 2]])  # hypothesis 0.5 s longer
    truncated, padded = (
        one("si_sdr", pair(audio, longer, sr), length_policy=p).value for p in ("truncate", "pad")
    )
    assert truncated > 100.0  # cut to the shorter: identical
    assert padded < 30.0  # reference padded with silence against 0.5 s of extra speech
    a, b = apply_length_policy(np.ones(3), np.ones(5), "pad")
    assert a.tolist() == [1, 1, 1, 0, 0] and len(b) == 5
    a, b = apply_length_policy(np.ones(3), np.ones(5), "truncate")
    assert len(a) == len(b) == 3
    with pytest.raises(ValueError, match="length policy"):
        Stoi(length_policy="stretch")


@pytest.mark.parametrize("metric_id", SIGNAL_IDS)
def test_bad_inputs_are_missing_with_reason(metric_id: str, speech) -> None:
    audio, sr = speech
    metric = load_metric(metric_id)
    nan = audio.copy()
    nan[100] = np.nan
    cases = {
        "empty": pair(audio, np.zeros(0, np.float32), sr),
        "silence": pair(audio, np.zeros_like(audio), sr),
        "NaN": pair(audio, nan, sr),
        "mono": pair(audio, np.stack([audio, audio]), sr),
        "no reference": MetricInput("u", hypothesis=audio, hypothesis_sr=sr),
    }
    for expected, item in cases.items():
        value = metric.compute([item])[0]
        assert value.value is None and expected.lower() in value.reason.lower(), (expected, value)


@pytest.mark.parametrize("metric_id", ["pesq_wb", "pesq_nb", "stoi", "estoi", "stft_mr"])
def test_too_short_audio_is_missing(metric_id: str, speech) -> None:
    audio, sr = speech
    short = audio[sr // 2 : sr // 2 + int(0.04 * sr)]  # 40 ms of speech
    value = one(metric_id, pair(short, short.copy(), sr))
    assert value.value is None and ("short" in value.reason or "too little" in value.reason)


def test_truncation_to_silence_is_missing(speech) -> None:
    audio, sr = speech
    ref = np.concatenate([np.zeros(sr, np.float32), audio])  # speech starts after 1 s
    value = one("pesq_wb", pair(ref, audio[: sr // 2], sr))  # hyp 0.5 s: ref part is silent
    assert value.value is None and "silence" in value.reason


def test_pesq_library_error_becomes_a_reason(speech, monkeypatch: pytest.MonkeyPatch) -> None:
    audio, sr = speech

    def refuse(*_args, **_kwargs):
        raise pesq.NoUtterancesError(b"No utterances detected")

    monkeypatch.setattr(pesq, "pesq", refuse)
    value = PesqWideband().compute([pair(audio, audio.copy(), sr)])[0]
    assert value.value is None and "NoUtterancesError" in value.reason


@pytest.mark.parametrize("metric_id", ["stoi", "estoi"])
@pytest.mark.parametrize("samples", [1, 50, 300])
def test_stoi_on_very_short_input_is_a_reason(metric_id: str, samples: int) -> None:
    """pystoi raised numpy's AxisError on inputs under ~26 ms: a clear reason instead."""
    audio = (0.3 * np.random.default_rng(0).standard_normal(samples)).astype(np.float32)
    value = one(metric_id, pair(audio, audio.copy(), 16000))
    assert value.value is None
    seconds = f"{samples / 16000:.3f}"
    assert value.reason == f"audio too short after length policy: {seconds} s < 0.3968 s"
