"""What the CLI checks before and after work: usage errors with "did you mean", metric groups,
the safety flags, and the exit code of a run or a scoring.

Exit codes (documented in ``tokbench --help`` and the README):
    0  all requested work done
    1  some work failed (recorded with reasons; the run completed), or nothing was evaluated
    2  usage or configuration error (unknown metric / family / setting, missing path, bad value)
"""

from __future__ import annotations

import argparse
import difflib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_CODES_HELP = """exit codes:
  0  all requested work done
  1  some work failed (recorded with reasons; the run completed), or nothing was evaluated
  2  usage or configuration error (unknown metric / family / setting, missing path, bad value)"""

METRIC_GROUPS: dict[str, tuple[str, ...]] = {
    "dnsmos": ("dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak", "dnsmos_p808"),
    "pesq": ("pesq_wb", "pesq_nb"),
    "spk_sim": ("spk_sim_ecapa", "spk_sim_resemblyzer", "spk_sim_wavlm"),
}
"""Names that stand for several metrics (``--metrics dnsmos`` = the four DNSMOS outputs)."""


class UsageError(ValueError):
    """A command line or configuration mistake; the message is one line saying what to do."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def non_negative_int(text: str) -> int:
    """argparse type for counts such as ``--workers`` (0 allowed)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more (0 = inline), got {value}")
    return value


# -- safety flags -------------------------------------------------------------------------------
def add_safety_flags(parser: argparse.ArgumentParser) -> None:
    """The two user-only trust switches, for every command that reads models or audio."""
    parser.add_argument("--trust-remote-checkpoints", action="store_true",
                        help="allow pickled checkpoints and model YAML that runs code "
                             "(only for files you trust; recorded in the run's provenance)")
    parser.add_argument("--allow-absolute-paths", action="store_true",
                        help="allow manifest audio paths outside the dataset folder")


def apply_safety_flags(args: argparse.Namespace) -> Callable[[], None]:
    """Turn the flags on for this process and its workers (never off: the variables set by the
    user stay in force); returns the function that puts the environment back."""
    import os

    from bench.paths import ALLOW_ABSOLUTE_ENV, set_absolute_paths_allowed
    from bench.trust import TRUST_ENV, TRUST_FLAG, is_trusted, set_trusted

    before = {name: os.environ.get(name) for name in (TRUST_ENV, ALLOW_ABSOLUTE_ENV)}

    def restore() -> None:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    if getattr(args, "trust_remote_checkpoints", False):
        set_trusted(True)
    if getattr(args, "allow_absolute_paths", False):
        set_absolute_paths_allowed(True)
    if is_trusted() and hasattr(args, "trust_remote_checkpoints"):
        import sys

        print(f"tokbench: {TRUST_FLAG} is on: pickled checkpoints and model YAML code may run",
              file=sys.stderr)
    return restore


# -- names --------------------------------------------------------------------------------------
def known_metric_ids() -> dict[str, str]:
    """Every accepted metric name -> canonical id (ids and aliases, not groups)."""
    from bench.registry import metric_aliases, metric_names

    names = {name: name for name in metric_names()}
    names.update(metric_aliases())
    return names


def expand_metric_ids(ids: Iterable[str]) -> list[str]:
    """Ids with groups expanded, in order, without repeats; ``UsageError`` for unknown names."""
    known = known_metric_ids()
    out: list[str] = []
    for name in ids:
        members = METRIC_GROUPS.get(name, (name,))
        for member in members:
            if member not in known:
                hint = did_you_mean(member, [*known, *METRIC_GROUPS])
                raise UsageError(f"unknown metric {member!r}{hint}; `tokbench list` shows every "
                                 "metric (groups: " + ", ".join(sorted(METRIC_GROUPS)) + ")")
            if member not in out:
                out.append(member)
    return out


def _accepted_keywords(factory: Callable[..., Any]) -> set[str] | None:
    """Keyword names ``factory`` takes, or None when it takes any ``**kwargs`` / has no
    signature. A ``**unknown`` catch-all (the adapters' convention: collected only to be
    rejected with the family's own message) still means "named parameters only"."""
    try:
        params = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD and p.name != "unknown" for p in params):
        return None
    return {p.name for p in params if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                 inspect.Parameter.KEYWORD_ONLY)}


def _check_settings(what: str, factory: Callable[..., Any], settings: dict[str, Any]) -> None:
    accepted = _accepted_keywords(factory)
    if accepted is None:
        return
    for key in settings:
        if key not in accepted:
            raise UsageError(f"{what}: unknown setting {key!r}{did_you_mean(key, accepted)}; "
                             f"accepted: {', '.join(sorted(accepted))}")


def check_suite(suite: Any) -> Any:
    """The suite with metric groups expanded, after checking families, metric ids and setting
    names against the registry; ``UsageError`` (one line) for the first problem."""
    from bench.registry import _metric_factories, tokenizer_factory, tokenizer_names
    from bench.suite import MetricSpec

    families = tokenizer_names()
    for variant in suite.variants:
        if variant.family not in families:
            raise UsageError(f"variant {variant.name!r}: unknown tokenizer family "
                             f"{variant.family!r}{did_you_mean(variant.family, families)}; "
                             "`tokbench list` shows the registered families")
        try:
            factory = tokenizer_factory(variant.family)
        except Exception:  # an optional dependency missing: the runner records the reason
            continue
        _check_settings(f"variant {variant.name!r} ({variant.family})", factory,
                        variant.settings)
    known = known_metric_ids()
    factories, _ = _metric_factories()
    metrics: list[Any] = []
    for spec in suite.metrics:
        for metric_id in expand_metric_ids([spec.id]):
            factory = factories.get(known[metric_id])
            if factory is not None:
                _check_settings(f"metric {metric_id!r}", factory, spec.settings)
            if all(m.id != metric_id for m in metrics):
                metrics.append(MetricSpec(id=metric_id, settings=dict(spec.settings)))
    return replace(suite, metrics=tuple(metrics))


# -- exit codes ---------------------------------------------------------------------------------
def run_exit_code(summary: Any, store_path: Path) -> tuple[int, str]:
    """Exit code and its one-line explanation for a finished ``RunSummary``."""
    skipped_datasets = _skipped_datasets(store_path, summary.run_id)
    done = int(summary.utterances_done)
    if done == 0:
        why = []
        if skipped_datasets:
            why.append(f"{len(skipped_datasets)} dataset(s) skipped")
        if summary.skipped_variants:
            why.append(f"{len(summary.skipped_variants)} variant(s) skipped")
        if summary.utterances_failed:
            why.append(f"{summary.utterances_failed} utterance(s) failed")
        return EXIT_FAILED, ("nothing was evaluated" + (f" ({', '.join(why)})" if why else "")
                             + "; see the reasons above")
    problems = []
    if summary.utterances_failed:
        problems.append(f"{summary.utterances_failed} utterance(s) failed")
    if summary.skipped_variants:
        problems.append(f"{len(summary.skipped_variants)} variant(s) skipped")
    if summary.skipped_metrics:
        problems.append(f"{len(summary.skipped_metrics)} metric(s) skipped")
    if skipped_datasets:
        problems.append(f"{len(skipped_datasets)} dataset(s) skipped")
    if problems:
        return EXIT_FAILED, "some work failed: " + ", ".join(problems) + " (reasons recorded)"
    return EXIT_OK, "all requested work done"


def _skipped_datasets(store_path: Path, run_id: int) -> list[str]:
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT dataset FROM datasets WHERE run_id=? AND manifest LIKE "
                               "'unavailable%'", (run_id,)).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []
    return [r[0] for r in rows]


def score_exit_code(result: dict[str, Any]) -> tuple[int, str]:
    """Exit code and explanation for ``score_directories``'s result."""
    metrics = result.get("metrics") or {}
    unmatched = result.get("unmatched") or {}
    scored = sum(int(stats.get("n", 0)) for stats in metrics.values())
    if scored == 0:
        if not any(int(s.get("n", 0)) + int(s.get("excluded", 0)) for s in metrics.values()):
            return EXIT_FAILED, ("nothing was evaluated: no file of the hypothesis folder has a "
                                 "namesake in the reference folder")
        return EXIT_FAILED, "nothing was evaluated: every value is missing (reasons above)"
    problems = []
    excluded = sum(int(stats.get("excluded", 0)) for stats in metrics.values())
    if excluded:
        problems.append(f"{excluded} value(s) missing")
    if result.get("skipped_metrics"):
        problems.append(f"{len(result['skipped_metrics'])} metric(s) unavailable")
    if unmatched.get("hypothesis_only"):
        problems.append(f"{len(unmatched['hypothesis_only'])} hypothesis file(s) without a "
                        "reference")
    if problems:
        return EXIT_FAILED, "some work failed: " + ", ".join(problems)
    return EXIT_OK, "all requested work done"
