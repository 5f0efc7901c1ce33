"""Speed of the paired comparison: 5 000 utterances × 20 metrics × 10 000 bootstrap draws on CPU
(target < 3 s), half of the metrics corpus ratios of sums, a few values missing. Prints seconds
for the bootstrap alone and for the whole ``compare`` (pairing, Wilcoxon, Holm, table).

    python tests/benchmarks/bench_compare.py --n 5000 --metrics 20 --draws 10000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.compare import Side, compare
from bench.compare.bootstrap import RatioColumns, bootstrap_deltas


def synthetic_sides(n: int, metrics: int, seed: int = 0) -> tuple[Side, Side]:
    rng = np.random.default_rng(seed)
    utts = [f"u{i:05d}" for i in range(n)]
    base, cand = Side("baseline", {}), Side("candidate", {})
    for j in range(metrics):
        metric = f"m{j:02d}"
        b = rng.normal(3.0, 1.0, n)
        c = b + rng.normal(0.02 * (j % 3 - 1), 0.3, n)
        missing = rng.random(n) < 0.01
        for side, values in ((base, b), (cand, c)):
            side.values[metric] = {u: (None if miss else float(v))
                                   for u, v, miss in zip(utts, values, missing, strict=True)}
            side.info[metric] = {"id": metric, "higher_is_better": j % 2 == 0}
        if j % 2:  # a corpus metric: ratio of sums with per-utterance seconds as denominator
            seconds = rng.uniform(1, 15, n)
            for side in (base, cand):
                side.weights[metric] = dict(zip(utts, seconds.tolist(), strict=True))
    return base, cand


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    base, cand = synthetic_sides(args.n, args.metrics)
    rng = np.random.default_rng(1)
    cols = RatioColumns(*(rng.uniform(1, 2, (args.n, args.metrics)) for _ in range(4)))
    boot, full = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        bootstrap_deltas(cols, draws=args.draws, seed=0)
        boot.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = compare(base, cand, draws=args.draws, seed=0)
        full.append(time.perf_counter() - start)
    print(f"{args.n} utterances × {args.metrics} metrics × {args.draws} draws")
    print(f"bootstrap only: best {min(boot):.2f} s (runs {', '.join(f'{t:.2f}' for t in boot)})")
    print(f"full compare:   best {min(full):.2f} s (runs {', '.join(f'{t:.2f}' for t in full)})"
          f"  target < 3 s: {'OK' if min(full) < 3 else 'MISSED'}")
    print(result.table[["metric", "n", "delta", "ci_low", "ci_high", "verdict"]].head(4)
          .to_string(index=False))


if __name__ == "__main__":
    main()
