"""``tokbench reproduce PAPER.yaml``: rebuild a published table and compare it cell by cell.

Exit status: 0 when the table was written (cells that could not run are listed with their reason,
not errors), 2 for a paper file that cannot be used or bad arguments, 1 for other errors, and with
``--strict`` 3 when a measured cell is outside its tolerance.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.cli_checks import add_safety_flags

EXIT_OUTSIDE = 3


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the ``reproduce`` subcommand."""
    p = subparsers.add_parser(
        "reproduce", help="rebuild a paper table (bench/papers/*.yaml) and compare cell by cell",
        description="Build the paper's manifest under --data, run the rows that can run (a model "
                    "when --weights has its files, else the published reconstructions as a "
                    "precomputed folder), and write measured / published / Δ / marker per cell.")
    p.add_argument("paper", help="paper-table YAML, or a shipped name (varstok_table1)")
    p.add_argument("--data", type=Path, help="dataset root (e.g. the folder holding LibriTTS/)")
    p.add_argument("--weights", type=Path, help="weights root: row weights are relative to it; "
                                                 "also the metric weights dir (DIR/utmos/, ...)")
    p.add_argument("--limit", type=int, help="first N utterances only (the table says subset)")
    p.add_argument("--out", type=Path, help="output folder (default reports/reproduce/<paper>)")
    p.add_argument("--json", type=Path, help="write one record per cell here (default "
                                              "<out>/cells.json)")
    p.add_argument("--source", choices=("auto", "model", "precomputed"), default="auto",
                   help="auto: model when its weights are present, else the precomputed folder")
    p.add_argument("--workers", type=int, default=0, help="CPU metric processes (0 = inline)")
    p.add_argument("--set", action="append", default=[], metavar="COLUMN.SETTING=VALUE",
                   help="override a column's metric setting (e.g. vuv_f1.capacity=tiny when "
                        "crepe full is too slow on CPU); printed with the table as a deviation")
    p.add_argument("--strict", action="store_true",
                   help=f"exit {EXIT_OUTSIDE} when a measured cell is outside its tolerance")
    add_safety_flags(p)
    p.set_defaults(func=_cmd_reproduce)


def _cmd_reproduce(args: argparse.Namespace, _rest: list[str]) -> int:
    from bench.reproduce.cells import OUTSIDE
    from bench.reproduce.paper import PaperError, load_paper, with_overrides
    from bench.reproduce.run import reproduce
    from bench.reproduce.tables import to_markdown, write_all

    if args.limit is not None and args.limit <= 0:
        print("tokbench reproduce: error: --limit must be a positive number of utterances",
              file=sys.stderr)
        return 2
    if args.data is not None and not args.data.is_dir():
        print(f"tokbench reproduce: error: --data {args.data} is not a folder", file=sys.stderr)
        return 2
    try:
        paper, overrides = with_overrides(load_paper(args.paper), args.set)
    except PaperError as err:
        print(f"tokbench reproduce: error: {err}", file=sys.stderr)
        return 2
    out = args.out or Path("reports") / "reproduce" / paper.name
    result = reproduce(paper, out, data_root=args.data, weights_dir=args.weights,
                       limit=args.limit, workers=args.workers, source=args.source,
                       log=lambda line: print(line, file=sys.stderr), notes=overrides)
    files = write_all(result, out, args.json)
    print(to_markdown(result))
    print("wrote " + ", ".join(str(path) for path in files.values()), file=sys.stderr)
    outside = [c for c in result.cells if c.status == OUTSIDE]
    if args.strict and outside:
        print(f"tokbench reproduce: {len(outside)} cell(s) outside tolerance (--strict)",
              file=sys.stderr)
        return EXIT_OUTSIDE
    return 0
