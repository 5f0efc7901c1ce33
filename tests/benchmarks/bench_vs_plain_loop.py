"""tokbench against the script a user would write instead: a plain loop that, per file, calls
the tokenizer, then pesq / pystoi / faster-whisper (+ jiwer), on the same audio and model.

    python tests/benchmarks/bench_vs_plain_loop.py [--repeat 2] [--threads 2]

Audio: the 8 LibriTTS test-clean utterances of ../shared/data/libritts_demo/gt, ``--repeat``
times under new ids (so nothing is cached across copies). Tokenizer: the shipped VARSTok
(``family: varstok``). Metrics: PESQ-WB (16 kHz, torchaudio resampling), STOI (native rate), WER
of the reconstruction and of the reference (Whisper tiny.en through faster-whisper, beam 5,
English forced). The demo audio has no transcripts, so a fixed sentence stands in: the WER
values mean nothing, the work is the same. The plain loop runs first, in a process as a script
leaves it, then ``run_suite`` (which applies its allocator setting, ``bench.execution.allocator``,
and its own batching, metric worker and caches), each in a fresh interpreter, alternating for
``--rounds`` rounds (best of each kept: the machine may be shared). Printed: wall time of each
and their ratio, and the largest difference between the PESQ / STOI values of the two (the same
libraries on the same signals, so it should be ~0).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SHARED = (ROOT / ".." / "shared").resolve()
TEXT = "placeholder transcript for timing only"


def plain_loop(files: list[tuple[str, Path]]) -> tuple[float, dict[str, dict[str, float]]]:
    """The per-file script: load, tokenize, resample, pesq, stoi, whisper + jiwer."""
    import jiwer
    import pesq
    import pystoi
    import torchaudio
    from faster_whisper import WhisperModel

    from bench.weights import faster_whisper_spec, resolve
    from tokenizers_impl.varstok.adapter import PRETRAINED_DIR
    from tokenizers_impl.varstok.model import VARSTok

    start = time.perf_counter()
    model = VARSTok.from_folder(PRETRAINED_DIR / "varstok_tiny")  # what family `varstok` loads
    asr = WhisperModel(str(resolve(faster_whisper_spec("tiny.en")).path), device="cpu",
                       compute_type="float32")
    values: dict[str, dict[str, float]] = {}
    for utt_id, path in files:
        ref, sr = sf.read(path, dtype="float32")
        with torch.inference_mode():  # the official API: encode_infer, then decode
            features, _, spans = model.encode_infer(torch.from_numpy(ref)[None], 0)
            recon = model.decode(features, spans, 0)[0].numpy()
        n = min(len(ref), len(recon))
        ref_n, recon_n = ref[:n], recon[:n]
        ref16 = torchaudio.functional.resample(torch.from_numpy(ref_n), sr, 16000).numpy()
        deg16 = torchaudio.functional.resample(torch.from_numpy(recon_n), sr, 16000).numpy()
        row = {"pesq_wb": float(pesq.pesq(16000, ref16, deg16, "wb")),
               "stoi": float(pystoi.stoi(ref_n, recon_n, sr, extended=False))}
        for side, clip in (("wer", deg16), ("wer_reference", ref16)):
            segments, _ = asr.transcribe(clip, language="en", beam_size=5, temperature=0.0)
            row[side] = float(jiwer.wer(TEXT, " ".join(s.text for s in segments).strip() or "-"))
        values[utt_id] = row
    return time.perf_counter() - start, values


def harness(files: list[tuple[str, Path]], work: Path) -> tuple[float, dict[str, dict[str, float]]]:
    from bench.data.manifest import Utterance, write_manifest
    from bench.paths import register_dataset_root
    from bench.runner import run_suite
    from bench.suite import parse_suite

    for folder in {p.parent for _, p in files}:  # the manifest points into ../shared
        register_dataset_root(folder)
    write_manifest(work / "m.jsonl", [Utterance(id=u, path=str(p), text=TEXT, language="en")
                                      for u, p in files])
    suite = parse_suite({
        "name": "vs-plain-loop",
        "datasets": [{"name": "libritts", "manifest": str(work / "m.jsonl")}],
        "variants": [{"name": "varstok", "family": "varstok"}],
        "metrics": ["pesq_wb", "stoi", "wer"],
        "batch": {"workers": 1, "device": "cpu", "save_audio_mb": 0},
        "store": str(work / "store.sqlite"), "cache_dir": str(work / "cache"),
    })
    start = time.perf_counter()
    summary = run_suite(suite, progress=False, log=lambda _: None)
    wall = time.perf_counter() - start
    if summary.utterances_failed:
        raise SystemExit(f"{summary.utterances_failed} utterance(s) failed in the harness")
    con = sqlite3.connect(work / "store.sqlite")
    values: dict[str, dict[str, float]] = {}
    for utt, metric, value in con.execute(
            "SELECT utterance, metric, value FROM results WHERE variant='varstok'"):
        values.setdefault(utt, {})[metric] = value
    return wall, values


def one_side(side: str, repeat: int, threads: int) -> dict:
    """Run one side in this (fresh) process; returns wall time, audio seconds and values."""
    torch.set_num_threads(threads)
    wavs = sorted((SHARED / "data" / "libritts_demo" / "gt").glob("*.wav"))
    if not wavs:
        raise SystemExit(f"no LibriTTS demo audio under {SHARED}")
    files = [(f"{p.stem}-{r}", p) for r in range(repeat) for p in wavs]
    seconds = sum(sf.info(p).duration for _, p in files)
    if side == "plain":
        wall, values = plain_loop(files)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            wall, values = harness(files, Path(tmp))
    return {"wall": wall, "seconds": seconds, "n": len(files), "values": values}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="copies of the 8 utterances")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs; best counts")
    parser.add_argument("--side", choices=("plain", "tokbench"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:  # a child: one side, JSON on the last line
        print(json.dumps(one_side(args.side, args.repeat, args.threads)))
        return
    best: dict[str, dict] = {}
    for _ in range(args.rounds):
        for side in ("plain", "tokbench"):  # each in a fresh interpreter, as a user runs it
            done = subprocess.run(
                [sys.executable, __file__, "--side", side, "--repeat", str(args.repeat),
                 "--threads", str(args.threads)], capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{side} side failed:\n{done.stderr[-2000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"  {side:9s} {result['wall']:7.1f} s")
            if side not in best or result["wall"] < best[side]["wall"]:
                best[side] = result
    plain, ours = best["plain"], best["tokbench"]
    seconds = plain["seconds"]
    worst = {m: max(abs(plain["values"][u][m] - ours["values"][u][m]) for u in plain["values"])
             for m in ("pesq_wb", "stoi")}
    print(f"{plain['n']} utterances, {seconds:.1f} s of audio, {args.threads} torch threads; "
          f"metrics pesq_wb, stoi, wer (reconstruction and reference); best of {args.rounds}")
    print(f"  plain loop  {plain['wall']:7.1f} s   {seconds / plain['wall']:6.2f} audio s/s")
    print(f"  tokbench    {ours['wall']:7.1f} s   {seconds / ours['wall']:6.2f} audio s/s")
    print(f"  tokbench vs plain loop: {plain['wall'] / ours['wall']:.2f}x; largest value "
          "difference " + ", ".join(f"{m} {v:.2e}" for m, v in worst.items()))
    if not np.isfinite(list(worst.values())).all():
        raise SystemExit("a metric is missing on one side")


if __name__ == "__main__":
    main()
