"""Autocast parity: the shipped tokenizers on LibriTTS speech with fp32 vs --autocast bf16/fp16,
same batches; prints token agreement and the change in mean PESQ / STOI / mel L1 per variant.

    python tests/benchmarks/bench_autocast_parity.py --device cuda --autocast bf16
    python tests/benchmarks/bench_autocast_parity.py --device cpu --autocast bf16 --limit 4
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench.data.manifest import Utterance, write_manifest
from bench.runner import run_suite
from bench.store import unpack_ids
from bench.suite import parse_suite

METRICS = ("pesq_wb", "stoi", "mel_l1")
VARIANTS = ({"name": "varstok", "family": "varstok"},
            {"name": "wavtokenizer", "family": "wavtokenizer"})


def run(tmp: Path, manifest: Path, device: str, autocast: str) -> Path:
    store = tmp / f"{autocast}.sqlite"
    suite = parse_suite({
        "name": f"parity-{autocast}", "datasets": [{"name": "d", "manifest": str(manifest)}],
        "variants": list(VARIANTS), "metrics": list(METRICS),
        "batch": {"workers": 0, "max_items": 4, "device": device, "autocast": autocast},
        "store": str(store)})
    summary = run_suite(suite, progress=False, log=lambda _: None)
    if summary.skipped_variants:
        print(f"skipped: {summary.skipped_variants}")
    return store


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="../shared/data/libritts_demo/gt")
    p.add_argument("--device", default="cpu")
    p.add_argument("--autocast", default="bf16", choices=("bf16", "fp16"))
    p.add_argument("--limit", type=int, default=8)
    args = p.parse_args(argv)
    wavs = sorted(Path(args.data).glob("*.wav"))[: args.limit]
    if not wavs:
        p.error(f"no .wav files in {args.data}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        write_manifest(tmp / "m.jsonl", [Utterance(id=w.stem, path=str(w.resolve()))
                                         for w in wavs])
        stores = {mode: run(tmp, tmp / "m.jsonl", args.device, mode)
                  for mode in ("off", args.autocast)}
        print(f"{len(wavs)} utterances, device {args.device}, autocast {args.autocast} vs fp32")
        print(f"{'variant':<14} {'tokens equal':>13} {'spans equal':>12} "
              + " ".join(f"{'Δ ' + m:>12}" for m in METRICS))
        for variant in (v["name"] for v in VARIANTS):
            streams, values = {}, {}
            for mode, store in stores.items():
                con = sqlite3.connect(store)
                streams[mode] = {u: (unpack_ids(t), unpack_ids(d)) for u, t, d in con.execute(
                    "SELECT utterance, tokens, durations FROM token_streams WHERE variant=?",
                    (variant,))}
                values[mode] = {m: np.mean([v for (v,) in con.execute(
                    "SELECT value FROM results WHERE variant=? AND metric=? AND value IS NOT "
                    "NULL", (variant, m))] or [np.nan]) for m in METRICS}
                con.close()
            same = total = same_spans = 0
            for utt, (tok, spans) in streams["off"].items():
                other, other_spans = streams[args.autocast].get(utt, (None, None))
                if other is None:
                    continue
                n = min(len(tok), len(other))
                same += int(np.sum(tok[:n] == other[:n]))
                total += max(len(tok), len(other))
                same_spans += int(spans is None or (other_spans is not None
                                                    and np.array_equal(spans, other_spans)))
            deltas = " ".join(f"{values[args.autocast][m] - values['off'][m]:>+12.4f}"
                              for m in METRICS)
            print(f"{variant:<14} {same / max(total, 1):>12.2%} "
                  f"{same_spans:>6}/{len(streams['off']):<5} {deltas}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
