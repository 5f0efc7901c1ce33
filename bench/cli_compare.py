"""CLI of ``tokbench compare``, ``tokbench baseline save`` and ``tokbench gate``.

    tokbench compare RUN BASE_VARIANT CAND_VARIANT [--by language] [--md out.md] [--plot f.png]
    tokbench compare RUN_A RUN_B --variant V        # the same variant in two runs
    tokbench compare base_score.json cand_score.json
    tokbench compare RUN                            # every pair the suite declares (compare:)
    tokbench baseline save RUN --variant V --out baseline.json
    tokbench gate RUN --baseline baseline.json [--config gate.yaml] [--junit j.xml] [--md s.md]

Usage errors exit 2 with one line saying what to do (the gate's exit codes are 0/1/2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

USAGE = 2


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the compare, baseline and gate subcommands."""
    cmp = sub.add_parser("compare", help="paired comparison of two variants with bootstrap CIs")
    cmp.add_argument("inputs", nargs="+", metavar="INPUT",
                     help="RUN BASE CAND | RUN_A RUN_B --variant V | A.json B.json | RUN")
    cmp.add_argument("--variant", help="variant to compare across two runs (or BASE,CAND)")
    cmp.add_argument("--store", help="SQLite store holding the run(s)")
    cmp.add_argument("--dataset", help="dataset of the run (needed when it has several)")
    cmp.add_argument("--metrics", help="comma-separated metric ids (default: all shared)")
    cmp.add_argument("--by", help="repeat the table per value of a manifest column (language)")
    cmp.add_argument("--draws", type=int, help="bootstrap draws (default 10000)")
    cmp.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    cmp.add_argument("--level", type=float, default=0.95, help="CI level (0.95)")
    cmp.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    cmp.add_argument("--json", help="write the comparison as JSON")
    cmp.add_argument("--md", help="write the comparison as Markdown")
    cmp.add_argument("--plot", help="write a forest plot PNG (Δ with CI per metric)")
    cmp.set_defaults(func=_cmd_compare)

    base = sub.add_parser("baseline", help="save a regression baseline for `tokbench gate`")
    bsub = base.add_subparsers(dest="baseline_command", required=True)
    save = bsub.add_parser("save", help="baseline of a run's variants or of a score file")
    save.add_argument("run", help="run id/name, or a `tokbench score --json` file")
    save.add_argument("--variant", action="append", help="variant (repeatable; default all)")
    save.add_argument("--out", required=True, help="baseline JSON to write")
    save.add_argument("--store", help="SQLite store holding RUN (when RUN is a run)")
    save.add_argument("--dataset", help="dataset of the run (needed when it has several)")
    save.add_argument("--repeats", nargs="+", default=[], metavar="RUN",
                      help="repeated runs of the same variants (stochastic tokenizers): their "
                           "spread widens the default tolerance")
    save.set_defaults(func=_cmd_baseline_save)

    gate = sub.add_parser("gate", help="fail (exit 1) when RUN regresses against a baseline")
    gate.add_argument("run", help="run id/name, or a `tokbench score --json` file")
    gate.add_argument("--baseline", required=True, help="baseline JSON (tokbench baseline save)")
    gate.add_argument("--variant", action="append", help="variant (repeatable; default all)")
    gate.add_argument("--config", help="gate YAML: tolerances per metric (see README)")
    gate.add_argument("--store", help="SQLite store holding RUN (when RUN is a run)")
    gate.add_argument("--dataset", help="dataset of the run (needed when it has several)")
    gate.add_argument("--junit", help="write JUnit XML (one testcase per variant × metric)")
    gate.add_argument("--md", help="write a Markdown summary (CI job summary, PR comment)")
    gate.add_argument("--update-baseline", action="store_true",
                      help="rewrite the baseline from RUN after an intended change (exit 0)")
    gate.add_argument("--allow-mismatch", action="store_true",
                      help="compare even if dataset or metric settings differ (recorded)")
    gate.set_defaults(func=_cmd_gate)


def _usage(command: str, err: Exception) -> int:
    print(f"tokbench {command}: error: {err}", file=sys.stderr)
    return USAGE


def _cmd_compare(args: argparse.Namespace, _rest: list[str]) -> int:
    from bench.compare.bootstrap import DRAWS
    from bench.compare.engine import compare
    from bench.compare.inputs import InputError, is_json_file, load_side, run_variants
    from bench.compare.render import forest_plot, to_json, to_markdown, to_text

    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    try:
        pairs = _pairs(args, is_json_file, run_variants)
        results = []
        for base_ref, base_v, cand_ref, cand_v in pairs:
            try:
                base = load_side(base_ref, base_v, args.store, args.dataset)
                cand = load_side(cand_ref, cand_v, args.store, args.dataset)
                results.append(compare(base, cand, metrics, by=args.by, draws=args.draws or DRAWS,
                                       seed=args.seed, level=args.level, alpha=args.alpha))
            except (InputError, ValueError, KeyError) as err:
                if len(pairs) == 1:
                    raise
                print(f"{cand_v} vs {base_v}: not compared: {err}", file=sys.stderr)
        if not results:
            raise ValueError("none of the declared pairs could be compared")
    except (InputError, ValueError, KeyError, FileNotFoundError) as err:
        return _usage("compare", err)
    for i, result in enumerate(results):
        print(("\n" if i else "") + to_text(result))
    if args.json:
        payload = [to_json(r) for r in results]
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(payload[0] if len(payload) == 1 else payload,
                                              indent=2, default=float), "utf-8")
    if args.md:
        Path(args.md).parent.mkdir(parents=True, exist_ok=True)
        Path(args.md).write_text("\n".join(to_markdown(r, f"{r.candidate} vs {r.baseline}")
                                           for r in results), "utf-8")
    if args.plot:
        for i, r in enumerate(results):
            path = Path(args.plot)
            if len(results) > 1:
                path = path.with_name(f"{path.stem}_{i}{path.suffix or '.png'}")
            print(f"forest plot: {forest_plot(r, path)}")
    return 0


def _pairs(args: argparse.Namespace, is_json_file, run_variants
           ) -> list[tuple[str, str | None, str, str | None]]:
    """(baseline ref, variant, candidate ref, variant) for each comparison asked for."""
    refs = args.inputs
    absent = [r for r in refs if r.endswith(".json") and not Path(r).is_file()]
    if absent:
        raise ValueError(f"file not found: {', '.join(absent)}")
    if len(refs) == 3:
        return [(refs[0], refs[1], refs[0], refs[2])]
    if len(refs) == 2:
        if all(is_json_file(r) for r in refs):
            return [(refs[0], None, refs[1], None)]
        if not args.variant:
            raise ValueError("two runs: name the variant with --variant V (or BASE,CAND); "
                             "or give RUN BASE_VARIANT CAND_VARIANT")
        names = args.variant.split(",")
        base_v, cand_v = (names[0], names[0]) if len(names) == 1 else names[:2]
        return [(refs[0], base_v, refs[1], cand_v)]
    if len(refs) == 1:
        _, declared = run_variants(refs[0], args.store)
        if not declared:
            raise ValueError(f"run {refs[0]}: its suite declares no compare: pairs; give "
                             "RUN BASE_VARIANT CAND_VARIANT")
        return [(refs[0], p["baseline"], refs[0], p["candidate"]) for p in declared]
    raise ValueError("give RUN BASE CAND, RUN_A RUN_B --variant V, A.json B.json, or RUN")


def _cmd_baseline_save(args: argparse.Namespace, _rest: list[str]) -> int:
    from bench.compare.inputs import InputError
    from bench.gate.baseline import build_baseline, write_baseline

    try:
        doc = build_baseline(args.run, args.variant, args.store, args.dataset, args.repeats)
    except (InputError, ValueError, KeyError, FileNotFoundError) as err:
        return _usage("baseline save", err)
    path = write_baseline(doc, args.out)
    for variant, metrics in doc["corpus"].items():
        shown = ", ".join(f"{m} {e['value']:.4g} (n {e['n']})" for m, e in metrics.items())
        print(f"{variant}: {shown}")
    print(f"baseline: {path}")
    return 0


def _cmd_gate(args: argparse.Namespace, _rest: list[str]) -> int:
    from bench.compare.inputs import InputError
    from bench.gate.config import load_gate_config
    from bench.gate.run import run_gate

    try:
        outcome = run_gate(args.run, args.baseline, args.variant, load_gate_config(args.config),
                           args.store, args.dataset, args.allow_mismatch, args.junit, args.md,
                           args.update_baseline)
    except (InputError, ValueError, KeyError, FileNotFoundError) as err:
        return _usage("gate", err)
    print("\n".join(outcome.lines()))
    return outcome.exit_code
