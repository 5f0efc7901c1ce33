"""Registers the toy tokenizers and metrics used by runner tests."""

from __future__ import annotations

import pytest
from toys import register_toys


@pytest.fixture(autouse=True, scope="session")
def toy_registry() -> None:
    register_toys()
