"""What a finished run prints: the headline tables per dataset (as the report shows them) and,
once, which variants and metrics were skipped (their reasons were printed when they happened)."""

from __future__ import annotations

from bench.report.tables import display_table, load_run, summary_table, to_markdown
from bench.store import Store


def headline_text(store: Store, run_id: int) -> str:
    """Markdown-style quality and rate tables of every dataset of a run."""
    data = load_run(store, run_id)
    parts: list[str] = []
    for d in data.datasets:
        summary = summary_table(data, d["dataset"])
        if summary.empty:
            continue
        for kind, title in (("quality", "quality"), ("rates", "rates")):
            table = display_table(summary, data, kind)
            if not table.empty and len(table.columns) > 1:
                parts.append(f"{d['dataset']}, {title} (mean ± 95% CI):\n{to_markdown(table)}")
    return "\n\n".join(parts)


def skipped_names(skipped_variants: dict[str, str], skipped_metrics: dict[str, str]) -> str:
    """One line naming what was skipped, without repeating the reasons; '' when nothing."""
    names = ([f"variant {v}" for v in skipped_variants]
             + [f"metric {m}" for m in skipped_metrics])
    if not names:
        return ""
    return "skipped (reasons printed above and listed in the report): " + ", ".join(names)
