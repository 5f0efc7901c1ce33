"""Score the LibriTTS demo folders with the neural metrics (paper protocol: reference and
reconstruction truncated to the shorter) and write per-system means as JSON.

Usage: python tests/benchmarks/libritts_demo_neural_report.py OUT.json
           [--demo DIR] [--stages quality pitch] [--capacity full|tiny] [--utts ID ...]
``quality`` = DNSMOS OVRL (gt too) + Resemblyzer SIM; ``pitch`` = V/UV F1, periodicity and
pitch RMSE with crepe ``--capacity`` (the papers use 'full'; it is slow on CPU).
"""

from __future__ import annotations

import argparse
import json
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


def reference_paths(demo: Path, utts: list[str] | None) -> list[Path]:
    paths = sorted((demo / "gt").glob("*.wav"))
    return [p for p in paths if not utts or p.stem in utts]


def pairs(demo: Path, system: str, utts: list[str] | None) -> list[MetricInput]:
    items = []
    for ref_path in reference_paths(demo, utts):
        ref, _ = load_audio(ref_path)
        hyp, decisions = load_audio(demo / system / ref_path.name)
        ref, hyp = truncate_to_shorter(ref, hyp)
        items.append(MetricInput(ref_path.stem, hypothesis=hyp, hypothesis_sr=decisions.target_sr,
                                 reference=ref, reference_sr=decisions.target_sr))
    return items


def summary(metric: Metric, items: list[MetricInput]) -> dict[str, object]:
    start = time.perf_counter()
    values = metric.compute(items)
    finite = [v.value for v in values if v.ok]
    return {"mean": float(np.mean(finite)) if finite else None, "n": len(finite),
            "missing": len(values) - len(finite), "seconds": time.perf_counter() - start,
            "per_utt": {i.utt_id: v.value for i, v in zip(items, values, strict=True)}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--demo", type=Path, default=DEFAULT_DEMO)
    parser.add_argument("--stages", nargs="*", default=["quality", "pitch"])
    parser.add_argument("--capacity", default="full")
    parser.add_argument("--utts", nargs="*", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results: dict[str, dict[str, dict]] = {}

    def save() -> None:
        args.out.write_text(json.dumps(results, indent=1))

    all_pairs = {system: pairs(args.demo, system, args.utts) for system in SYSTEMS}
    if "quality" in args.stages:
        gt_items = []
        for path in reference_paths(args.demo, args.utts):
            audio, decisions = load_audio(path)
            gt_items.append(MetricInput(path.stem, hypothesis=audio,
                                        hypothesis_sr=decisions.target_sr))
        results["gt"] = {"dnsmos_ovrl": summary(DnsmosOverall(), gt_items)}
        save()
        for system in SYSTEMS:
            items = all_pairs[system]
            results[system] = {"dnsmos_ovrl": summary(DnsmosOverall(), items),
                               "spk_sim_resemblyzer": summary(ResemblyzerSimilarity(), items)}
            save()
    if "pitch" in args.stages:
        for system in SYSTEMS:
            items = all_pairs[system]
            for metric in (VuvF1(capacity=args.capacity), PeriodicityRmse(capacity=args.capacity),
                           PitchRmse(capacity=args.capacity)):
                results.setdefault(system, {})[f"{metric.info.id}_{args.capacity}"] = summary(
                    metric, items)
            save()
            print(system, {k: v["mean"] for k, v in results[system].items()}, flush=True)


if __name__ == "__main__":
    main()
