"""Speed of the vectorised VARSTok clustering against the official per-frame loop (same machine,
same run, same inputs; spans must be identical).

    python tests/benchmarks/bench_varstok_clustering.py --official-repo /path/to/FunResearch

``--official-repo`` is a checkout of FunAudioLLM/FunResearch (or its ``VARSTok`` folder); the
official ``encoder/clustering_acc.py`` is imported from there and never copied into this project.
Three figures per length T:
  matmul      the floor: one fp32 T x T similarity GEMM on the same features, and ours / floor
  end-to-end  the whole clustering forward (similarity, density, delta, greedy pass, pooling);
              both sides share the O(T^2 D) similarity GEMM, which bounds this ratio on CPU
  loop        the greedy assignment + pooling only: the official forward with its similarity,
              density and delta replaced by precomputed tensors, against ``band_ok`` +
              ``greedy_starts`` + ``pool_spans`` from the same similarity and scores
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tokenizers_impl.varstok.clustering import (
    ClusteringSettings,
    TemporalDensityPeakClustering,
    band_ok,
    greedy_starts,
    pool_spans,
    seed_scores,
)

OFFICIAL_CLASSES = {"original": "SequentialDPClustering", "fixed": "SequentialDPClusteringFixed"}


def load_official(repo: Path) -> ModuleType:
    candidates = [repo / "VARSTok" / "encoder" / "clustering_acc.py",
                  repo / "encoder" / "clustering_acc.py"]
    for path in candidates:
        if path.is_file():
            spec = importlib.util.spec_from_file_location("official_clustering_acc", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise SystemExit(f"official clustering not found; looked for {[str(c) for c in candidates]}")


def best_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def speech_like(frames: int, dim: int, seed: int) -> torch.Tensor:
    """Smooth random walk + noise: neighbouring frames similar, so spans of 1..4 frames occur."""
    gen = torch.Generator().manual_seed(seed)
    walk = torch.randn(1, dim, frames, generator=gen).cumsum(dim=2) * 0.2
    return walk + torch.randn(1, dim, frames, generator=gen)


def run(args: argparse.Namespace) -> list[dict]:
    torch.set_num_threads(args.threads)
    official = load_official(Path(args.official_repo))
    rows = []
    for variant in args.variants:
        settings = ClusteringSettings(variant)
        ours = TemporalDensityPeakClustering(variant)
        for frames in args.frames:
            x = speech_like(frames, args.dim, seed=frames)
            reference = getattr(official, OFFICIAL_CLASSES[variant])()
            _, official_spans = reference(x)
            _, our_spans = ours(x)
            identical = torch.equal(official_spans, our_spans)
            t_official = best_time(lambda ref=reference, inp=x: ref(inp), args.repeats)
            t_ours = best_time(lambda mod=ours, inp=x: mod(inp), args.repeats)
            x_n = torch.nn.functional.normalize(x.transpose(1, 2), dim=-1)
            t_matmul = best_time(lambda a=x_n: torch.bmm(a, a.transpose(1, 2)), args.repeats)
            # loop-only: feed both sides the same precomputed similarity / scores
            x_t = x.transpose(1, 2)
            sim = reference._pairwise_similarity(x_t)
            rho = reference._local_density(sim)
            delta = reference._delta(sim, rho)
            reference._pairwise_similarity = lambda _x, s=sim: s
            reference._local_density = lambda _s, r=rho: r
            reference._delta = lambda _s, _r, d=delta: d
            t_official_loop = best_time(lambda ref=reference, inp=x: ref(inp), args.repeats)
            valid = torch.ones(1, frames, dtype=torch.bool)
            lengths = torch.tensor([frames])
            scores = seed_scores(sim, valid, lengths, settings)
            identical &= torch.equal(scores, rho * delta)

            def our_loop(s=scores, sm=sim, v=valid, xt=x_t, cfg=settings) -> None:
                fwd, bwd = band_ok(sm, s, v, cfg)
                starts = greedy_starts(s, fwd, bwd, v, cfg.max_span)
                pool_spans(xt, starts, v)

            t_ours_loop = best_time(our_loop, args.repeats)
            rows.append({
                "variant": variant, "frames": frames, "dim": args.dim,
                "tokens": int((our_spans > 0).sum()), "spans_identical": bool(identical),
                "official_s": t_official, "ours_s": t_ours,
                "speedup_end_to_end": t_official / t_ours,
                "matmul_s": t_matmul, "ours_over_matmul": t_ours / t_matmul,
                "official_loop_s": t_official_loop, "ours_loop_s": t_ours_loop,
                "speedup_loop": t_official_loop / t_ours_loop,
            })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official-repo", required=True)
    parser.add_argument("--frames", type=int, nargs="+", default=[750, 2250])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--variants", nargs="+", default=["original", "fixed"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args()
    rows = run(args)
    print(f"{'variant':9} {'T':>5} {'tokens':>6} {'same':>5} {'official':>9} {'ours':>8} "
          f"{'x':>6} {'matmul':>8} {'/mm':>5} | {'off.loop':>9} {'ourloop':>8} {'x':>6}")
    for r in rows:
        print(f"{r['variant']:9} {r['frames']:5d} {r['tokens']:6d} {r['spans_identical']!s:>5} "
              f"{r['official_s']:9.4f} {r['ours_s']:8.4f} {r['speedup_end_to_end']:6.1f} "
              f"{r['matmul_s']:8.4f} {r['ours_over_matmul']:5.2f} | "
              f"{r['official_loop_s']:9.4f} {r['ours_loop_s']:8.4f} {r['speedup_loop']:6.1f}")
    print(f"median loop speedup {statistics.median(r['speedup_loop'] for r in rows):.1f}x, "
          f"median end-to-end {statistics.median(r['speedup_end_to_end'] for r in rows):.1f}x")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    if not all(r["spans_identical"] for r in rows):
        raise SystemExit("spans differ from the official implementation")


if __name__ == "__main__":
    main()
