"""The ``tokbench`` command line: run suites, rebuild reports, score folders, build data, train.

    tokbench run bench/suites/demo.yaml [--resume] [--store runs/tokbench.sqlite]
    tokbench report demo [--out reports/demo]
    tokbench score REF_DIR HYP_DIR --metrics pesq_wb,stoi --json out.json
    tokbench demo
    tokbench data synth OUT_DIR | libritts ROOT SUBSET OUT | librispeech ... | folder DIR OUT
    tokbench train varstok CONFIG.yaml --out runs/x
    tokbench list
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from pathlib import Path
from typing import Any

DEFAULT_STORES = ("runs/tokbench.sqlite", ".tokbench_cache/demo.sqlite")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    rest: list[str] = []
    if len(argv) >= 2 and argv[0] == "train" and not argv[1].startswith("-"):
        # Everything after the family (--help included) belongs to the family's own CLI.
        args, rest = parser.parse_args(argv[:2]), argv[2:]
    else:
        args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args, rest) or 0)
    except KeyboardInterrupt:
        print("interrupted; `tokbench run SUITE --resume` continues where it stopped",
              file=sys.stderr)
        return 130
    except (FileNotFoundError, KeyError, ValueError) as err:
        print(f"tokbench {args.command}: error: {err}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    examples = "examples:\n" + "\n".join(line for line in __doc__.splitlines()
                                          if line.startswith("    tokbench"))
    p = argparse.ArgumentParser(
        prog="tokbench", epilog=examples, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Evaluate speech tokenizers: run suites, rebuild reports, score folders, "
                    "build datasets, train.")
    sub = p.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run a suite (datasets × variants × metrics)")
    run.add_argument("suite", help="suite YAML path, or the name of a packaged suite (demo)")
    run.add_argument("--resume", action="store_true",
                     help="continue the newest unfinished run of this suite (same config hash)")
    run.add_argument("--store", help="SQLite store path (overrides the suite's)")
    run.add_argument("--out", help="report folder (default <report_dir>/<suite name>)")
    run.add_argument("--workers", type=int, help="CPU metric processes (0 = inline)")
    run.add_argument("--no-report", action="store_true", help="only fill the store")
    run.add_argument("--no-progress", action="store_true")
    run.set_defaults(func=_cmd_run)

    rep = sub.add_parser("report", help="rebuild tables and plots of a run from the store")
    rep.add_argument("run", help="run id or name (newest run of that name)")
    rep.add_argument("--store", help=f"SQLite store (default: the first of {DEFAULT_STORES} "
                                     "holding the run)")
    rep.add_argument("--out", help="output folder (default reports/<run name>)")
    rep.set_defaults(func=_cmd_report)

    score = sub.add_parser("score", help="score reconstructions in HYP_DIR against REF_DIR")
    score.add_argument("ref_dir")
    score.add_argument("hyp_dir")
    score.add_argument("--metrics", required=True, help="comma-separated metric ids")
    score.add_argument("--json", help="write the full result here")
    score.add_argument("--length-policy", default="truncate")
    score.add_argument("--length-tolerance", type=float, default=0.02,
                       help="leave a pair out of reference-based metrics when its length ratio "
                            "differs from 1 by more than this (default 0.02; truncate policy)")
    score.set_defaults(func=_cmd_score)

    demo = sub.add_parser("demo", help="synthetic set × every tokenizer with weights × metrics")
    demo.add_argument("--cache-dir", default=".tokbench_cache")
    demo.add_argument("--store", help="default <cache-dir>/demo.sqlite")
    demo.add_argument("--out", default="reports/demo")
    demo.add_argument("--workers", type=int)
    demo.add_argument("--resume", action="store_true")
    demo.add_argument("--no-progress", action="store_true")
    demo.set_defaults(func=_cmd_demo)

    data = sub.add_parser("data", help="build dataset manifests")
    dsub = data.add_subparsers(dest="data_command", required=True)
    synth = dsub.add_parser("synth", help="multilingual espeak set with transcripts")
    synth.add_argument("out_dir")
    synth.add_argument("--languages", default="en,fr,de,es,zh,ja")
    synth.add_argument("--per-language", type=int, default=4)
    synth.add_argument("--sample-rate", type=int, default=24000)
    synth.add_argument("--seed", type=int, default=0)
    for kind in ("libritts", "librispeech"):
        b = dsub.add_parser(kind, help=f"manifest of a local {kind} subset")
        b.add_argument("root")
        b.add_argument("subset")
        b.add_argument("out_manifest")
    folder = dsub.add_parser("folder", help="manifest of a folder of audio files")
    folder.add_argument("audio_dir")
    folder.add_argument("out_manifest")
    folder.add_argument("--transcripts", help="file of '<id> <text>' lines (or JSON mapping)")
    folder.add_argument("--language")
    data.set_defaults(func=_cmd_data)

    train = sub.add_parser("train", help="train a tokenizer family: tokbench train FAMILY ARGS")
    train.add_argument("family")
    train.set_defaults(func=_cmd_train)

    lst = sub.add_parser("list", help="registered tokenizers and metrics, with availability")
    lst.add_argument("--no-build", action="store_true",
                     help="do not try to build tokenizers (faster; availability unknown)")
    lst.set_defaults(func=_cmd_list)
    return p


# -- commands -----------------------------------------------------------------------------------
def _cmd_run(args: argparse.Namespace, _rest: list[str]) -> int:
    from bench.suite import load_suite

    suite = load_suite(args.suite)
    if args.workers is not None:
        from dataclasses import replace

        suite = replace(suite, batch=replace(suite.batch, workers=args.workers))
    store_path = Path(args.store) if args.store else suite.output_path(suite.store)
    return _run_and_report(suite, store_path, args.resume, args.no_progress, args.no_report,
                           Path(args.out) if args.out else None)


def _run_and_report(suite: Any, store_path: Path, resume: bool, no_progress: bool,
                    no_report: bool, out: Path | None) -> int:
    from bench.report.build import write_report
    from bench.runner import run_suite
    from bench.store import Store

    summary = run_suite(suite, store_path=store_path, resume=resume, progress=not no_progress)
    print(f"run {summary.run_id} ({summary.name}) complete: {summary.utterances_done} utterance "
          f"results, {summary.utterances_failed} failures; store {store_path}")
    for name, reason in summary.skipped_variants.items():
        print(f"  skipped variant {name}: " + reason.replace("\n", "\n      "))
    for name, reason in summary.skipped_metrics.items():
        print(f"  skipped metric {name}: " + reason.replace("\n", "\n      "))
    if no_report:
        return 0
    with Store(store_path) as store:
        files = write_report(store, summary.run_id, out_dir=out,
                             report_root=suite.output_path(suite.report_dir))
    print(f"report: {files.index_html}")
    return 0


def _cmd_report(args: argparse.Namespace, _rest: list[str]) -> int:
    from bench.report.build import write_report
    from bench.store import Store

    store_path = Path(args.store) if args.store else _store_holding(args.run)
    if not store_path.exists():
        raise FileNotFoundError(f"store {store_path} not found")
    with Store(store_path) as store:
        run = store.find_run(args.run)
        files = write_report(store, run.id, out_dir=Path(args.out) if args.out else None)
    print(f"report of run {run.id} ({run.name}, {run.status}): {files.index_html}")
    return 0


def _store_holding(run: str) -> Path:
    """The first default store that exists and knows ``run`` (else the first default)."""
    from bench.store import Store

    for candidate in map(Path, DEFAULT_STORES):
        if candidate.exists():
            with Store(candidate) as store:
                try:
                    store.find_run(run)
                except KeyError:
                    continue
                return candidate
    return Path(DEFAULT_STORES[0])


def _cmd_score(args: argparse.Namespace, _rest: list[str]) -> int:
    from bench.score import score_directories

    metric_ids = [m.strip() for m in args.metrics.split(",") if m.strip()]
    result = score_directories(Path(args.ref_dir), Path(args.hyp_dir), metric_ids,
                               length_policy=args.length_policy,
                               length_tolerance=args.length_tolerance)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2, default=str), "utf-8")
    _print_score_table(result)
    return 0


def _print_score_table(result: dict[str, Any]) -> None:
    """metric | mean | n | excluded, then unmatched files and skipped metrics."""
    summary = result.get("metrics") or {}
    print(f"{'metric':<24} {'mean':>10} {'n':>5} {'excluded':>9}")
    for metric, stats in summary.items():
        mean = stats.get("mean")
        shown = f"{mean:.4f}" if isinstance(mean, float) and math.isfinite(mean) else "—"
        print(f"{metric:<24} {shown:>10} {stats.get('n', 0):>5} {stats.get('excluded', 0):>9}")
    unmatched = result.get("unmatched") or {}
    for side, names in unmatched.items():
        if names:
            print(f"{side.replace('_', ' ')}: {len(names)} file(s), e.g. {names[0]}")
    for metric, reason in (result.get("skipped_metrics") or {}).items():
        print(f"skipped metric {metric}: {reason}")
    from bench.score import reason_lines

    for line in reason_lines(result):
        print(line)


def _cmd_demo(args: argparse.Namespace, _rest: list[str]) -> int:
    from bench.demo import run_demo

    return run_demo(cache_dir=Path(args.cache_dir),
                    store_path=Path(args.store) if args.store else None,
                    out_dir=Path(args.out), workers=args.workers, resume=args.resume,
                    progress=not args.no_progress)


def _cmd_data(args: argparse.Namespace, _rest: list[str]) -> int:
    if args.data_command == "synth":
        from bench.data.synth import build_synthetic_set

        langs = tuple(x.strip() for x in args.languages.split(",") if x.strip())
        path = build_synthetic_set(Path(args.out_dir), languages=langs,
                                   per_language=args.per_language,
                                   sample_rate=args.sample_rate, seed=args.seed)
    else:
        from bench.data import builders

        if args.data_command == "folder":
            path = builders.build_folder(Path(args.audio_dir), Path(args.out_manifest),
                                         transcripts=args.transcripts, language=args.language)
        else:
            build = getattr(builders, f"build_{args.data_command}")
            path = build(Path(args.root), args.subset, Path(args.out_manifest))
        path = path or args.out_manifest
    print(f"manifest: {path}")
    return 0


def _cmd_train(args: argparse.Namespace, rest: list[str]) -> int:
    module_name = f"tokenizers_impl.{args.family}.train"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and module_name.startswith(err.name):
            raise KeyError(f"no training entry for family {args.family!r} "
                           f"({module_name} not found)") from err
        raise
    return int(module.cli(rest) or 0)


def _cmd_list(args: argparse.Namespace, _rest: list[str]) -> int:
    from bench.registry import load_metric, metric_names, tokenizer_names

    print("tokenizers:")
    for name in tokenizer_names():
        status = _tokenizer_status(name, build=not args.no_build)
        print(f"  {name:<24} " + status.replace("\n", "\n" + " " * 27))
    print("metrics:")
    for name in metric_names():
        try:
            metric = load_metric(name)
            reason = metric.unavailable_reason()
        except Exception as err:
            reason = f"{type(err).__name__}: {err}"
        status = "available" if not reason else "unavailable: " + reason
        print(f"  {name:<24} " + status.replace("\n", "\n" + " " * 27))
    return 0


def _tokenizer_status(name: str, build: bool) -> str:
    from bench.registry import load_tokenizer, tokenizer_factory

    try:
        tokenizer_factory(name)
    except Exception as err:
        return f"unavailable: {type(err).__name__}: {err}"
    if not build:
        return "registered (not built)"
    try:
        tok = load_tokenizer(name)
    except Exception as err:
        return f"unavailable with default settings: {type(err).__name__}: {err}"
    info = getattr(tok, "info", None)
    trained = "" if getattr(info, "trained", True) else ", UNTRAINED weights"
    return (f"available ({tok.sample_rate} Hz, vocab {tok.vocab_size}, "
            f"{tok.frame_rate:g} Hz frames{trained})")


if __name__ == "__main__":
    raise SystemExit(main())
