"""Runner throughput: μ-law toy codec on N generated utterances with CPU signal metrics,
metrics inline (workers=0) vs in a process pool. Prints seconds per configuration.

    .venv/bin/python tests/benchmarks/bench_runner.py --n 24 --seconds 3 --workers 0 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))

from toys import register_toys

from bench.data.manifest import Utterance, write_manifest
from bench.runner import run_suite
from bench.suite import parse_suite


def make_set(root: Path, n: int, seconds: float, sample_rate: int = 16000) -> Path:
    """Harmonic tones with noise and a slow amplitude envelope, lengths spread ±50%."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        dur = seconds * (0.5 + rng.random())
        t = np.arange(int(dur * sample_rate)) / sample_rate
        f0 = 100 + 100 * rng.random()
        wav = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
        envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 2 * t)
        wav = 0.2 * wav * envelope + 0.01 * rng.standard_normal(t.size)
        sf.write(root / f"u{i}.wav", wav.astype(np.float32), sample_rate)
        rows.append(Utterance(id=f"u{i}", path=f"u{i}.wav", duration=dur))
    write_manifest(root / "manifest.jsonl", rows)
    return root / "manifest.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--metrics", default="pesq_wb,stoi,si_sdr,mel_l1")
    args = parser.parse_args()
    torch.set_num_threads(1)
    register_toys()
    with tempfile.TemporaryDirectory() as tmp:
        manifest = make_set(Path(tmp), args.n, args.seconds)
        audio_s = sum(sf.info(str(p)).duration for p in Path(tmp).glob("*.wav"))
        for workers in args.workers:
            suite = parse_suite({
                "name": f"bench-w{workers}",
                "datasets": [{"name": "gen", "manifest": str(manifest)}],
                "variants": [{"name": "mulaw16k", "family": "mulaw",
                              "settings": {"sample_rate": 16000}}],
                "metrics": args.metrics.split(","),
                "batch": {"workers": workers, "max_items": 8},
                "store": str(Path(tmp) / f"w{workers}.sqlite"),
            })
            start = time.perf_counter()
            run_suite(suite, progress=False, log=lambda _: None)
            elapsed = time.perf_counter() - start
            print(f"workers={workers}: {elapsed:.1f} s for {args.n} utterances "
                  f"({audio_s:.0f} s audio), {audio_s / elapsed:.1f}x real time")


if __name__ == "__main__":
    main()
