"""Tiny random models of every field codec, saved once per session to a temp folder and loaded
back by path (no downloads, no network)."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("transformers")
pytest.importorskip("snac")


@dataclass(frozen=True)
class Case:
    """A family, the settings under test and the rate arithmetic its config implies."""

    family: str
    settings: dict[str, Any] = field(default_factory=dict)
    sizes: tuple[int, ...] = ()
    frame_rates: tuple[float, ...] = ()
    samples: int = 0  # an input length that fills whole frames (at the native rate)

    @property
    def tokens_per_s(self) -> float:
        return sum(self.frame_rates)

    @property
    def bits_per_s(self) -> float:
        import math

        return sum(r * math.log2(s) for r, s in zip(self.frame_rates, self.sizes, strict=True))


CASES = {
    "encodec": Case("encodec", {"bandwidth": 1.5}, (1024, 1024), (75.0, 75.0), 24000),
    "dac": Case("dac", {"n_quantizers": 3}, (1024,) * 3, (50.0,) * 3, 16000),
    "mimi": Case("mimi", {"n_quantizers": 2}, (2048, 2048), (12.5, 12.5), 48000),
    "snac": Case("snac", {}, (4096,) * 3, (24000 / 2048, 24000 / 1024, 24000 / 512), 24576),
    "xcodec": Case("xcodec", {"n_quantizers": 2}, (1024, 1024), (50.0, 50.0), 16000),
    "xcodec2": Case("xcodec2", {}, (65536,), (50.0,), 16000),
    "neucodec": Case("neucodec", {}, (65536,), (50.0,), 16000),
}


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory):
    """Every ``checkpoint: tiny`` of this session is written under one temp folder."""
    folder = tmp_path_factory.mktemp("tokbench-cache")
    previous = os.environ.get("TOKBENCH_CACHE_DIR")
    os.environ["TOKBENCH_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("TOKBENCH_CACHE_DIR", None)
    else:
        os.environ["TOKBENCH_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def tiny_folder(tiny_cache: Path):
    """``tiny_folder(family)``: the save_pretrained folder of a seeded random tiny model, in
    the session's temp cache (the same folder ``checkpoint: tiny`` resolves to)."""
    from tokenizers_impl.codec_common.tiny import tiny_checkpoint

    return tiny_checkpoint


@pytest.fixture(scope="session")
def build_tiny(tiny_folder):
    """``build_tiny(family, **settings)``: the family's tokenizer loaded from its tiny folder."""
    cache: dict[tuple[str, str], Any] = {}

    def build(family: str, **settings: Any) -> Any:
        key = (family, repr(sorted(settings.items())))
        if key not in cache:
            module = importlib.import_module(f"tokenizers_impl.{family}.adapter")
            cache[key] = module.build(checkpoint=str(tiny_folder(family)), **settings)
        return cache[key]
    return build
