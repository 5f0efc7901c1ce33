"""Write a run's report from the store alone (no recomputation): per-dataset Markdown, CSV and
LaTeX tables, PNG figures and a self-contained ``index.html`` under ``reports/<run name>/``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bench.paths import safe_join
from bench.report import plots
from bench.report.breakdown import corpus_tables, coverage_notes, language_table, manifest_info
from bench.report.compare_section import compare_sections
from bench.report.exclusions import exclusions_markdown
from bench.report.family_pareto import family_pareto
from bench.report.media import copy_audio, draw_thumbnails
from bench.report.page import ExtraSection, embed_png, headline_tables, render_page, utterance_views
from bench.report.provenance import provenance_items
from bench.report.sections import provided_sections
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
                 report_root: Path | str = "reports",
                 extra_sections: list[ExtraSection] | None = None) -> ReportFiles:
    """Build every table and figure of ``run_id`` into ``out_dir`` (default reports/<name>),
    with the run's saved audio copied in; ``extra_sections`` are appended to the page."""
    data = load_run(store, run_id)
    out = Path(out_dir) if out_dir else safe_join(report_root, data.run["name"])
    (out / "plots").mkdir(parents=True, exist_ok=True)
    budget = json.loads(data.run["config_json"]).get("batch", {}).get("save_audio_mb")
    audio, audio_problems = copy_audio(store, run_id, out, budget)
    spans = {(d, v, u): s for d, v, u, s in store.durations(run_id)}
    rates = {v["variant"]: float(v["frame_rate"]) for v in data.variants if v["frame_rate"]}
    draw_thumbnails(audio, out, spans, rates)
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
        csv_paths[dataset] = safe_join(out, f"{dataset}.csv")
        summary.to_csv(csv_paths[dataset], index=False, float_format="%.6g")
        corpus = corpus_table(data, dataset)
        if not corpus.empty:
            corpus.to_csv(safe_join(out, f"{dataset}_corpus.csv"), index=False,
                          float_format="%.6g")
        languages = {u: lang for u, (lang, _) in manifest_info(data, dataset).items()}
        tables = [(title, t) for title, t in (
            ("Quality (mean ± 95% CI over utterances)", display_table(summary, data, "quality")),
            ("Rates (corpus ratio of sums ± 95% CI)", display_table(summary, data, "rates")),
            *corpus_tables(corpus, data),
            ("Per language (mean, n = utterances with a value / scored)",
             language_table(data, dataset, languages)),
        ) if not t.empty and len(t.columns) > 1]
        coverage = coverage_notes(data, dataset, languages)
        notes.extend(f"{dataset}: {line}" for line in coverage)
        safe_join(out, f"{dataset}.md").write_text(
            "\n\n".join(f"{title}\n\n{to_markdown(t)}" for title, t in tables) + "\n", "utf-8")
        safe_join(out, f"{dataset}.tex").write_text(
            "\n".join(f"% {title.replace('±', '+/-')}\n" + to_latex(t)
                      for title, t in tables), "utf-8")
        figures = _figures(data, dataset, summary, out / "plots")
        views, shown_metrics, columns = utterance_views(data, dataset, audio)
        sections.append({
            "name": dataset, "headline": headline_tables(summary, data, dataset),
            "tables": [(title, t.to_html(index=False, escape=True, border=0, na_rep="—"))
                       for title, t in tables if not title.startswith(("Quality", "Rates"))],
            "figures": [embed_png(f) for f in figures], "utterances": views,
            "coverage": coverage,
            "metrics": shown_metrics, "columns": [
                (shown_metrics.index(m), m, v, "ground truth" if v == "ground truth"
                 else data.label(v)) for m, v in columns]})
        md += [f"## {dataset}", ""]
        for title, t in tables:
            md += [f"{title}:", "", to_markdown(t), ""]
        md += [f"![{f.stem}](plots/{f.name})" for f in figures] + [""]
    compared = compare_sections(store, run_id, out)  # the suite's `compare:` pairs, if any
    md += compared.markdown
    md += ["## Notes", ""] + [f"{i}. {one_line(n)}" for i, n in enumerate(notes, 1)] + [""]
    md += exclusions_markdown(data)
    failures = failure_table(data)
    if not failures.empty:
        md += ["## Failed utterances", "", to_markdown(failures), ""]
        failures.to_csv(out / "failures.csv", index=False)
    summary_md = out / "README.md"
    summary_md.write_text("\n".join(md), "utf-8")
    index = out / "index.html"
    compare_html = [ExtraSection("Variant comparisons", compared.html)] if compared.html else []
    index.write_text(render_page({
        "title": f"tokbench report: {data.run['name']} (run {run_id})", "header": header,
        "skipped": skipped + audio_problems, "datasets": sections, "notes": notes,
        "failures": None if failures.empty else failures.to_html(index=False, border=0),
        "extra_sections": [*compare_html, *provided_sections(store, run_id, data, out),
                           *(extra_sections or [])],
        "provenance": provenance_items(data)}), "utf-8")
    return ReportFiles(out, index, summary_md, csv_paths)


def _figures(data: RunData, dataset: str, summary, plot_dir: Path) -> list[Path]:
    figures: list[Path] = []
    for m in data.ok_metrics:
        metric = m["metric"]
        info = data.metric_info(metric)
        if info.get("needs_tokens"):
            continue
        hib = info.get("higher_is_better", True)
        unit = str(info.get("unit") or "")
        path = (None if hib is None else
                plots.quality_vs_rate(summary, metric, bool(hib), f"{dataset}: {metric} vs rate",
                                      safe_join(plot_dir, f"{dataset}_{metric}_vs_rate.png"), unit))
        if path:
            figures.append(path)
        path = plots.distributions(data, dataset, metric,
                                   safe_join(plot_dir, f"{dataset}_{metric}_box.png"), unit)
        if path:
            figures.append(path)
    for path in (plots.rate_distributions(data, dataset,
                                          safe_join(plot_dir, f"{dataset}_token_rate.png")),
                 plots.span_histograms(data, dataset, safe_join(plot_dir, f"{dataset}_spans.png")),
                 family_pareto(data, dataset, summary,
                               safe_join(plot_dir, f"{dataset}_families.png"))):
        if path:
            figures.append(path)
    return figures
