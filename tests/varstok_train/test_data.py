"""Segmenting and level normalisation of training clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tokenizers_impl.varstok.train.data import (
    SegmentDataset,
    SplitConfig,
    audio_paths,
    fit_segment,
    peak_normalise,
)


def test_short_clip_is_repeated_and_long_clip_cropped() -> None:
    clip = np.arange(5, dtype=np.float32)
    np.testing.assert_array_equal(fit_segment(clip, 12, None), [0, 1, 2, 3, 4] * 2 + [0, 1])
    long = np.arange(100, dtype=np.float32)
    np.testing.assert_array_equal(fit_segment(long, 10, None), np.arange(10))
    cropped = fit_segment(long, 10, np.random.default_rng(3))
    assert cropped.shape == (10,) and np.all(np.diff(cropped) == 1)


def test_peak_normalise_sets_the_peak_level() -> None:
    clip = np.array([0.1, -0.5, 0.25], dtype=np.float32)
    out = peak_normalise(clip, -6.0)
    assert np.abs(out).max() == pytest.approx(10 ** (-6 / 20), rel=1e-6)
    with pytest.raises(ValueError, match="silent"):
        peak_normalise(np.zeros(4, dtype=np.float32), -3.0)


def test_dataset_reads_manifest_and_rejects_silence(sine_manifest: Path, tmp_path: Path) -> None:
    paths = audio_paths(SplitConfig(manifest=str(sine_manifest)))
    assert len(paths) == 4 and all(p.is_file() for p in paths)
    train = SegmentDataset(paths, 24000, 6400, train=True)
    val = SegmentDataset(paths, 24000, 6400, train=False)
    assert train[0].shape == (6400,)
    assert float(val[1].abs().max()) == pytest.approx(10 ** (-3 / 20), rel=1e-5)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(2400, dtype=np.float32), 24000)
    with pytest.raises(ValueError, match="silent"):
        SegmentDataset([silent], 24000, 6400, train=True)
    with pytest.raises(ValueError, match="needs 'manifest'"):
        audio_paths(SplitConfig())
