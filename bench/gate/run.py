"""``tokbench gate``: gate a run (or score file) against a baseline; exit 0 / 1 / 2.

0 = every gated metric passed, 1 = a metric regressed (or lost utterances the baseline scored),
2 = usage error or a baseline that is not comparable (other dataset, metric versions/settings)
unless ``allow_mismatch``, which is then recorded in every output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench.compare.inputs import is_json_file, load_side
from bench.compare.sides import Side
from bench.gate.baseline import build_baseline, read_baseline, write_baseline
from bench.gate.config import GateConfig
from bench.gate.report import to_markdown, write_junit
from bench.gate.rule import VariantGate, gate_variant

OK, REGRESSION, INCOMPATIBLE = 0, 1, 2


@dataclass
class GateOutcome:
    exit_code: int
    gates: list[VariantGate]
    notes: list[str] = field(default_factory=list)
    markdown: str = ""

    def lines(self) -> list[str]:
        out = list(self.notes)
        for gate in self.gates:
            out += [f"{gate.variant}: MISMATCH: {m}" for m in gate.mismatches]
            out += [f"{gate.variant}: note: {n}" for n in gate.notes]
            out += [o.message() for o in gate.outcomes]
            out += [f"{gate.variant}: LOST: {m}: {len(lost)} utterance(s) without a value"
                    for m, lost in gate.lost.items()]
        regressed = [f"{g.variant}/{o.metric}" for g in self.gates for o in g.regressed]
        lost = [f"{g.variant}/{m} (coverage)" for g in self.gates for m in g.lost]
        summary = {OK: "gate: PASS (no regression)",
                   REGRESSION: "gate: FAIL, regressed: " + ", ".join(regressed + lost),
                   INCOMPATIBLE: "gate: baseline not comparable (exit 2); pass --allow-mismatch "
                                 "to compare anyway or --update-baseline to replace it"}
        return [*out, summary[self.exit_code]]


def run_gate(run: str, baseline_path: Path | str, variants: list[str] | None = None,
             config: GateConfig | None = None, store: str | None = None,
             dataset: str | None = None, allow_mismatch: bool = False,
             junit: Path | str | None = None, markdown: Path | str | None = None,
             update_baseline: bool = False) -> GateOutcome:
    """Gate ``variants`` (default: every variant in the baseline) of ``run``."""
    config = config or GateConfig()
    doc = read_baseline(baseline_path)
    names = list(variants or doc["sides"])
    unknown = [v for v in names if v not in doc["sides"]]
    if unknown:
        raise ValueError(f"baseline {baseline_path} has no variant {unknown}; it holds "
                         f"{sorted(doc['sides'])}")
    gates: list[VariantGate] = []
    for name in names:
        base = Side.from_dict(doc["sides"][name])
        cand = load_side(run, None if is_json_file(run) else name, store, dataset)
        repeat_sd = {m: e["repeat_sd"] for m, e in doc.get("corpus", {}).get(name, {}).items()
                     if "repeat_sd" in e}
        gates.append(gate_variant(base, cand, config, repeat_sd))
    notes = [f"baseline {baseline_path} (saved {doc.get('created')} from {doc.get('source')}); "
             f"candidate {run}"]
    mismatched = any(g.mismatches for g in gates)
    if mismatched and allow_mismatch:
        notes.append("--allow-mismatch: the baseline differs from the candidate (see the "
                     "mismatches) and was compared anyway")
    if mismatched and not (allow_mismatch or update_baseline):
        code = INCOMPATIBLE
    elif any(g.regressed or g.lost for g in gates):
        code = REGRESSION
    else:
        code = OK
    if update_baseline:
        new = build_baseline(run, None if is_json_file(run) else names, store, dataset)
        write_baseline(new, baseline_path)
        notes.append(f"--update-baseline: {baseline_path} rewritten from {run} (gate result "
                     f"before the update: exit {code})")
        code = OK
    outcome = GateOutcome(exit_code=code, gates=gates, notes=notes)
    outcome.markdown = to_markdown(gates, notes, code)
    if markdown:
        Path(markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(markdown).write_text(outcome.markdown, "utf-8")
    if junit:
        write_junit(gates, junit, notes)
    return outcome
