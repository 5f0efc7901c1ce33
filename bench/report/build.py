"""Write a run's report from the store alone (no recomputation): per-dataset Markdown, CSV and
LaTeX tables, PNG figures and a self-contained ``index.html`` under ``reports/<run name>/``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.report import plots
from bench.report.exclusions import exclusions_markdown
from bench.report.html import render_html
from bench.report.tables import (
    RunData,
    corpus_table,
    display_table,
    failure_table,
    footnotes,
    load_run,
    summary_table,
    to_latex,
    to_markdown,
)
from bench.store import Store


@dataclass
class ReportFiles:
    out_dir: Path
    index_html: Path
    summary_md: Path
    csv: dict[str, Path]


def skipped_lines(data: RunData) -> list[str]:
    """One line per skipped variant, metric or dataset, with its reason."""
    lines = [f"variant {v['variant']} ({v['family']}): {v['reason']}"
             for v in data.variants if v["status"] != "ok"]
    lines += [f"metric {m['metric']}: {m['reason']}" for m in data.metrics if m["status"] != "ok"]
    lines += [f"dataset {d['dataset']}: {d['manifest']}" for d in data.datasets
              if str(d["manifest"]).startswith("unavailable")]
    return [one_line(line) for line in lines]


def one_line(text: str) -> str:
    """Multi-line reasons (e.g. where to put weights) as one Markdown-safe line."""
    return " / ".join(part.strip() for part in str(text).splitlines() if part.strip())


def write_report(store: Store, run_id: int, out_dir: Path | None = None,
                 report_root: Path | str = "reports") -> ReportFiles:
    """Build every table and figure of ``run_id`` into ``out_dir`` (default reports/<name>)."""
    data = load_run(store, run_id)
    out = Path(out_dir) if out_dir else Path(report_root) / data.run["name"]
    (out / "plots").mkdir(parents=True, exist_ok=True)
    notes = footnotes(data)
    header = [
        f"run {run_id} '{data.run['name']}', status {data.run['status']}, "
        f"{data.run['started_at']} → {data.run['ended_at'] or '(not finished)'}",
        f"config hash {data.run['config_hash']}, git {data.run['git_commit']}, "
        f"seed {data.run['seed']}",
        f"device {data.run['device']}",
        "packages: " + ", ".join(f"{k} {v}" for k, v in
                                 sorted(json.loads(data.run["packages_json"] or "{}").items())),
    ]
    skipped = skipped_lines(data)
    md = [f"# tokbench report: {data.run['name']} (run {run_id})", ""]
    md += [f"- {line}" for line in header] + [""]
    if skipped:
        md += ["## Skipped", ""] + [f"- {s}" for s in skipped] + [""]
    sections = []
    csv_paths: dict[str, Path] = {}
    for d in data.datasets:
        dataset = d["dataset"]
        summary = summary_table(data, dataset)
        if summary.empty:
            continue
        csv_paths[dataset] = out / f"{dataset}.csv"
        summary.to_csv(csv_paths[dataset], index=False, float_format="%.6g")
        corpus = corpus_table(data, dataset)
        if not corpus.empty:
            corpus.to_csv(out / f"{dataset}_corpus.csv", index=False, float_format="%.6g")
        tables = [(title, t) for title, t in (
            ("Quality (mean ± 95% CI over utterances)", display_table(summary, data, "quality")),
            ("Rates (corpus ratio of sums ± 95% CI)", display_table(summary, data, "rates")),
            ("Corpus level (totals over utterances, not means)",
             corpus.round(4) if not corpus.empty else corpus),
        ) if not t.empty and len(t.columns) > 1]
        (out / f"{dataset}.md").write_text(
            "\n\n".join(f"{title}\n\n{to_markdown(t)}" for title, t in tables) + "\n", "utf-8")
        (out / f"{dataset}.tex").write_text(
            "\n".join(f"% {title.replace('±', '+/-')}\n" + to_latex(t)
                      for title, t in tables), "utf-8")
        figures = _figures(data, dataset, summary, out / "plots")
        sections.append((dataset, tables, figures))
        md += [f"## {dataset}", ""]
        for title, t in tables:
            md += [f"{title}:", "", to_markdown(t), ""]
        md += [f"![{f.stem}](plots/{f.name})" for f in figures] + [""]
    md += ["## Notes", ""] + [f"{i}. {one_line(n)}" for i, n in enumerate(notes, 1)] + [""]
    md += exclusions_markdown(data)
    failures = failure_table(data)
    if not failures.empty:
        md += ["## Failed utterances", "", to_markdown(failures), ""]
        failures.to_csv(out / "failures.csv", index=False)
    summary_md = out / "README.md"
    summary_md.write_text("\n".join(md), "utf-8")
    index = out / "index.html"
    index.write_text(render_html(f"tokbench report: {data.run['name']} (run {run_id})", header,
                                 skipped, sections, notes, failures), "utf-8")
    return ReportFiles(out, index, summary_md, csv_paths)


def _figures(data: RunData, dataset: str, summary, plot_dir: Path) -> list[Path]:
    figures: list[Path] = []
    for m in data.ok_metrics:
        metric = m["metric"]
        info = data.metric_info(metric)
        if info.get("needs_tokens"):
            continue
        hib = bool(info.get("higher_is_better", True))
        path = plots.quality_vs_rate(summary, metric, hib, f"{dataset}: {metric} vs rate",
                                     plot_dir / f"{dataset}_{metric}_vs_rate.png")
        if path:
            figures.append(path)
        path = plots.distributions(data, dataset, metric, plot_dir / f"{dataset}_{metric}_box.png")
        if path:
            figures.append(path)
    for path in (plots.rate_distributions(data, dataset, plot_dir / f"{dataset}_token_rate.png"),
                 plots.span_histograms(data, dataset, plot_dir / f"{dataset}_spans.png")):
        if path:
            figures.append(path)
    return figures
