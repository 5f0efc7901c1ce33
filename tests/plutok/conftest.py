"""Plutok fixtures: the golden model loaded once, with the noise off (golden path) or on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tokenizers_impl.plutok import Plutok

CASES = ("chirp_2s", "bursts_1p1s", "short_0p05s")
GOLDEN_SEED = 1234


def build_golden(root: Path, **kwargs) -> Plutok:
    return Plutok(root, root / "vqvae" / "model.pth", root / "tokenizer" / "tokenizer.json",
                  "cpu", **kwargs)


@pytest.fixture(autouse=True)
def single_thread():
    """One intra-op thread: on the shared 2-core runner, 2 threads run these small convs up to
    30x slower (oversubscription). Restored after each test."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def plutok_model(plutok_golden: Path) -> Plutok:
    """Golden weights, deterministic path (tau 0, no decode noise)."""
    return build_golden(plutok_golden, encode_noise=0.0, decode_noise=0.0)


@pytest.fixture(scope="session")
def plutok_manifest(plutok_golden: Path) -> dict:
    return json.loads((plutok_golden / "manifest.json").read_text())


class Golden:
    """Reads ``<case>.<stage>.npy`` files of one golden case."""

    def __init__(self, root: Path, case: str) -> None:
        self.root, self.case = root, case

    def __call__(self, stage: str) -> np.ndarray:
        return np.load(self.root / f"{self.case}.{stage}.npy")

    def text(self) -> str:
        return (self.root / f"{self.case}.vq_string.txt").read_text()


@pytest.fixture(params=CASES)
def golden_case(request, plutok_golden: Path) -> Golden:
    return Golden(plutok_golden, request.param)
