"""Fixtures for the neural-metric tests: LibriTTS demo clips, espeak English speech, and an
environment with no model caches (so "weights missing" paths are exercised for real)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.audio import load_audio

ESPEAK_SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Please call Stella and ask her to bring these things with her from the store.",
)


@pytest.fixture(scope="session")
def demo_audio(libritts_demo: Path):
    """``load(system, utt_id, sr)`` -> mono float32 audio from the demo folder."""

    def load(system: str, utt_id: str, sr: int = 16000) -> np.ndarray:
        audio, _ = load_audio(libritts_demo / system / f"{utt_id}.wav", sr)
        return audio

    return load


@pytest.fixture(scope="session")
def espeak_english() -> list[tuple[np.ndarray, int, str]]:
    """(audio, rate, text) of espeak-ng English speech, reproducible (fixed seed)."""
    try:
        from bench.data.espeak import EspeakError, find_engine
    except ImportError as err:
        pytest.skip(f"bench.data.espeak unavailable: {err}")
    try:
        engine = find_engine()
        out = []
        for text in ESPEAK_SENTENCES:
            samples, rate = engine.synthesize(text, "en", 160, 0)
            out.append((samples.astype(np.float32) / 32768.0, rate, text))
    except EspeakError as err:
        pytest.skip(f"espeak-ng not usable here: {err}")
    return out


@pytest.fixture
def no_model_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Empty HF / torch / whisper caches and no TOKBENCH_* overrides."""
    import os

    for name in list(os.environ):
        if name.startswith("TOKBENCH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    return tmp_path
