"""The benchmark's stage collector: silent by default, and when on it charges every stage with
the audio it processed (load, encode, decode, each metric, store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scale_toys import tone_suite, write_tone_set

from bench.execution import timing
from bench.runner import run_suite


def test_stages_carry_the_audio_they_processed(tmp_path: Path) -> None:
    manifest = write_tone_set(tmp_path / "data", n=4)
    total = sum(0.5 + 0.25 * i for i in range(4))  # seconds of the four tones
    suite = tone_suite(tmp_path, manifest, [{"name": "m", "family": "mulaw"}],
                       metrics=("toy_snr",), max_items=2)
    timing._Collector.stages = {}
    run_suite(suite, progress=False, log=lambda _: None)
    assert timing._Collector.stages == {}  # off: nothing collected
    with timing.collecting(sync_cuda=False) as stages:
        run_suite(suite, store_path=tmp_path / "timed.sqlite", progress=False,
                  log=lambda _: None)
    assert set(stages) == {"load", "encode", "decode", "metric:toy_snr", "store"}
    for name in ("load", "encode", "decode", "metric:toy_snr", "store"):
        assert stages[name].audio_s == pytest.approx(total), name
        assert stages[name].seconds > 0
    assert stages["encode"].calls == 2  # two batches of two
    assert not timing._Collector.enabled
