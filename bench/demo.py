"""``tokbench demo``: the packaged demo suite on a synthetic espeak-ng set, end to end.

Every installed tokenizer family and metric takes part: those the YAML names with its settings,
any other installed entry point with its defaults.

Runs even when no tokenizer has weights: every skipped tokenizer or metric is printed with its
reason and listed in the report. Paths (data cache, store, report) are relative to the current
directory, never to the installed package.
"""

from __future__ import annotations

from dataclasses import replace
from importlib.metadata import entry_points
from pathlib import Path

from bench.registry import METRIC_GROUP, TOKENIZER_GROUP
from bench.suite import SUITES_DIR, MetricSpec, Suite, VariantSpec, load_suite

DEMO_SUITE = SUITES_DIR / "demo.yaml"


def demo_suite(cache_dir: Path, store_path: Path | None = None, workers: int | None = None
               ) -> Suite:
    """The packaged demo suite with its cache and store under ``cache_dir`` (cwd-relative),
    extended by every installed tokenizer family and metric the YAML does not name."""
    cache_dir = Path(cache_dir).resolve()
    suite = load_suite(DEMO_SUITE)
    families = {v.family for v in suite.variants}
    extra_variants = tuple(VariantSpec(name=ep.name, family=ep.name)
                           for ep in sorted(entry_points(group=TOKENIZER_GROUP),
                                            key=lambda e: e.name)
                           if ep.name not in families
                           and ep.name != "precomputed")  # a folder of audio, not a model
    named = {m.id for m in suite.metrics}
    extra_metrics = tuple(MetricSpec(id=ep.name)
                          for ep in sorted(entry_points(group=METRIC_GROUP), key=lambda e: e.name)
                          if ep.name not in named)
    suite = replace(suite, base_dir=str(Path.cwd()), cache_dir=str(cache_dir),
                    store=str(store_path.resolve() if store_path else cache_dir / "demo.sqlite"),
                    variants=suite.variants + extra_variants,
                    metrics=suite.metrics + extra_metrics)
    if workers is not None:
        suite = replace(suite, batch=replace(suite.batch, workers=workers))
    return suite


def run_demo(cache_dir: Path = Path(".tokbench_cache"), store_path: Path | None = None,
             out_dir: Path = Path("reports/demo"), workers: int | None = None,
             resume: bool = False, progress: bool = True) -> int:
    """Build the synthetic set, run every usable tokenizer and metric, write the report."""
    from bench.report.build import write_report
    from bench.report.terminal import headline_text, skipped_names
    from bench.runner import run_suite
    from bench.store import Store

    suite = demo_suite(cache_dir, store_path, workers)
    print(f"tokbench demo: data cache {suite.cache_dir}, store {suite.store}")
    summary = run_suite(suite, resume=resume, progress=progress)
    with Store(suite.store) as store:
        files = write_report(store, summary.run_id, out_dir=out_dir)
        headline = headline_text(store, summary.run_id)
    ran = [v.name for v in suite.variants if v.name not in summary.skipped_variants]
    print(f"\ntokenizers run: {', '.join(ran) if ran else 'none'}")
    skipped = skipped_names(summary.skipped_variants, summary.skipped_metrics)
    if skipped:
        print(skipped)
    print(f"{summary.utterances_done} utterance results, {summary.utterances_failed} failures")
    print("\n" + headline)
    print(f"\nreport: {files.index_html.resolve()}")
    return 0 if summary.utterances_done else 1  # exit 1: nothing was evaluated
