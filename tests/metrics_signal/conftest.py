"""Speech for the signal-metric tests: one espeak-ng utterance of the synthetic set (24 kHz)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.audio import load_audio
from bench.data.manifest import read_manifest
from bench.data.synth import build_synthetic_set


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, int]:
    """(float32 mono speech of ~2.8 s, 24000)."""
    manifest = build_synthetic_set(tmp_path_factory.mktemp("speech"), languages=("en",),
                                   per_language=1)
    row = read_manifest(manifest)[0]
    audio, decisions = load_audio(Path(manifest.parent) / row.path)
    return audio, decisions.source_sr


@pytest.fixture(scope="session")
def noisy_speech(speech: tuple[np.ndarray, int]) -> np.ndarray:
    """``speech`` plus seeded white noise at exactly 10 dB SNR."""
    audio, _ = speech
    noise = np.random.default_rng(1234).standard_normal(len(audio))
    noise *= np.sqrt(np.mean(audio.astype(np.float64) ** 2) / np.mean(noise**2) / 10.0)
    return (audio + noise).astype(np.float32)
