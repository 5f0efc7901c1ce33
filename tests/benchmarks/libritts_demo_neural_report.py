"""Score the LibriTTS demo folders with the neural metrics (paper protocol: reference and
reconstruction truncated to the shorter) and write per-system means as JSON.

Usage: python tests/benchmarks/libritts_demo_neural_report.py [DEMO_DIR] [OUT.json]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from bench.audio import load_audio
from bench.metrics.base import Metric, MetricInput, truncate_to_shorter
from bench.metrics.dnsmos import DnsmosOverall
from bench.metrics.periodicity import PeriodicityRmse
from bench.metrics.pitch_rmse import PitchRmse
from bench.metrics.spk_sim_resemblyzer import ResemblyzerSimilarity
from bench.metrics.vuv_f1 import VuvF1

SYSTEMS = ("bigcodec", "varstok_thres6", "varstok_thres7", "varstok_thres8",
           "wavtokenizer_40", "wavtokenizer_75", "xcodec2")
DEFAULT_DEMO = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "libritts_demo"


def pairs(demo: Path, system: str) -> list[MetricInput]:
    items = []
    for ref_path in sorted((demo / "gt").glob("*.wav")):
        ref, _ = load_audio(ref_path)
        hyp, decisions = load_audio(demo / system / ref_path.name)
        ref, hyp = truncate_to_shorter(ref, hyp)
        items.append(MetricInput(ref_path.stem, hypothesis=hyp, hypothesis_sr=decisions.target_sr,
                                 reference=ref, reference_sr=decisions.target_sr))
    return items


def summary(metric: Metric, items: list[MetricInput]) -> dict[str, float | int | None]:
    start = time.perf_counter()
    values = metric.compute(items)
    finite = [v.value for v in values if v.ok]
    return {"mean": float(np.mean(finite)) if finite else None, "n": len(finite),
            "missing": len(values) - len(finite), "seconds": time.perf_counter() - start}


def main() -> None:
    torch.set_num_threads(1)
    demo = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DEMO
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("libritts_demo_neural.json")
    results: dict[str, dict[str, dict]] = {}

    def save() -> None:
        out.write_text(json.dumps(results, indent=1))

    gt_items = []
    for path in sorted((demo / "gt").glob("*.wav")):
        audio, decisions = load_audio(path)
        gt_items.append(MetricInput(path.stem, hypothesis=audio,
                                    hypothesis_sr=decisions.target_sr))
    results["gt"] = {"dnsmos_ovrl": summary(DnsmosOverall(), gt_items)}
    save()
    all_pairs = {system: pairs(demo, system) for system in SYSTEMS}
    for system in SYSTEMS:
        items = all_pairs[system]
        results[system] = {"dnsmos_ovrl": summary(DnsmosOverall(), items),
                           "spk_sim_resemblyzer": summary(ResemblyzerSimilarity(), items)}
        save()
    for system in SYSTEMS:
        items = all_pairs[system]
        for metric in (VuvF1(), PeriodicityRmse(), PitchRmse()):
            results[system][metric.info.id] = summary(metric, items)
        save()
        print(system, json.dumps(results[system]), flush=True)


if __name__ == "__main__":
    main()
