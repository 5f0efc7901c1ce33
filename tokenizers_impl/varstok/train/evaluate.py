"""Held-out evaluation of a trained checkpoint folder (``config.yaml`` + ``model.ckpt``):
log-mel L1, PESQ-wb and STOI from the tokbench metrics, and tokens per second.

Run: ``python -m tokenizers_impl.varstok.train.evaluate FOLDER MANIFEST --clustering fixed``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.audio import load_audio
from bench.data.manifest import read_manifest
from bench.metrics.base import MetricInput
from bench.metrics.mel_l1 import MelL1
from bench.metrics.pesq_wb import PesqWideband
from bench.metrics.stoi import Stoi
from tokenizers_impl.varstok.model import VARSTok
from tokenizers_impl.wavtokenizer.model import WavTokenizer

SAMPLE_RATE = 24000


def load_model(folder: Path, clustering: str) -> VARSTok:
    """``clustering`` none = the fixed-rate ``WavTokenizer`` class (one token per frame)."""
    config, ckpt = folder / "config.yaml", folder / "model.ckpt"
    if clustering == "none":
        return WavTokenizer.from_pretrained(config, ckpt).eval()
    return VARSTok.from_pretrained(config, ckpt, clustering=clustering).eval()


def reconstruct(model: VARSTok, audio: np.ndarray) -> tuple[np.ndarray, int]:
    """Encode + decode one clip; returns (audio trimmed to the input length, token count)."""
    wav = torch.from_numpy(audio).unsqueeze(0)
    with torch.inference_mode():
        if isinstance(model, WavTokenizer):
            features, codes = model.encode_infer(wav, 0)
            out, tokens = model.decode(features, 0), int((codes >= 0).sum())
        else:
            features, _, spans = model.encode_infer(wav, 0)
            out, tokens = model.decode(features, spans, 0), int((spans > 0).sum())
    return out[0, : audio.shape[0]].numpy().astype(np.float32), tokens


def evaluate(folder: Path, manifest: Path, clustering: str) -> dict[str, Any]:
    """Per-metric mean over the manifest's clips, plus tokens/s and real-time factor."""
    torch.manual_seed(0)
    model = load_model(folder, clustering)
    metrics = {"mel_l1": MelL1(), "pesq_wb": PesqWideband(), "stoi": Stoi()}
    values: dict[str, list[float]] = {k: [] for k in metrics}
    missing: dict[str, list[str]] = {k: [] for k in metrics}
    tokens_total, seconds_total, compute_seconds = 0, 0.0, 0.0
    rows = read_manifest(manifest)
    for utt in rows:
        audio, _ = load_audio(utt.resolved_path(manifest.parent), SAMPLE_RATE)
        start = time.perf_counter()
        recon, tokens = reconstruct(model, audio)
        compute_seconds += time.perf_counter() - start
        tokens_total += tokens
        seconds_total += audio.shape[0] / SAMPLE_RATE
        item = MetricInput(utt_id=utt.id, hypothesis=recon, hypothesis_sr=SAMPLE_RATE,
                           reference=audio, reference_sr=SAMPLE_RATE)
        for name, metric in metrics.items():
            value = metric.compute([item])[0]
            if value.value is None:
                missing[name].append(f"{utt.id}: {value.reason}")
            else:
                values[name].append(value.value)
    return {
        "checkpoint": str(folder), "clustering": clustering, "clips": len(rows),
        "seconds": round(seconds_total, 2),
        **{name: (round(statistics.fmean(v), 4) if v else None) for name, v in values.items()},
        "missing": {k: v for k, v in missing.items() if v},
        "tokens_per_s": round(tokens_total / seconds_total, 2),
        "real_time_factor_cpu": round(compute_seconds / seconds_total, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--clustering", nargs="+", default=["none"],
                        choices=["none", "original", "fixed"])
    args = parser.parse_args(argv)
    results = [evaluate(args.folder, args.manifest, c) for c in args.clustering]
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
