"""Manifest round trip and audio loading decisions on bad and odd inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.audio import AudioError, load_audio
from bench.data.manifest import Utterance, read_manifest, write_manifest
from bench.metrics.base import MetricValue, audio_problem
from bench.paths import UnsafePathError, set_absolute_paths_allowed


def test_manifest_round_trip_and_relative_paths(tmp_path: Path) -> None:
    rows = [Utterance("a", "wav/a.wav", "hello", "en", "s1", 1.5), Utterance("b", "/abs/b.wav")]
    write_manifest(tmp_path / "m.jsonl", rows)
    back = read_manifest(tmp_path / "m.jsonl")
    assert back == rows
    assert back[0].resolved_path(tmp_path) == tmp_path / "wav/a.wav"
    with pytest.raises(UnsafePathError, match="outside the dataset folder"):
        back[1].resolved_path(tmp_path)  # absolute paths need the user's explicit flag
    set_absolute_paths_allowed(True)
    try:
        assert back[1].resolved_path(tmp_path) == Path("/abs/b.wav")
    finally:
        set_absolute_paths_allowed(False)


def test_manifest_rejects_duplicates(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").write_text('{"id": "a", "path": "x"}\n{"id": "a", "path": "y"}\n')
    with pytest.raises(ValueError, match="duplicate utterance id 'a'"):
        read_manifest(tmp_path / "m.jsonl")


def test_stereo_is_mixed_and_odd_rate_resampled(tmp_path: Path) -> None:
    t = np.arange(11025) / 11025
    left, right = np.sin(2 * np.pi * 440 * t), np.zeros_like(t)
    sf.write(tmp_path / "s.wav", np.stack([left, right], axis=1), 11025)
    audio, decisions = load_audio(tmp_path / "s.wav", target_sr=16000)
    assert decisions.mixed_to_mono and decisions.resampled
    assert (decisions.source_sr, decisions.source_channels) == (11025, 2)
    assert len(audio) == 16000
    assert abs(float(np.max(np.abs(audio))) - 0.5) < 0.02  # mean of full and silent channels


def test_corrupt_and_empty_files_raise_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.wav").write_bytes(b"RIFF....not audio")
    with pytest.raises(AudioError, match="cannot read audio file"):
        load_audio(tmp_path / "bad.wav")
    sf.write(tmp_path / "empty.wav", np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="holds no samples"):
        load_audio(tmp_path / "empty.wav")


def test_missing_values_need_reasons() -> None:
    assert audio_problem(np.zeros(10, dtype=np.float32)) == "input audio is digital silence"
    assert "NaN" in str(audio_problem(np.array([0.1, np.nan], dtype=np.float32)))
    with pytest.raises(ValueError, match="needs a reason"):
        MetricValue(value=None)
    with pytest.raises(ValueError, match="non-finite"):
        MetricValue(value=float("nan"))
