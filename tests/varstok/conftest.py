"""Shared VARSTok test fixtures: the golden tiny-backbone model loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenizers_impl.varstok.model import VARSTok


@pytest.fixture(scope="session")
def golden_model(varstok_golden: Path) -> VARSTok:
    return VARSTok.from_pretrained(varstok_golden / "config.yaml", varstok_golden / "model.ckpt")
