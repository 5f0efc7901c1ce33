"""V/UV F1, periodicity and pitch RMSE under the WavTokenizer/Vocos crepe protocol: identities,
a one-semitone shift, NaN exclusion, and (slow) parity with the reference recipe."""

from __future__ import annotations

import numpy as np
import pytest

from bench.metrics.base import MetricInput
from bench.metrics.models import crepe_pitch
from bench.metrics.periodicity import PeriodicityRmse
from bench.metrics.pitch_rmse import PitchRmse
from bench.metrics.vuv_f1 import VuvF1

SR = 16000


def tone(freq: float, seconds: float = 0.5, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def pair(ref: np.ndarray, hyp: np.ndarray) -> MetricInput:
    return MetricInput("x", hypothesis=hyp, hypothesis_sr=SR, reference=ref, reference_sr=SR)


def test_signal_against_itself_real_speech_full_model(demo_audio) -> None:
    clip = demo_audio("gt", "1089_134686_000003_000000")[SR // 2: SR]
    item = pair(clip, clip.copy())
    assert VuvF1().compute([item])[0].value == 1.0
    assert PeriodicityRmse().compute([item])[0].value == 0.0
    assert PitchRmse().compute([item])[0].value == 0.0


def test_semitone_shift_gives_100_cents_and_full_f1() -> None:
    item = pair(tone(220.0), tone(220.0 * 2 ** (1 / 12)))
    assert VuvF1(capacity="tiny").compute([item])[0].value == pytest.approx(1.0)
    assert PitchRmse(capacity="tiny").compute([item])[0].value == pytest.approx(100.0, abs=15.0)
    assert PeriodicityRmse(capacity="tiny").compute([item])[0].value < 0.2


def test_nan_files_are_missing_and_counted() -> None:
    quiet = (np.random.default_rng(0).standard_normal(SR // 2) * 1e-5).astype(np.float32)
    metric = VuvF1(capacity="tiny", batch_size=1)
    items = [pair(tone(220.0), tone(220.0)), pair(quiet, quiet)]
    values = metric.compute(items)
    assert values[0].value == pytest.approx(1.0)
    assert not values[1].ok and "NaN" in values[1].reason
    summary = metric.corpus(items, values)
    assert summary["nan_excluded"].value == 1.0
    assert summary["mean_excluding_nan"].value == pytest.approx(1.0)


def test_short_and_missing_inputs() -> None:
    values = VuvF1(capacity="tiny").compute([
        pair(tone(220.0, 0.05), tone(220.0, 0.05)),
        MetricInput("noref", hypothesis=tone(220.0), hypothesis_sr=SR),
    ])
    assert "shorter than one crepe window" in values[0].reason
    assert values[1].reason == "no reference audio"


def test_tracks_are_deterministic_and_batch_independent() -> None:
    tracker = crepe_pitch.CrepeTracker(capacity="tiny", frame_batch=7)
    a, b = tone(180.0), tone(300.0, 0.3)
    together = tracker.track_many([a, b])
    crepe_pitch._TRACKS.clear()
    alone = crepe_pitch.CrepeTracker(capacity="tiny").track_many([b])[0]
    np.testing.assert_allclose(together[1].pitch, alone.pitch, rtol=1e-5)
    assert np.nanmedian(together[0].pitch) == pytest.approx(180.0, rel=0.02)


@pytest.mark.slow
def test_matches_reference_recipe_on_real_reconstruction(demo_audio) -> None:
    import librosa
    import torch
    import torchaudio
    import torchcrepe
    from torchcrepe.loudness import REF_DB

    def reference_track(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = torch.from_numpy(audio)[None]
        np.random.seed(0)
        pitch, periodicity = torchcrepe.predict(x, SR, fmin=50.0, fmax=550.0, model="full",
                                                return_periodicity=True, pad=False)
        pitch, periodicity = pitch.numpy(), periodicity.numpy()
        spec = torchaudio.functional.spectrogram(x, pad=0, window=torch.hann_window(1024),
                                                 n_fft=1024, hop_length=160, win_length=1024,
                                                 power=2, normalized=False, center=False)
        weighted = librosa.perceptual_weighting(
            spec.numpy(), librosa.fft_frequencies(sr=SR, n_fft=1024)) - REF_DB
        periodicity[weighted.mean(axis=1) < -60] = 0
        pitch[periodicity < 0.21] = np.nan
        return pitch[0], periodicity[0]

    utt = "1089_134686_000003_000000"
    ref, hyp = demo_audio("gt", utt), demo_audio("wavtokenizer_40", utt)
    n = min(len(ref), len(hyp))
    (tp, tq), (pp, pq) = reference_track(ref[:n]), reference_track(hyp[:n])
    tv, pv = ~np.isnan(tp), ~np.isnan(pp)
    precision = (tv & pv).sum() / pv.sum()
    recall = (tv & pv).sum() / tv.sum()
    item = pair(ref, hyp)
    assert VuvF1().compute([item])[0].value == pytest.approx(
        2 * precision * recall / (precision + recall), abs=1e-9)
    assert PeriodicityRmse().compute([item])[0].value == pytest.approx(
        np.sqrt(np.mean((pq - tq) ** 2)), abs=1e-6)
    both = tv & pv
    cents = 1200 * (np.log2(tp[both]) - np.log2(pp[both]))
    assert PitchRmse().compute([item])[0].value == pytest.approx(
        np.sqrt(np.mean(cents**2)), abs=1e-2)
