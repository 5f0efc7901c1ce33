"""Scale-out options of ``tokbench run`` (``--engine``, ``--shard``, ``--device``, ``--autocast``)
and the ``tokbench merge`` command that joins shard stores.

    tokbench run SUITE --engine ray --address auto
    tokbench run SUITE --shard 0/4 --store runs/shard0.sqlite
    tokbench merge runs/shard*.sqlite --out runs/merged.sqlite
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn


def usage_error(command: str, message: str) -> NoReturn:
    """One line on stderr, exit status 2 (CLI misuse)."""
    print(f"tokbench {command}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    """The scale-out flags of ``tokbench run``."""
    run.add_argument("--engine", choices=("local", "ray"), default="local",
                     help="where variants are evaluated: this process (local) or Ray actors "
                          "holding the models (needs `pip install tokbench[ray]`)")
    run.add_argument("--address", help="Ray cluster to join: auto (a running cluster), "
                                       "ray://HOST:PORT; default starts a local Ray instance")
    run.add_argument("--actors", type=int, help="Ray actors (default: one per GPU for a CUDA "
                                                "device, else one per CPU of the cluster)")
    run.add_argument("--shard", help="evaluate only shard i/N (0 <= i < N) of every dataset, "
                                     "by a stable hash of the utterance id; merge the shard "
                                     "stores with `tokbench merge`")
    run.add_argument("--device", help="cpu, cuda or cuda:K (overrides the suite's batch.device)")
    run.add_argument("--autocast", choices=("off", "bf16", "fp16"),
                     help="mixed precision for tokenizer encode/decode (opt-in; metrics stay "
                          "fp32); see the README for the parity tolerance")


def apply_run_options(args: argparse.Namespace, suite: Any, store_path: Path,
                      explicit_store: bool) -> tuple[Any, Path, dict[str, Any]]:
    """Validated (suite, store path, extra ``run_suite`` keywords) for the scale-out flags;
    misuse exits 2 with one line."""
    batch = suite.batch
    if args.device is not None:
        batch = replace(batch, device=args.device)
    if args.autocast is not None:
        batch = replace(batch, autocast=args.autocast)
    suite = replace(suite, batch=batch)
    if args.engine == "local":
        check_device(batch.device)
        if args.address or args.actors is not None:
            usage_error("run", "--address and --actors need --engine ray")
    kwargs: dict[str, Any] = {}
    if args.shard is not None:
        from bench.shard import parse_shard

        try:
            shard = parse_shard(args.shard)
        except ValueError as err:
            usage_error("run", str(err))
        kwargs["shard"] = shard
        if not explicit_store:  # each shard writes its own store
            store_path = store_path.with_name(
                f"{store_path.stem}.shard-{shard.index}-of-{shard.count}{store_path.suffix}")
        if args.out is None:
            args.no_report = True  # N shards must not race on one report folder: merge reports
    if args.engine == "ray":
        import torch

        if str(batch.device).startswith("cuda") and not torch.cuda.is_available():
            usage_error("run", f"--engine ray --device {batch.device}: this driver has no GPU; "
                               "use --device auto (actors with a GPU resolve it to theirs)")
        if args.actors is not None and args.actors < 1:
            usage_error("run", f"--actors {args.actors}: give a positive number of actors")
        try:
            from bench.engines.ray_engine import RayEngine
        except ImportError as err:
            usage_error("run", f"--engine ray needs Ray ({err}); pip install 'tokbench[ray]'")
        kwargs["engine"] = RayEngine(address=args.address, actors=args.actors)
        # the actors score every metric themselves; a driver-side CPU pool would sit idle
        suite = replace(suite, batch=replace(suite.batch, workers=0))
    return suite, store_path, kwargs


def check_device(device: str) -> None:
    """A CUDA device that this machine does not have is a usage error (exit 2, one line)."""
    if not str(device).startswith("cuda"):
        if device not in ("auto", "cpu"):
            usage_error("run", f"--device {device!r}: use cpu, cuda or cuda:K")
        return
    import torch

    index = str(device).partition(":")[2]
    if index and not index.isdigit():
        usage_error("run", f"--device {device!r}: use cpu, cuda or cuda:K")
    if not torch.cuda.is_available():
        usage_error("run", f"--device {device}: torch sees no CUDA device on this machine "
                           f"(torch {torch.__version__}, CUDA build {torch.version.cuda}); "
                           "use --device cpu")
    if index and int(index) >= torch.cuda.device_count():
        usage_error("run", f"--device {device}: only {torch.cuda.device_count()} CUDA "
                           f"device(s) visible (cuda:0..cuda:{torch.cuda.device_count() - 1})")


# -- tokbench merge -----------------------------------------------------------------------------
def add_parser(subparsers: Any) -> None:
    """Register ``tokbench merge``."""
    merge = subparsers.add_parser(
        "merge", help="merge shard stores (tokbench run --shard i/N) into one store and report")
    merge.add_argument("stores", nargs="+", help="the shard stores, one per shard")
    merge.add_argument("--out", required=True, help="new SQLite store to write (must not exist)")
    merge.add_argument("--run", help="run id or name to take from each store (default newest)")
    merge.add_argument("--allow-partial", action="store_true",
                       help="merge a subset of the shards (recorded as partial)")
    merge.add_argument("--report", help="report folder (default <report_dir>/<suite name>)")
    merge.add_argument("--no-report", action="store_true", help="only write the store")
    merge.set_defaults(func=_cmd_merge)


def _cmd_merge(args: argparse.Namespace, _rest: list[str]) -> int:
    import json

    from bench.merge import MergeError, merge_stores
    from bench.store import Store

    try:
        result = merge_stores([Path(p) for p in args.stores], Path(args.out), run=args.run,
                              allow_partial=args.allow_partial)
    except MergeError as err:
        usage_error("merge", str(err))
    counts = ", ".join(f"{n} {table}" for table, n in result.rows.items())
    print(f"merged {len(result.inputs)} store(s) into {args.out} (run {result.run_id}, "
          f"{result.name}): {counts}")
    if args.no_report:
        return 0
    from bench.report.build import write_report

    with Store(args.out) as store:
        config = json.loads(store.run_row(result.run_id)["config_json"])
        files = write_report(store, result.run_id,
                             out_dir=Path(args.report) if args.report else None,
                             report_root=Path(config.get("report_dir", "reports")))
    print(f"report: {files.index_html}")
    return 0
