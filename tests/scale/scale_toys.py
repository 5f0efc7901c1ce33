"""Toys for the scale-out tests: the runner toys plus a tokenizer that runs out of (fake) GPU
memory on large batches, one that kills its own process, and one that reports autocast."""

from __future__ import annotations

import os
from typing import ClassVar

import torch
from toys import MuLawTokenizer, register_toys, write_tone_set

from bench.contract import TokenBatch
from bench.suite import parse_suite

__all__ = ["assert_same_rows", "register_scale_toys", "store_rows", "tone_suite",
           "write_tone_set"]

FLOAT_TOLERANCE = 1e-9
"""Relative tolerance for metric values computed from differently composed batches: torch's
CPU kernels round the vectorised body and the scalar tail of a padded row differently (seen:
7e-13 relative on the μ-law toy's RMS), so only integers (tokens, counts) are bit-exact."""


class OomAboveTokenizer(MuLawTokenizer):
    """μ-law that raises torch.cuda.OutOfMemoryError for batches larger than ``max_batch``."""

    calls: ClassVar[list[int]] = []

    def __init__(self, max_batch: int = 1) -> None:
        super().__init__(8000)
        self.max_batch = max_batch

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        OomAboveTokenizer.calls.append(int(waveforms.shape[0]))
        if waveforms.shape[0] > self.max_batch:
            raise torch.cuda.OutOfMemoryError(
                f"CUDA out of memory (fake): batch of {waveforms.shape[0]} > {self.max_batch}")
        return super().encode(waveforms, lengths)


class CrashOnTokenizer(MuLawTokenizer):
    """μ-law whose process exits hard (as a segfault would) when it sees utterance lengths of
    exactly ``crash_samples``: kills a Ray actor on every attempt."""

    def __init__(self, crash_samples: int = 0) -> None:
        super().__init__(8000)
        self.crash_samples = crash_samples

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        if self.crash_samples in [int(n) for n in lengths]:
            os._exit(3)
        return super().encode(waveforms, lengths)


class AutocastProbeTokenizer(MuLawTokenizer):
    """μ-law that records whether CPU autocast was on, and its dtype, at encode time; a linear
    layer's output dtype shows the autocast really applies to the model's matmuls."""

    seen: ClassVar[list[tuple[bool, torch.dtype, torch.dtype]]] = []

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        probe = torch.nn.functional.linear(waveforms[:, :4], torch.eye(4))
        AutocastProbeTokenizer.seen.append((torch.is_autocast_enabled("cpu"),
                                            torch.get_autocast_dtype("cpu"), probe.dtype))
        return super().encode(waveforms, lengths)


def register_scale_toys() -> None:
    from bench import registry

    register_toys()
    registry.register_tokenizer("mulaw_oom", lambda max_batch=1: OomAboveTokenizer(max_batch))
    registry.register_tokenizer("mulaw_crash", lambda crash_samples=0:
                                CrashOnTokenizer(crash_samples))
    registry.register_tokenizer("mulaw_autocast", lambda: AutocastProbeTokenizer(8000))


def tone_suite(tmp, manifest, variants, metrics=("toy_snr", "toy_rms", "toy_text_length",
                                                 "tokens_per_s"), max_items: int = 3,
               store: str = "store.sqlite", batch: dict | None = None):
    return parse_suite({
        "name": "toy-scale",
        "datasets": [{"name": "tones", "manifest": str(manifest)}],
        "variants": variants,
        "metrics": list(metrics),
        "batch": {"max_items": max_items, "workers": 0, **(batch or {})},
        "store": str(tmp / store),
        "report_dir": str(tmp / "reports"),
    }, base_dir=tmp)


def store_rows(path, run_id: int | None = None) -> dict[str, list[tuple]]:
    """Every per-run table of the newest (or given) run, run_id dropped, rows sorted."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        if run_id is None:
            (run_id,) = con.execute("SELECT max(id) FROM runs").fetchone()
        out = {}
        for table in ("datasets", "variants", "metrics", "utterances", "results",
                      "token_streams", "corpus_results"):
            cur = con.execute(f"SELECT * FROM {table} WHERE run_id=?", (run_id,))
            cols = [d[0] for d in cur.description]
            keep = [i for i, c in enumerate(cols) if c != "run_id"]
            out[table] = sorted((tuple(r[i] for i in keep) for r in cur.fetchall()),
                                key=repr)
        return out
    finally:
        con.close()


def assert_same_rows(got: dict[str, list[tuple]], want: dict[str, list[tuple]],
                     exact: bool = False, rel_tol: float = FLOAT_TOLERANCE) -> None:
    """Tables equal row for row: integers, strings, token blobs exactly; floats in metric
    values (results, corpus_results) within ``rel_tol`` unless ``exact``."""
    import math

    assert got.keys() == want.keys()
    for table in want:
        assert len(got[table]) == len(want[table]), table
        for a, b in zip(got[table], want[table], strict=True):
            if exact or table not in ("results", "corpus_results"):
                assert a == b, (table, a, b)
                continue
            assert len(a) == len(b), (table, a, b)
            for x, y in zip(a, b, strict=True):
                if isinstance(x, float) and isinstance(y, float):
                    assert math.isclose(x, y, rel_tol=rel_tol, abs_tol=1e-12), \
                        (table, a, b)
                else:
                    assert x == y, (table, a, b)
