"""CPU speed of Plutok encode/decode, as a real-time factor (seconds of compute per second of
audio), for the golden reduced model and for a real-size model with random weights (the real
converter widths from ``full_size_converter_state_dict.json`` and VQ-VAE h_dim 192, written to
a temporary folder and loaded through the normal loader).

    python tests/benchmarks/bench_plutok_speed.py --golden ../shared/golden/plutok \
        [--seconds 5] [--repeats 3] [--threads 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tokenizers_impl.plutok import Plutok
from tokenizers_impl.plutok.converter import ConverterConfig, ToneColorConverter
from tokenizers_impl.plutok.vqvae import VQVAE


def write_full_size(golden: Path, out: Path) -> Path:
    """Random real-size converter + VQ-VAE in the official layout, BPE from the golden set."""
    ref = json.loads((golden / "full_size_converter_state_dict.json").read_text())
    (out / "converter").mkdir(parents=True)
    (out / "converter" / "config.json").write_text(json.dumps(ref["config"]))
    torch.manual_seed(0)
    conv = ToneColorConverter(ConverterConfig.from_dict(ref["config"]))
    torch.save({"model": conv.state_dict()}, out / "converter" / "checkpoint.pth")
    torch.save(VQVAE(h_dim=192, num_codes=200).state_dict(), out / "model.pth")
    shutil.copy(golden / "tokenizer" / "tokenizer.json", out / "tokenizer.json")
    return out


def time_model(model: Plutok, seconds: float, repeats: int) -> dict[str, float]:
    wav = (0.1 * np.random.default_rng(0).standard_normal(int(seconds * 22050))).astype(
        np.float32)
    model.encode(wav)  # warm-up
    enc_t, dec_t = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        enc = model.encode(wav)
        t1 = time.perf_counter()
        model.decode(enc)
        dec_t.append(time.perf_counter() - t1)
        enc_t.append(t1 - t0)
    return {"encode_rtf": statistics.median(enc_t) / seconds,
            "decode_rtf": statistics.median(dec_t) / seconds}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--golden", type=Path, required=True)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    g = args.golden
    results = {"threads": args.threads, "seconds": args.seconds}
    golden = Plutok(g, g / "vqvae" / "model.pth", g / "tokenizer" / "tokenizer.json")
    results["golden_reduced"] = time_model(golden, args.seconds, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        root = write_full_size(g, Path(tmp))
        full = Plutok(root, root / "model.pth", root / "tokenizer.json")
        results["full_size_random"] = time_model(full, args.seconds, args.repeats)
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
