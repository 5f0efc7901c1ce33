"""Peak memory of VARSTok encode + decode on long files (in chunks: varstok/chunking.py).

    python tests/benchmarks/bench_long_audio.py [--minutes 1 5 10] [--threads 1]
        [--chunk-seconds 30] [--unchunked-minutes 1]

VARSTok through the harness adapter: by default the golden model (../shared/golden/varstok:
official encoder and 4096 x 512 quantizer, 64-dim backbone); ``--full-size`` builds the official
config (768-dim, 12-layer backbone) with seeded random weights instead.
Each length runs in its own child process (with the runner's allocator setting unless
``--allocator default``), so its peak RSS (``ru_maxrss``) is
that length's alone; the audio is LibriTTS demo speech looped to the length. Prints, per length:
peak RSS, RSS after loading the model, wall time, tokens, and the T x T sizes one pass would
need (similarity in the clustering, attention in the decoder) for comparison.
``--unchunked-minutes`` also runs those lengths with chunking off (memory quadratic in length:
keep them short).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import soundfile as sf
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.contract import TokenizerInfo  # noqa: E402
from bench.execution.allocator import retain_freed_memory  # noqa: E402
from tokenizers_impl.varstok import adapter  # noqa: E402
from tokenizers_impl.varstok.model import VARSTok  # noqa: E402

SHARED = (ROOT / ".." / "shared").resolve()
SAMPLE_RATE = 24000


def rss_mib() -> float:
    """Current resident set size of this process (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def long_speech(minutes: float) -> torch.Tensor:
    files = sorted((SHARED / "data" / "libritts_demo" / "gt").glob("*.wav"))
    if not files:
        raise SystemExit(f"no LibriTTS demo audio under {SHARED}")
    audio = torch.cat([torch.from_numpy(sf.read(f, dtype="float32")[0]) for f in files])
    need = int(minutes * 60 * SAMPLE_RATE) + 123
    return audio.repeat(-(-need // audio.numel()))[:need]


def full_size_tokenizer(chunk_seconds: float | None) -> adapter.VarstokTokenizer:
    """The official config with seeded random weights (codebook random and marked initialised)."""
    torch.manual_seed(0)
    model = VARSTok.from_hparams(SHARED / "golden" / "varstok" / "official_config.yaml",
                                 clustering="fixed").eval()
    book = model.feature_extractor.encodec.quantizer.codebook
    book.embed.normal_()
    book.inited.fill_(1)
    adapter.set_chunking(model, chunk_seconds, adapter.DEFAULT_CONTEXT_SECONDS)
    info = TokenizerInfo(family="varstok", checkpoint=None, trained=False)
    return adapter.VarstokTokenizer(model, "varstok-full-random", info)


def child(minutes: float, chunk_seconds: float | None, threads: int, full: bool,
          allocator: str) -> dict:
    """Encode + decode one file of ``minutes`` in this process; report memory and time."""
    torch.set_num_threads(threads)
    if allocator == "runner":  # what `tokbench run` applies to its process
        retain_freed_memory()
    golden = SHARED / "golden" / "varstok"
    tok = (full_size_tokenizer(chunk_seconds) if full else
           adapter.build(checkpoint=str(golden), clustering="fixed", chunk_seconds=chunk_seconds))
    wav = long_speech(minutes)
    loaded = rss_mib()
    start = time.perf_counter()
    batch = tok.encode(wav[None], torch.tensor([wav.numel()]))
    audio, lengths = tok.decode(batch)
    wall = time.perf_counter() - start
    frames = -(-wav.numel() // 320)
    return {"minutes": minutes, "chunk_seconds": chunk_seconds, "threads": threads,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_after_load_mib": loaded, "wall_s": wall, "frames": frames,
            "tokens": int(batch.lengths[0]), "samples_out": int(lengths[0]),
            "one_pass_txt_mib": frames * frames * 4 / 2**20,
            "finite": bool(torch.isfinite(audio).all())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 5, 10])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--chunk-seconds", type=float, default=adapter.DEFAULT_CHUNK_SECONDS)
    parser.add_argument("--unchunked-minutes", type=float, nargs="*", default=[])
    parser.add_argument("--full-size", action="store_true",
                        help="official 768-dim backbone, random weights (default: golden model)")
    parser.add_argument("--allocator", choices=("runner", "default"), default="runner",
                        help="runner: glibc keeps freed pages, as in `tokbench run`")
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--no-chunks", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, None if args.no_chunks else args.chunk_seconds,
                               args.threads, args.full_size, args.allocator)))
        return
    runs = [(m, False) for m in args.minutes] + [(m, True) for m in args.unchunked_minutes]
    model = "full-size (random weights)" if args.full_size else "golden (64-dim backbone)"
    print(f"VARSTok {model}, fixed clustering, {args.threads} thread(s), chunks of "
          f"{args.chunk_seconds} s, allocator {args.allocator}")
    print(f"{'minutes':>7} {'chunked':>7} {'peak RSS MiB':>12} {'after load':>10} "
          f"{'wall s':>8} {'tokens':>7} {'1-pass TxT MiB':>14}")
    for minutes, unchunked in runs:
        cmd = [sys.executable, __file__, "--child", str(minutes), "--threads", str(args.threads),
               "--chunk-seconds", str(args.chunk_seconds), "--allocator", args.allocator]
        cmd += ["--no-chunks"] if unchunked else []
        cmd += ["--full-size"] if args.full_size else []
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{minutes:>7} {'no' if unchunked else 'yes':>7} failed: "
                  f"{out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        assert r["finite"] and r["samples_out"] == r["frames"] * 320
        print(f"{minutes:>7} {'no' if unchunked else 'yes':>7} {r['peak_rss_mib']:>12.0f} "
              f"{r['rss_after_load_mib']:>10.0f} {r['wall_s']:>8.1f} {r['tokens']:>7} "
              f"{r['one_pass_txt_mib']:>14.0f}", flush=True)


if __name__ == "__main__":
    main()
