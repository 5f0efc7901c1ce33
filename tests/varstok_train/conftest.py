"""Tiny random WavTokenizer/VARSTok configs and sine clips for the training tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
import torch
from tiny_training_setup import SR, sine_clip

from bench.data.manifest import Utterance, write_manifest


@pytest.fixture(autouse=True)
def single_thread() -> Any:
    """One intra-op thread: on a shared 2-core box two OpenMP threads slow these small
    training steps down several-fold (spin-waiting when oversubscribed)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def sine_manifest(tmp_path: Path) -> Path:
    rows = []
    for i, freq in enumerate((150.0, 220.0, 330.0, 440.0)):
        path = tmp_path / "wavs" / f"sine_{i}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, sine_clip(freq, 0.6 + 0.2 * i, i), SR)
        rows.append(Utterance(id=f"sine_{i}", path=f"wavs/sine_{i}.wav", duration=0.6 + 0.2 * i))
    manifest = tmp_path / "manifest.jsonl"
    write_manifest(manifest, rows)
    return manifest
