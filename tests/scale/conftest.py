"""Scale-out tests reuse the runner tests' toy tokenizers and metrics (tests/runner/toys.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

RUNNER_TESTS = Path(__file__).resolve().parents[1] / "runner"
if str(RUNNER_TESTS) not in sys.path:
    sys.path.insert(0, str(RUNNER_TESTS))

from scale_toys import register_scale_toys  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def scale_toy_registry() -> None:
    register_scale_toys()
