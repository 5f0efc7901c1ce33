"""PESQ on long audio and on band-limited references.

The pesq C library segfaults on long speech (measured: a LibriTTS signal of 140 s at 16 kHz);
tokbench scores pairs longer than 30 s on segments (ITU-T P.862.3's 8–30 s) and takes the
length-weighted mean. The crash itself is checked in an isolated child so the test process
survives it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pesq
import pytest
import soundfile as sf

from bench.audio import resample
from bench.execution.isolation import ChildCrashed, stream_isolated
from bench.metrics.base import MetricInput
from bench.metrics.pesq_common import segment_bounds
from bench.metrics.pesq_wb import PesqWideband

GT = Path(__file__).resolve().parents[3] / "shared" / "data" / "libritts_demo" / "gt"
LONG_SECONDS = 150


@pytest.fixture(scope="module")
def long_pair() -> tuple[np.ndarray, np.ndarray]:
    """150 s of real LibriTTS speech at 16 kHz (the 8 demo utterances repeated) and a noisy copy."""
    if not GT.is_dir():
        pytest.skip(f"{GT} not found (../shared holds the LibriTTS demo utterances)")
    parts = []
    for path in sorted(GT.glob("*.wav")):
        audio, sr = sf.read(path, dtype="float32")
        parts.append(resample(audio, sr, 16000))
    speech = np.concatenate(parts)
    n = LONG_SECONDS * 16000
    ref = np.tile(speech, n // len(speech) + 1)[:n].astype(np.float64)
    hyp = (ref + 0.01 * np.random.default_rng(0).standard_normal(n)).astype(np.float32)
    return ref, hyp.astype(np.float64)  # float32-exact, as the metric's inputs are


def _direct_pesq(pair: tuple[np.ndarray, np.ndarray]) -> float:
    return float(pesq.pesq(16000, pair[0], pair[1], "wb"))


def _metric_pesq(pair: tuple[np.ndarray, np.ndarray]) -> float | None:
    item = MetricInput("long", hypothesis=pair[1].astype(np.float32), hypothesis_sr=16000,
                       reference=pair[0].astype(np.float32), reference_sr=16000)
    return PesqWideband().compute([item])[0].value


@pytest.mark.slow
def test_pesq_library_crashes_on_long_speech(long_pair) -> None:
    """The defect this guards against: one direct pesq call on 150 s kills its process."""
    (result,) = stream_isolated(_direct_pesq, [long_pair])
    assert isinstance(result, ChildCrashed) and result.exitcode == -11


def test_long_pesq_is_the_weighted_mean_of_segments(long_pair) -> None:
    ref, hyp = long_pair
    bounds = segment_bounds(ref, 16000, 30.0)
    assert len(bounds) == 5 and bounds[0][0] == 0 and bounds[-1][1] == len(ref)
    assert all(b - a <= 30 * 16000 for a, b in bounds)
    assert all(b1 == a2 for (_, b1), (a2, _) in itertools.pairwise(bounds))
    (value,) = stream_isolated(_metric_pesq, [long_pair])  # isolated: a regression must not
    assert isinstance(value, float), value                 # take the test process down
    scores = [pesq.pesq(16000, ref[a:b], hyp[a:b], "wb") for a, b in bounds]
    weights = [b - a for a, b in bounds]
    assert value == pytest.approx(float(np.average(scores, weights=weights)), abs=1e-9)
    assert 1.0 < value < 4.65


def test_short_pairs_are_scored_whole() -> None:
    assert segment_bounds(np.ones(16000 * 30), 16000, 30.0) == [(0, 16000 * 30)]


def test_band_limited_reference_is_left_out_unless_allowed(speech) -> None:
    audio, sr = speech
    narrow = resample(audio, sr, 8000)
    item = MetricInput("u", hypothesis=narrow.copy(), hypothesis_sr=8000, reference=narrow,
                       reference_sr=8000)
    refused = PesqWideband().compute([item])[0]
    assert refused.value is None and "band-limited reference (8000 Hz" in refused.reason
    allowed = PesqWideband(allow_band_limited=True).compute([item])[0]
    assert allowed.value is not None and allowed.value > 4.0
