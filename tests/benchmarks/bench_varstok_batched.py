"""Batched vs one-at-a-time VARSTok encode+decode on CPU (same weights, same utterances).

    python tests/benchmarks/bench_varstok_batched.py [--threads 2] [--count 16]

Uses ../shared/golden/varstok/{config.yaml,model.ckpt} and 16 utterances of 3-12 s cut from the
LibriTTS demo (../shared/data/libritts_demo/gt, looped where a file is shorter). Checks that the
batched tokens equal the one-at-a-time tokens and that the audio agrees, then prints timings.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import soundfile as sf
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tokenizers_impl.varstok.model import VARSTok  # noqa: E402

SHARED = (ROOT / ".." / "shared").resolve()


def utterances(count: int, sample_rate: int = 24000) -> list[torch.Tensor]:
    files = sorted((SHARED / "data" / "libritts_demo" / "gt").glob("*.wav"))
    if not files:
        raise SystemExit(f"no LibriTTS demo audio under {SHARED}")
    seconds = torch.linspace(3.0, 12.0, count)
    out = []
    for i, sec in enumerate(seconds.tolist()):
        audio = torch.from_numpy(sf.read(files[i % len(files)], dtype="float32")[0])
        need = int(sec * sample_rate) + 37 * i  # lengths not multiples of the hop
        reps = -(-need // audio.numel())
        out.append(audio.repeat(reps)[:need])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--variant", default="original")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    golden = SHARED / "golden" / "varstok"
    model = VARSTok.from_pretrained(golden / "config.yaml", golden / "model.ckpt",
                                    clustering=args.variant)
    items = utterances(args.count)
    lengths = torch.tensor([w.numel() for w in items])
    batch = torch.zeros(len(items), int(lengths.max()))
    for i, w in enumerate(items):
        batch[i, : w.numel()] = w

    def one_at_a_time() -> list:
        results = []
        for w in items:
            features, ids, spans = model.encode_infer(w[None], 0)
            results.append((ids, model.decode(features, spans, 0)))
        return results

    def batched() -> tuple:
        features, ids, spans = model.encode_infer(batch, 0, lengths=lengths)
        return ids, model.decode_with_lengths(features, spans, 0)

    single_times, batch_times = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        singles = one_at_a_time()
        single_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        ids, (audio, audio_lengths) = batched()
        batch_times.append(time.perf_counter() - start)
    worst = 0.0
    for i, (ids1, audio1) in enumerate(singles):
        n = ids1.shape[-1]
        if not torch.equal(ids[0, i, :n], ids1[0, 0]) or bool((ids[0, i, n:] != -1).any()):
            raise SystemExit(f"item {i}: batched tokens differ from one-at-a-time")
        if int(audio_lengths[i]) != audio1.shape[-1]:
            raise SystemExit(f"item {i}: batched audio length differs")
        diff = (audio[i, : audio1.shape[-1]] - audio1[0]).abs().max() / audio1.abs().max()
        worst = max(worst, float(diff))
    seconds = float(lengths.sum()) / 24000
    t_single, t_batch = min(single_times), min(batch_times)
    print(f"{len(items)} utterances, {seconds:.1f} s of audio, {args.threads} threads, "
          f"variant {args.variant}")
    print(f"one at a time: {t_single:.2f} s   batched: {t_batch:.2f} s   "
          f"speedup {t_single / t_batch:.2f}x   tokens identical, max audio diff "
          f"{worst:.2e} of peak")


if __name__ == "__main__":
    main()
