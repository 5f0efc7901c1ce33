"""Gate results as JUnit XML (one testcase per variant × metric) and a Markdown summary."""

from __future__ import annotations

import math
from pathlib import Path
from xml.etree import ElementTree as ET

from bench.gate.rule import NOT_GATED, REGRESSED, VariantGate


def _num(x: float | None, digits: int = 5) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def lost_message(metric: str, lost: dict[str, str]) -> str:
    reasons = sorted(set(lost.values()))
    return (f"{metric}: {len(lost)} utterance(s) scored in the baseline have no value in the "
            f"candidate ({', '.join(sorted(lost)[:5])}{', …' if len(lost) > 5 else ''}): "
            + "; ".join(reasons[:3]))


def write_junit(gates: list[VariantGate], path: Path | str, notes: list[str]) -> Path:
    """JUnit XML: a failure carries the numbers; descriptive metrics are skipped testcases."""
    suite = ET.Element("testsuite", name="tokbench gate")
    if notes:  # JUnit wants properties before the testcases
        props = ET.SubElement(suite, "properties")
        for i, note in enumerate(notes):
            ET.SubElement(props, "property", name=f"note{i}", value=note)
    tests = failures = skipped = 0
    for gate in gates:
        for o in gate.outcomes:
            case = ET.SubElement(suite, "testcase", classname=f"tokbench.gate.{gate.variant}",
                                 name=o.metric, time="0")
            tests += 1
            if o.status == REGRESSED:
                failures += 1
                fail = ET.SubElement(case, "failure", type="regression", message=o.message())
                fail.text = o.message()
            elif o.status == NOT_GATED:
                skipped += 1
                ET.SubElement(case, "skipped", message=o.message())
            else:
                ET.SubElement(case, "system-out").text = o.message()
        for metric, lost in gate.lost.items():
            case = ET.SubElement(suite, "testcase", classname=f"tokbench.gate.{gate.variant}",
                                 name=f"{metric} coverage", time="0")
            tests += 1
            failures += 1
            ET.SubElement(case, "failure", type="coverage", message=lost_message(metric, lost))
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
    return path


def to_markdown(gates: list[VariantGate], notes: list[str], exit_code: int) -> str:
    verdict = {0: "✅ no regression", 1: "❌ regression", 2: "⚠️ not comparable"}[exit_code]
    out = [f"## tokbench gate: {verdict}", ""]
    out += [f"- {n}" for n in notes]
    for gate in gates:
        out += ["", f"### {gate.variant}", ""]
        out += [f"- ⚠️ {m}" for m in gate.mismatches]
        out += [f"- {n}" for n in gate.notes]
        out += [f"- ❌ {lost_message(m, lost)}" for m, lost in gate.lost.items()]
        if gate.outcomes:
            out += ["", "| metric | n | baseline | candidate | Δ | 95% CI of Δ | tolerance | "
                        "status |", "|---|---|---|---|---|---|---|---|"]
            for o in gate.outcomes:
                tol = "–" if o.tolerance is None else f"{_num(o.tolerance, 3)} ({o.tolerance_rule})"
                arrow = {"higher": " ↑", "lower": " ↓"}.get(o.direction, "")
                mark = {"regressed": "❌ regressed", "improved": "✅ improved", "pass": "pass"}
                out.append(f"| {o.metric}{arrow} | {o.n} | {_num(o.baseline)} | "
                           f"{_num(o.candidate)} | {_num(o.delta, 4)} | [{_num(o.ci_low, 4)}, "
                           f"{_num(o.ci_high, 4)}] | {tol} | {mark.get(o.status, o.status)} |")
    out += ["", "Rule: a metric regresses when the candidate is worse in its direction by more "
                "than its tolerance and the paired bootstrap CI of Δ excludes 0."]
    return "\n".join(out) + "\n"
