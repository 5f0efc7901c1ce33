"""Throughput of each neural metric on CPU: utterances per second (and audio seconds per
second) over LibriTTS demo utterances, model loading excluded, process caches cleared.

Usage: python tests/benchmarks/bench_neural_metrics.py [--n 4] [--seconds 3] [--metrics ...]
UTMOS has no weights here: it is timed with random weights (same network, same cost).
vuv_f1, periodicity and pitch_rmse share one crepe run per signal; each is timed alone here.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from bench.audio import load_audio
from bench.metrics.base import Metric, MetricInput
from bench.metrics.cer import CharacterErrorRate
from bench.metrics.dnsmos import _SCORES, DnsmosOverall
from bench.metrics.models import asr, crepe_pitch
from bench.metrics.models.utmos_net import Utmos22Strong
from bench.metrics.periodicity import PeriodicityRmse
from bench.metrics.pitch_rmse import PitchRmse
from bench.metrics.spk_sim_resemblyzer import ResemblyzerSimilarity
from bench.metrics.utmos import Utmos
from bench.metrics.vuv_f1 import VuvF1
from bench.metrics.wer import WordErrorRate

DEMO = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "libritts_demo"


def random_utmos() -> Utmos:
    metric = Utmos()
    model = Utmos22Strong().eval()
    metric.model = lambda: model  # type: ignore[method-assign]
    return metric


FACTORIES = {
    "utmos": random_utmos,
    "dnsmos_ovrl": DnsmosOverall,
    "wer": lambda: WordErrorRate(model="tiny.en"),
    "cer": lambda: CharacterErrorRate(model="tiny.en"),
    "spk_sim_resemblyzer": ResemblyzerSimilarity,
    "vuv_f1": VuvF1,
    "vuv_f1_crepe_tiny": lambda: VuvF1(capacity="tiny"),
    "periodicity": PeriodicityRmse,
    "pitch_rmse": PitchRmse,
}


def clear_caches() -> None:
    _SCORES.clear()
    crepe_pitch._TRACKS.clear()
    asr._TRANSCRIPTS.clear()


def demo_items(n: int, seconds: float) -> list[MetricInput]:
    refs = sorted((DEMO / "gt").glob("*.wav"))[:n]
    items = []
    for path in refs:
        ref, _ = load_audio(path, 16000)
        hyp, _ = load_audio(DEMO / "wavtokenizer_75" / path.name, 16000)
        cut = min(len(ref), len(hyp), int(seconds * 16000))
        items.append(MetricInput(path.stem, hypothesis=hyp[:cut], hypothesis_sr=16000,
                                 reference=ref[:cut], reference_sr=16000,
                                 text="throughput only", language="en"))
    return items


def bench(metric: Metric, items: list[MetricInput]) -> tuple[float, float]:
    warm = items[0]
    metric.compute([MetricInput("warm", hypothesis=warm.hypothesis[:16000] * 0.5,
                                hypothesis_sr=16000, reference=warm.reference[:16000] * 0.5,
                                reference_sr=16000, text="warm up", language="en")])
    clear_caches()
    start = time.perf_counter()
    values = metric.compute(items)
    elapsed = time.perf_counter() - start
    assert all(v.ok for v in values), [v.reason for v in values if not v.ok]
    audio_seconds = sum(len(i.hypothesis) for i in items) / 16000
    return len(items) / elapsed, audio_seconds / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--metrics", nargs="*", default=list(FACTORIES))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    items = demo_items(args.n, args.seconds)
    print(f"{len(items)} utterances of <= {args.seconds} s, {args.threads} torch thread(s), CPU")
    for name in args.metrics:
        utt_per_s, rt = bench(FACTORIES[name](), items)
        print(f"{name:22s} {utt_per_s:8.3f} utt/s  {rt:8.3f} audio-s/s", flush=True)


if __name__ == "__main__":
    main()
