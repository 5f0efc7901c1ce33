"""Wall time and peak memory of ``tokbench list`` (target: under 2 s) and ``list --check``.

Usage: python tests/benchmarks/bench_cli_list.py [--repeat 3] [--check]
Each run is a fresh interpreter (``python -m bench.cli list``), as a user meets it.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time


def one_run(extra: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS MiB of the child) of one ``tokbench list`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bench.cli", "list", *extra], check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode")
    parser.add_argument("--check", action="store_true", help="also time `list --check`")
    args = parser.parse_args()
    modes = [[]] + ([["--check"]] if args.check else [])
    for extra in modes:
        runs = [one_run(extra) for _ in range(args.repeat)]
        best = min(s for s, _ in runs)
        print(f"tokbench list {' '.join(extra)}: best {best:.2f} s of {args.repeat}, "
              f"peak RSS {max(m for _, m in runs):.0f} MiB")


if __name__ == "__main__":
    main()
