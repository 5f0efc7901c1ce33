"""Shared fixtures: the ../shared folder (golden vectors and LibriTTS demo), skipped with a clear
message where it is absent (a user's clone), required in CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = (PROJECT_ROOT / ".." / "shared").resolve()

torch.set_num_threads(min(2, os.cpu_count() or 1))


def _shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is required in CI but missing")
        pytest.skip(f"{path} not found: these tests need ../shared beside the project")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _shared_path()


@pytest.fixture(scope="session")
def varstok_golden() -> Path:
    return _shared_path("golden", "varstok")


@pytest.fixture(scope="session")
def plutok_golden() -> Path:
    return _shared_path("golden", "plutok")


@pytest.fixture(scope="session")
def libritts_demo() -> Path:
    return _shared_path("data", "libritts_demo")
