"""Registers the toy tokenizers and metrics used by runner and report tests."""

from __future__ import annotations

import pytest
from toys import (
    MuLawTokenizer,
    NanOnLoudTokenizer,
    SlowMuLawTokenizer,
    SpanTokenizer,
    ToyRms,
    ToySnr,
    broken_factory,
)

from bench import registry


@pytest.fixture(autouse=True, scope="session")
def toy_registry() -> None:
    registry.register_tokenizer("mulaw", lambda sample_rate=8000, trained=True:
                                MuLawTokenizer(sample_rate, trained))
    registry.register_tokenizer("mulaw_spans", lambda sample_rate=8000: SpanTokenizer(sample_rate))
    registry.register_tokenizer("mulaw_nan", lambda sample_rate=8000:
                                NanOnLoudTokenizer(sample_rate))
    registry.register_tokenizer("broken", broken_factory)
    registry.register_tokenizer("mulaw_slow", lambda: SlowMuLawTokenizer())
    registry.register_metric("toy_snr", ToySnr)
    registry.register_metric("toy_rms", ToyRms)
