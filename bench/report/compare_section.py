"""The report's paired-comparison sections: one per dataset × ``compare:`` pair the suite
declares, as Markdown, an HTML fragment and a forest plot PNG each (from the store alone)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path

from bench.compare.engine import compare
from bench.compare.render import display_rows, forest_plot, header_lines, to_markdown
from bench.compare.sides import side_from_store
from bench.store import Store


@dataclass
class CompareSections:
    markdown: list[str] = field(default_factory=list)
    html: str = ""
    figures: list[Path] = field(default_factory=list)


def declared_pairs(store: Store, run_id: int) -> list[tuple[str, str]]:
    config = json.loads(store.run_row(run_id)["config_json"] or "{}")
    return [(p["baseline"], p["candidate"]) for p in config.get("compare") or []]


def compare_sections(store: Store, run_id: int, out_dir: Path, draws: int = 10_000,
                     seed: int = 0) -> CompareSections:
    """Sections for every declared pair; a pair that cannot be compared (a variant skipped, no
    shared utterance) gets a line with the reason instead of a table."""
    pairs = declared_pairs(store, run_id)
    found = CompareSections()
    if not pairs:
        return found
    found.markdown = ["## Paired comparisons", ""]
    parts = ["<h2>Paired comparisons</h2>"]
    variants = {v["variant"]: v for v in store.table("variants", run_id)}
    for dataset in sorted(d["dataset"] for d in store.table("datasets", run_id)):
        for base_name, cand_name in pairs:
            title = f"{dataset}: {cand_name} vs {base_name}"
            skipped = [f"{n} was skipped: {variants[n]['reason']}" for n in (base_name, cand_name)
                       if n in variants and variants[n]["status"] != "ok"]
            try:
                if skipped:
                    raise ValueError("; ".join(skipped))
                result = compare(side_from_store(store, run_id, base_name, dataset),
                                 side_from_store(store, run_id, cand_name, dataset),
                                 draws=draws, seed=seed)
            except (ValueError, KeyError) as err:
                reason = " / ".join(str(err).splitlines())
                found.markdown += [f"### {title}", "", f"not compared: {reason}", ""]
                parts.append(f"<h3>{html.escape(title)}</h3><p class='skipped'>not compared: "
                             f"{html.escape(reason)}</p>")
                continue
            plot = forest_plot(result, out_dir / "plots" /
                               f"compare_{dataset}_{cand_name}_vs_{base_name}.png", title)
            found.figures.append(plot)
            found.markdown += [to_markdown(result, title),
                               f"![{plot.stem}](plots/{plot.name})", ""]
            parts.append(html_fragment(result, title, plot))
    found.html = "\n".join(parts)
    return found


def html_fragment(result, title: str, plot: Path) -> str:
    """One comparison as an HTML table with its header lines and the embedded forest plot."""
    from bench.report.page import embed_png

    rows = display_rows(result, "all")
    lines = "".join(f"<li>{html.escape(line)}</li>" for line in header_lines(result))
    head = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0]) if rows else ""
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r.values()) + "</tr>"
                   for r in rows)
    return (f"<h3>{html.escape(title)}</h3><ul class='notes'>{lines}</ul>"
            f"<table><tr>{head}</tr>{body}</table>{embed_png(plot)}")
