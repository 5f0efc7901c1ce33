"""End-to-end throughput on a LibriTTS-test-clean-sized workload: per-stage audio seconds per
second (load, encode, decode, each metric, store), wall time and peak GPU memory.

Synthesises 4 837 utterances totalling about 8.6 h (LibriTTS test-clean's size; ``--fraction``
scales both), speech-like harmonic signals at 24 kHz with English transcripts, then runs the demo
suite's variants with all its offline metrics (metrics inline, so each one's time is its own).
The values the metrics produce on synthetic signals mean nothing; only the timings matter.

    python tests/benchmarks/bench_throughput.py --device cuda             # full size, one GPU
    python tests/benchmarks/bench_throughput.py --device cpu --fraction 0.002
    nox -s gpu -- --fraction 0.1
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from bench.data.manifest import Utterance, write_manifest
from bench.execution.timing import collecting
from bench.runner import run_suite
from bench.suite import SUITES_DIR, DatasetSpec, load_suite

TEST_CLEAN_UTTERANCES = 4837
TEST_CLEAN_HOURS = 8.56
SAMPLE_RATE = 24000
SENTENCES = (
    "the boy ran down the hill to meet his father",
    "she opened the window and looked at the garden",
    "we will leave early tomorrow if the weather is fine",
    "a quiet voice answered from the back of the room",
    "the old clock in the hall struck nine",
    "they carried the heavy boxes up the narrow stairs",
)


def synthesize(root: Path, fraction: float, seed: int = 0) -> tuple[Path, float]:
    """Speech-like clips (gliding harmonic voice, syllable envelope, breath noise) whose count
    and total duration are ``fraction`` of test-clean's; durations gamma-distributed as there
    (mean ~6.4 s), clipped to 1-30 s."""
    rng = np.random.default_rng(seed)
    n = max(2, round(TEST_CLEAN_UTTERANCES * fraction))
    total = TEST_CLEAN_HOURS * 3600 * fraction
    durations = np.clip(rng.gamma(2.0, total / n / 2.0, n), 1.0, 30.0)
    durations *= total / durations.sum()
    durations = np.clip(durations, 0.8, 35.0)
    rows = []
    for i, seconds in enumerate(durations):
        t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
        f0 = 90 + 120 * rng.random() + 20 * np.sin(2 * np.pi * 0.7 * t + rng.random() * 6)
        phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
        voice = sum(np.sin(k * phase) / k ** 1.2 for k in range(1, 12))
        syllables = np.clip(np.sin(2 * np.pi * (3 + rng.random()) * t), 0, None) ** 0.6
        wav = 0.12 * voice * syllables + 0.004 * rng.standard_normal(t.size)
        sf.write(root / f"u{i:05d}.wav", wav.astype(np.float32), SAMPLE_RATE, subtype="PCM_16")
        rows.append(Utterance(id=f"u{i:05d}", path=f"u{i:05d}.wav",
                              text=SENTENCES[i % len(SENTENCES)], language="en",
                              speaker=f"s{i % 40}", duration=len(t) / SAMPLE_RATE))
    write_manifest(root / "manifest.jsonl", rows)
    return root / "manifest.jsonl", float(sum(r.duration for r in rows))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fraction", type=float, default=1.0, help="of test-clean's size")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:K")
    p.add_argument("--autocast", default="off", choices=("off", "bf16", "fp16"))
    p.add_argument("--max-items", type=int, help="batch size (default: demo suite's; 32 on GPU)")
    p.add_argument("--max-seconds", type=float, help="padded seconds per batch")
    p.add_argument("--variants", help="comma-separated demo variant names (default: all)")
    p.add_argument("--metrics", help="comma-separated metric ids (default: the demo's)")
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--workdir", help="keep data and store here (default: a temp folder)")
    args = p.parse_args(argv)
    if not 0 < args.fraction <= 1:
        p.error("--fraction must be in (0, 1]")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        p.error(f"--device {args.device}: torch sees no CUDA device; use --device cpu")
    on_gpu = args.device.startswith("cuda") or (args.device == "auto"
                                                 and torch.cuda.is_available())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        (work / "data").mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        manifest, audio_total = synthesize(work / "data", args.fraction)
        synth_s = time.perf_counter() - t0
        suite = load_suite(SUITES_DIR / "demo.yaml")
        variants = suite.variants
        if args.variants:
            wanted = set(args.variants.split(","))
            variants = tuple(v for v in variants if v.name in wanted)
        metrics = suite.metrics
        if args.metrics:
            wanted_metrics = set(args.metrics.split(","))
            metrics = tuple(m for m in metrics if m.id in wanted_metrics)
        batch = replace(suite.batch, workers=0, device=args.device, autocast=args.autocast,
                        max_items=args.max_items or (32 if on_gpu else suite.batch.max_items),
                        max_seconds=args.max_seconds or (600.0 if on_gpu
                                                         else suite.batch.max_seconds))
        suite = replace(suite, name="throughput", variants=variants, metrics=metrics,
                        batch=batch,
                        datasets=(DatasetSpec(name="test-clean-sized", manifest=str(manifest)),),
                        store=str(work / "store.sqlite"), report_dir=str(work / "reports"),
                        cache_dir=str(work / "cache"), base_dir=str(work))
        if on_gpu:
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        with collecting() as stages:
            summary = run_suite(suite, progress=False, log=lambda line: print("  " + line))
        wall = time.perf_counter() - t0
        ran = [v.name for v in variants if v.name not in summary.skipped_variants]
    n = max(2, round(TEST_CLEAN_UTTERANCES * args.fraction))
    device = (torch.cuda.get_device_name() if on_gpu else
              f"cpu ({torch.get_num_threads()} torch threads)")
    peak_gpu = torch.cuda.max_memory_allocated() / 2**30 if on_gpu else None
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"workload: {n} utterances, {audio_total / 3600:.3f} h of audio "
          f"(fraction {args.fraction:g} of test-clean), synthesised in {synth_s:.1f} s")
    print(f"device {device}, autocast {args.autocast}, batch {batch.max_items} items / "
          f"{batch.max_seconds:g} s; variants run: {', '.join(ran) or 'none'}")
    for name, reason in summary.skipped_variants.items():
        print(f"  skipped variant {name}: {reason.splitlines()[0]}")
    for name, reason in summary.skipped_metrics.items():
        print(f"  skipped metric {name}: {reason.splitlines()[0]}")
    print(f"{'stage':<28} {'seconds':>9} {'audio s':>10} {'audio s/s':>10} {'calls':>6}")
    for name, st in sorted(stages.items(), key=lambda kv: -kv[1].seconds):
        print(f"{name:<28} {st.seconds:>9.2f} {st.audio_s:>10.1f} {st.throughput:>10.1f} "
              f"{st.calls:>6}")
    evaluated = audio_total * max(1, len(ran))
    print(f"wall {wall:.1f} s for {len(ran)} variant(s) x {audio_total:.0f} s of audio: "
          f"{evaluated / wall:.1f} audio s/s end to end; full test-clean at this rate: "
          f"{wall / args.fraction / 60:.1f} min")
    print(f"peak GPU memory: {'n/a (no GPU)' if peak_gpu is None else f'{peak_gpu:.2f} GiB'}; "
          f"peak RSS {peak_rss:.2f} GiB; {summary.utterances_failed} failed utterance(s)")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "utterances": n, "audio_seconds": audio_total, "device": device, "wall_s": wall,
            "variants": ran, "peak_gpu_gib": peak_gpu, "peak_rss_gib": peak_rss,
            "stages": {k: vars(v) for k, v in stages.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
