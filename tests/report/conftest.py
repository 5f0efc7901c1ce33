"""Report tests reuse the runner's toy tokenizers and metrics (tests/runner/toys.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))

from toys import register_toys


@pytest.fixture(autouse=True, scope="session")
def toy_registry() -> None:
    register_toys()
