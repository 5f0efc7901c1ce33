"""Batched vs one-at-a-time VARSTok encode+decode on CPU, and the official per-utterance loop.

    python tests/benchmarks/bench_varstok_batched.py [--threads 2] [--count 16]
        [--official-repo PATH | env OFFICIAL_VARSTOK_REPO] [--golden]

Model: the official config (full size: 768-dim, 12-layer backbone) with seeded random weights
(``--golden``: the small golden checkpoint). Utterances: ``--count`` cuts of 3-15 s from the
LibriTTS demo (../shared/data/libritts_demo/gt, looped where a file is shorter). Timed, each on
the same inputs and weights:
  before      one padded batch (``exact_batches = False``: padding to the longest item)
  after       the batched call as shipped (each item alone at its own length, bit-exact)
  loop        a loop of single-utterance calls of this implementation
  official    the official ``decoder.pretrained.VARSTok`` called per utterance (the code a
              user would otherwise write), when a checkout is given; never copied here. Timed
              first, with glibc's allocator as a plain script has it
  official+alloc  the same loop again after ``retain_freed_memory`` (what the runner applies
              to its process before ``before``/``after``/``loop`` are timed): attribution
Tokens of ``after`` must equal ``loop`` (and the official tokens) exactly; audio too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import soundfile as sf
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.execution.allocator import retain_freed_memory  # noqa: E402
from tokenizers_impl.varstok.model import VARSTok  # noqa: E402

SHARED = (ROOT / ".." / "shared").resolve()
GOLDEN = SHARED / "golden" / "varstok"


def utterances(count: int, sample_rate: int = 24000) -> list[torch.Tensor]:
    files = sorted((SHARED / "data" / "libritts_demo" / "gt").glob("*.wav"))
    if not files:
        raise SystemExit(f"no LibriTTS demo audio under {SHARED}")
    seconds = torch.linspace(3.0, 15.0, count)
    out = []
    for i, sec in enumerate(seconds.tolist()):
        audio = torch.from_numpy(sf.read(files[i % len(files)], dtype="float32")[0])
        need = int(sec * sample_rate) + 37 * i  # lengths not multiples of the hop
        out.append(audio.repeat(-(-need // audio.numel()))[:need].clone())
    return out


def build_model(golden: bool, variant: str) -> VARSTok:
    if golden:
        return VARSTok.from_pretrained(GOLDEN / "config.yaml", GOLDEN / "model.ckpt",
                                       clustering=variant)
    torch.manual_seed(0)
    model = VARSTok.from_hparams(GOLDEN / "official_config.yaml", clustering=variant).eval()
    book = model.feature_extractor.encodec.quantizer.codebook
    book.embed.normal_()  # a zero codebook would make every code a tie
    book.embed_avg.copy_(book.embed)
    book.inited.fill_(1)
    return model


def official_model(repo: Path, ours: VARSTok, golden: bool) -> torch.nn.Module:
    """The official inference class from a checkout, holding exactly our weights."""
    root = repo / "VARSTok" if (repo / "VARSTok").is_dir() else repo
    sys.path.insert(0, str(root))
    from decoder.pretrained import VARSTok as OfficialVARSTok  # type: ignore[import-not-found]

    config = GOLDEN / ("config.yaml" if golden else "official_config.yaml")
    model = OfficialVARSTok.from_hparams(str(config))
    model.load_state_dict(ours.state_dict(), strict=True)
    return model.eval()


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--variant", default="original", help="official code: original only")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--golden", action="store_true", help="small golden model")
    parser.add_argument("--default-allocator", action="store_true",
                        help="leave glibc's allocator as it is for ours too (attribution)")
    parser.add_argument("--official-repo", type=Path,
                        default=os.environ.get("OFFICIAL_VARSTOK_REPO") or None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = build_model(args.golden, args.variant)
    fe = model.feature_extractor
    items = utterances(args.count)
    lengths = torch.tensor([w.numel() for w in items])
    batch = torch.zeros(len(items), int(lengths.max()))
    for i, w in enumerate(items):
        batch[i, : w.numel()] = w
    bw = torch.tensor([0])

    def loop() -> list:
        out = []
        for w in items:
            features, ids, spans = model.encode_infer(w[None], 0)
            out.append((ids[0, 0], model.decode(features, spans, 0)[0]))
        return out

    def batched() -> list:
        features, ids, spans = model.encode_infer(batch, 0, lengths=lengths)
        audio, samples = model.decode_with_lengths(features, spans, 0)
        counts = (spans > 0).sum(dim=1).tolist()
        return [(ids[0, i, :c], audio[i, : int(samples[i])]) for i, c in enumerate(counts)]

    model.decode(*model.encode_infer(items[0][None, :24000], 0)[::2], 0)  # warm-up (numba etc.)
    timings: dict[str, float] = {}
    official_loop = None
    if args.official_repo is not None:
        official = official_model(args.official_repo, model, args.golden)

        def official_loop() -> list:
            out = []
            for w in items:
                features, ids, spans = official.encode_infer(w[None], bandwidth_id=bw)
                out.append((ids[0, 0], official.decode(features, spans, bandwidth_id=bw)[0]))
            return out

        # first, in a process as a user's script leaves it (default allocator)
        timings["official"], official_out = timed(official_loop, args.repeats)
    allocator = "default" if args.default_allocator else retain_freed_memory()  # as the runner
    fe.exact_batches = False
    timings["before"], padded = timed(batched, args.repeats)
    fe.exact_batches = True
    timings["after"], after = timed(batched, args.repeats)
    timings["loop"], singles = timed(loop, args.repeats)
    for i, ((ids_a, audio_a), (ids_s, audio_s)) in enumerate(zip(after, singles, strict=True)):
        if not torch.equal(ids_a, ids_s) or not torch.equal(audio_a, audio_s):
            raise SystemExit(f"item {i}: batched output differs from one at a time")
    padded_same = sum(torch.equal(p[0], s[0]) for p, s in zip(padded, singles, strict=True))
    if official_loop is not None:
        if not args.default_allocator:  # attribution: the official loop with our allocator
            timings["official+alloc"], _ = timed(official_loop, args.repeats)
        same = sum(torch.equal(o[0].long(), s[0])
                   for o, s in zip(official_out, singles, strict=True))
        worst = max(float((o[1] - s[1]).abs().max()) for o, s in zip(official_out, singles,
                                                                      strict=True))
        print(f"official tokens identical for {same}/{len(items)} utterances; "
              f"max audio diff {worst:.2e}")
    seconds = float(lengths.sum()) / 24000
    print(f"{len(items)} utterances, {seconds:.1f} s of audio, {args.threads} threads, "
          f"{'golden' if args.golden else 'full-size random'} model, variant {args.variant}; "
          f"allocator for ours: {allocator}")
    print(f"padded batch gave the one-at-a-time tokens for {padded_same}/{len(items)} items; "
          f"shipped batch: all tokens and audio bit-identical")
    for name, value in timings.items():
        print(f"  {name:14s} {value:8.2f} s   {seconds / value:6.2f} audio s/s")
    print(f"  after vs before {timings['before'] / timings['after']:.2f}x, "
          f"after vs loop {timings['loop'] / timings['after']:.2f}x"
          + (f", after vs official loop {timings['official'] / timings['after']:.2f}x"
             if "official" in timings else ""))


if __name__ == "__main__":
    main()
