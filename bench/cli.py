"""The ``tokbench`` command line: run suites, rebuild reports, score folders, build data, train.

    tokbench run bench/suites/demo.yaml [--resume] [--store runs/tokbench.sqlite]
    tokbench report demo [--out reports/demo]
    tokbench score REF_DIR HYP_DIR --metrics pesq_wb,stoi --json out.json
    tokbench demo
    tokbench data synth OUT_DIR | libritts ROOT SUBSET OUT | librispeech ... | folder DIR OUT
    tokbench train varstok CONFIG.yaml --out runs/x
    tokbench list [--check]
    tokbench merge runs/tokbench.shard-*.sqlite --out runs/merged.sqlite
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from pathlib import Path
from typing import Any

from bench import cli_scale
from bench.cli_checks import (
    EXIT_CODES_HELP,
    EXIT_USAGE,
    UsageError,
    add_safety_flags,
    apply_safety_flags,
    non_negative_int,
)

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
        return EXIT_USAGE
    restore = apply_safety_flags(args)
    try:
        return int(args.func(args, rest) or 0)
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted; `tokbench run SUITE --resume` continues where it stopped",
              file=sys.stderr)
        return 130
    except (UsageError, FileNotFoundError, KeyError, ValueError) as err:
        # Configuration mistakes (unknown names, missing paths, bad values): exit 2, no traceback.
        text = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"tokbench {args.command}: error: {text}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as err:
        from bench.execution.lock import RunLocked
        from bench.store import StoreLocked

        if not isinstance(err, (RunLocked, StoreLocked)):
            raise
        # A live run or another program holds the store: the environment, not misuse.
        print(f"tokbench {args.command}: error: {err}", file=sys.stderr)
        return 1
    finally:
        restore()  # the switches last for one command (matters when main() is called in-process)


def _parser() -> argparse.ArgumentParser:
    examples = "examples:\n" + "\n".join(line for line in __doc__.splitlines()
                                          if line.startswith("    tokbench"))
    examples += "\n\n" + EXIT_CODES_HELP
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
    run.add_argument("--workers", type=non_negative_int, help="CPU metric processes (0 = inline)")
    run.add_argument("--no-report", action="store_true", help="only fill the store")
    run.add_argument("--audio-budget-mb", type=float, help="MB of FLAC reconstructions to keep "
                     "for the report's players (default: the suite's batch.save_audio_mb, 500)")
    run.add_argument("--no-audio", action="store_true", help="keep no reconstructions")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_safety_flags(run)
    cli_scale.add_run_arguments(run)
    run.set_defaults(func=_cmd_run)

    rep = sub.add_parser("report", help="rebuild tables and plots of a run from the store")
    rep.add_argument("run", help="run id or name (newest run of that name)")
    rep.add_argument("--store", help=f"SQLite store (default: the first of {DEFAULT_STORES} "
                                     "holding the run)")
    rep.add_argument("--out", help="output folder (default reports/<run name>)")
    rep.set_defaults(func=_cmd_report)

    score = sub.add_parser("score", help="score reconstructions in HYP_DIR against REF_DIR")
    score.add_argument("ref_dir", help="folder of reference audio files")
    score.add_argument("hyp_dir", help="folder of reconstructions, matched to references by "
                                       "relative path without extension")
    score.add_argument("--metrics", required=True,
                       help="comma-separated metric ids or groups (e.g. pesq_wb,stoi,dnsmos)")
    score.add_argument("--json", help="write the full result here")
    score.add_argument("--length-policy", default="truncate", choices=("truncate", "pad"),
                       help="how reference-based metrics treat unequal lengths: truncate to the "
                            "shorter (papers' protocol, default) or zero-pad (pad)")
    score.add_argument("--length-tolerance", type=float, default=0.02,
                       help="leave a pair out of reference-based metrics when its length ratio "
                            "differs from 1 by more than this (default 0.02; truncate policy)")
    add_safety_flags(score)
    score.set_defaults(func=_cmd_score)

    demo = sub.add_parser("demo", help="synthetic set × every tokenizer with weights × metrics")
    demo.add_argument("--cache-dir", default=".tokbench_cache",
                      help="where the synthetic set is built (default .tokbench_cache)")
    demo.add_argument("--store", help="SQLite store (default <cache-dir>/demo.sqlite)")
    demo.add_argument("--out", default="reports/demo", help="report folder (default reports/demo)")
    demo.add_argument("--workers", type=non_negative_int, help="CPU metric processes (0 = inline)")
    demo.add_argument("--resume", action="store_true", help="continue an unfinished demo run")
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_safety_flags(demo)
    demo.set_defaults(func=_cmd_demo)

    data = sub.add_parser("data", help="build dataset manifests")
    dsub = data.add_subparsers(dest="data_command", required=True)
    synth = dsub.add_parser("synth", help="multilingual espeak set with transcripts")
    synth.add_argument("out_dir", help="folder for the audio files and manifest.jsonl")
    synth.add_argument("--languages", default="en,fr,de,es,zh,ja",
                       help="comma-separated espeak-ng language codes")
    synth.add_argument("--per-language", type=int, default=4, help="utterances per language")
    synth.add_argument("--sample-rate", type=int, default=24000, help="output rate in Hz")
    synth.add_argument("--seed", type=int, default=0, help="seed of the sentence and voice choice")
    for kind in ("libritts", "librispeech"):
        b = dsub.add_parser(kind, help=f"manifest of a local {kind} subset")
        b.add_argument("root", help=f"the {kind} folder (holding the subset folders)")
        b.add_argument("subset", help="subset name, e.g. test-clean")
        b.add_argument("out_manifest", help="manifest file to write (.jsonl)")
    folder = dsub.add_parser("folder", help="manifest of a folder of audio files")
    folder.add_argument("audio_dir", help="folder searched recursively for audio files")
    folder.add_argument("out_manifest", help="manifest file to write (.jsonl)")
    folder.add_argument("--transcripts", help="file of '<id> <text>' lines (or JSON mapping)")
    folder.add_argument("--language", help="language code given to every file")
    data.set_defaults(func=_cmd_data)

    train = sub.add_parser("train", help="train a tokenizer family: tokbench train FAMILY ARGS")
    train.add_argument("family", help="tokenizer family with a training entry (varstok, "
                                      "plutok); its own options follow")
    train.set_defaults(func=_cmd_train)

    importlib.import_module("bench.cli_reproduce").add_parser(sub)
    lst = sub.add_parser("list", help="registered tokenizers and metrics, with availability")
    lst.add_argument("--check", action="store_true",
                     help="load every tokenizer and metric for real (slow); default: decide "
                          "from files and installed packages only")
    lst.add_argument("--no-build", action="store_true",
                     help="(default now) do not build tokenizers; kept for old scripts")
    lst.set_defaults(func=_cmd_list)
    __import__("bench.cli_compare").cli_compare.add_parser(sub)  # compare, baseline, gate
    cli_scale.add_parser(sub)
    return p


# -- commands -----------------------------------------------------------------------------------
def _cmd_run(args: argparse.Namespace, _rest: list[str]) -> int:
    from bench.cli_checks import check_suite
    from bench.suite import load_suite

    suite = check_suite(load_suite(args.suite))
    if args.workers is not None:
        from dataclasses import replace

        suite = replace(suite, batch=replace(suite.batch, workers=args.workers))
    if args.no_audio or args.audio_budget_mb is not None:
        from dataclasses import replace

        budget = 0.0 if args.no_audio else args.audio_budget_mb
        if budget < 0:
            print("tokbench run: error: --audio-budget-mb must be >= 0 (0 keeps no audio)",
                  file=sys.stderr)
            return 2
        suite = replace(suite, batch=replace(suite.batch, save_audio_mb=budget))
    store_path = Path(args.store) if args.store else suite.output_path(suite.store)
    suite, store_path, scale = cli_scale.apply_run_options(args, suite, store_path,
                                                           bool(args.store))
    return _run_and_report(suite, store_path, args.resume, args.no_progress, args.no_report,
                           Path(args.out) if args.out else None, **scale)


def _run_and_report(suite: Any, store_path: Path, resume: bool, no_progress: bool,
                    no_report: bool, out: Path | None, **scale: Any) -> int:
    from bench.cli_checks import run_exit_code
    from bench.report.build import write_report
    from bench.report.terminal import headline_text, skipped_names
    from bench.runner import run_suite
    from bench.store import Store

    summary = run_suite(suite, store_path=store_path, resume=resume, progress=not no_progress,
                        **scale)
    code, verdict = run_exit_code(summary, store_path)
    print(f"run {summary.run_id} ({summary.name}) complete: {summary.utterances_done} utterance "
          f"results, {summary.utterances_failed} failures; store {store_path}")
    skipped = skipped_names(summary.skipped_variants, summary.skipped_metrics)
    if skipped:
        print(skipped)
    with Store(store_path) as store:
        print("\n" + headline_text(store, summary.run_id))
        if not no_report:
            files = write_report(store, summary.run_id, out_dir=out,
                                 report_root=suite.output_path(suite.report_dir))
            print(f"\nreport: {files.index_html.resolve()}")
    print(f"exit {code}: {verdict}", file=sys.stderr if code else sys.stdout)
    return code


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
    from bench.cli_checks import expand_metric_ids, score_exit_code
    from bench.score import score_directories

    for role, folder in (("reference", args.ref_dir), ("hypothesis", args.hyp_dir)):
        if not Path(folder).is_dir():
            raise UsageError(f"{role} folder {folder} not found; give an existing folder of "
                             "audio files")
    requested = [m.strip() for m in args.metrics.split(",") if m.strip()]
    if not requested:
        raise UsageError("--metrics is empty; give metric ids, e.g. --metrics pesq_wb,stoi")
    metric_ids = expand_metric_ids(requested)
    result = score_directories(Path(args.ref_dir), Path(args.hyp_dir), metric_ids,
                               length_policy=args.length_policy,
                               length_tolerance=args.length_tolerance)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2, default=str), "utf-8")
    _print_score_table(result)
    code, verdict = score_exit_code(result)
    print(f"exit {code}: {verdict}", file=sys.stderr if code else sys.stdout)
    return code


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
    _note_outside_paths(Path(path))
    return 0


def _note_outside_paths(manifest: Path) -> None:
    """Say when rows point outside the manifest's folder: `run` refuses those by default."""
    from bench.data.manifest import read_manifest
    from bench.paths import ALLOW_ABSOLUTE_FLAG, UnsafePathError, audio_path

    outside = 0
    for utt in read_manifest(manifest):
        try:
            audio_path(utt.path, manifest.parent)
        except UnsafePathError:
            outside += 1
    if outside:
        print(f"note: {outside} audio path(s) are outside {manifest.parent}; `tokbench run` "
              f"reads them only with {ALLOW_ABSOLUTE_FLAG} (or write the manifest inside the "
              "audio folder)")


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
    if not args.check:
        from bench.cli_list import list_quick

        return list_quick()
    from bench.registry import load_metric, metric_names, tokenizer_names

    print("tokenizers:")
    for name in tokenizer_names():
        status = _tokenizer_status(name, build=True)
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
