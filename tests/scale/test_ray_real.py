"""--engine ray with the shipped VARSTok / WavTokenizer models and real signal metrics on
LibriTTS speech (../shared): bit-identical to --engine local at the same torch thread count (an
actor has one CPU); at another thread count tokens stay exact and the decoders' float output
moves in the last bits (conv reductions split differently), so metric values agree to 1e-5
relative (slow: Ray start + model loads)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from scale_toys import assert_same_rows, store_rows

from bench.data.manifest import Utterance, write_manifest
from bench.runner import run_suite
from bench.suite import parse_suite

ray = pytest.importorskip("ray", reason="the Ray engine needs `pip install tokbench[ray]`")


@pytest.mark.slow
@pytest.mark.needs_shared
def test_ray_equals_local_on_real_tokenizers(tmp_path: Path, libritts_demo: Path) -> None:
    from bench.engines.ray_engine import RayEngine

    wavs = sorted((libritts_demo / "gt").glob("*.wav"))[:4]
    write_manifest(tmp_path / "m.jsonl", [Utterance(id=p.stem, path=str(p), text="unused")
                                          for p in wavs])

    def suite(store: str):
        return parse_suite({
            "name": "ray-real",
            "datasets": [{"name": "libritts", "manifest": str(tmp_path / "m.jsonl")}],
            "variants": [{"name": "varstok", "family": "varstok"},
                         {"name": "wavtokenizer", "family": "wavtokenizer"}],
            "metrics": ["pesq_wb", "stoi", "mel_l1", "tokens_per_s", "mean_span"],
            "batch": {"workers": 0, "max_items": 2, "device": "cpu"},
            "store": str(tmp_path / store),
        })

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in a one-CPU actor
    try:
        local = run_suite(suite("local.sqlite"), progress=False, log=lambda _: None)
    finally:
        torch.set_num_threads(threads)
    assert not local.skipped_variants and local.utterances_failed == 0
    two = run_suite(suite("two_threads.sqlite"), progress=False, log=lambda _: None)
    assert two.utterances_failed == 0
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=100 * 1024 * 1024)
    try:
        run_suite(suite("ray.sqlite"), progress=False, log=lambda _: None,
                  engine=RayEngine(actors=2))
    finally:
        ray.shutdown()
    want = store_rows(tmp_path / "local.sqlite")
    assert len(want["results"]) == 2 * 4 * 5
    assert_same_rows(store_rows(tmp_path / "ray.sqlite"), want, exact=True)
    assert_same_rows(store_rows(tmp_path / "two_threads.sqlite"), want, rel_tol=1e-5)
