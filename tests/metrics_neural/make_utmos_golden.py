"""Regenerate ``utmos_golden.npz`` with tarepan/SpeechMOS's own UTMOS22 strong model.

    git clone https://github.com/tarepan/SpeechMOS /path/to/SpeechMOS  # outside tokbench
    python tests/metrics_neural/make_utmos_golden.py /path/to/SpeechMOS

It builds SpeechMOS's ``UTMOS22Strong`` (nothing of it is copied into tokbench), loads the seeded
random weights of ``utmos_seeded.py``, and scores deterministic test waveforms at 24, 16 and
22.05 kHz one clip at a time with ``model(wave, sr)``: SpeechMOS resamples to 16 kHz with
torchaudio and maps the frame mean with ``* 2 + 3``. Inputs, scores, the SpeechMOS commit and the
seed are written to the fixture; ``test_utmos_parity.py`` compares tokbench's model against it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from utmos_seeded import SEED, seeded_speechmos_state

OUT = Path(__file__).with_name("utmos_golden.npz")
CLIPS = ((24000, 1.30), (16000, 1.00), (22050, 0.70), (24000, 2.05))


def golden_inputs() -> list[tuple[np.ndarray, int]]:
    """Speech-like test signals: a gliding harmonic tone in noise, fixed seed."""
    rng = np.random.default_rng(11)
    out = []
    for sr, seconds in CLIPS:
        t = np.arange(round(sr * seconds)) / sr
        f0 = 110 + 60 * t / seconds
        tone = sum(np.sin(2 * np.pi * k * np.cumsum(f0) / sr) / k for k in range(1, 6))
        wave = 0.2 * tone * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)) + 0.02 * rng.standard_normal(
            t.size)
        out.append((wave.astype(np.float32), sr))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("speechmos", type=Path, help="checkout of github.com/tarepan/SpeechMOS")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    sys.path.insert(0, str(args.speechmos.resolve()))
    from speechmos.utmos22.strong.model import UTMOS22Strong

    commit = subprocess.run(["git", "-C", str(args.speechmos), "rev-parse", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    model = UTMOS22Strong()
    model.load_state_dict(seeded_speechmos_state(SEED), strict=True)
    model.eval()
    torch.set_num_threads(1)
    fixture: dict[str, np.ndarray] = {}
    scores = []
    with torch.no_grad():
        for index, (wave, sr) in enumerate(golden_inputs()):
            score = model(torch.from_numpy(wave)[None], sr)
            scores.append(float(score[0]))
            fixture[f"wave_{index}"] = wave
            fixture[f"sr_{index}"] = np.array(sr)
    fixture["scores"] = np.array(scores, dtype=np.float64)
    fixture["seed"] = np.array(SEED)
    fixture["speechmos_commit"] = np.array(commit)
    fixture["torch_version"] = np.array(torch.__version__)
    np.savez_compressed(args.out, **fixture)
    print(f"SpeechMOS {commit}, seed {SEED}: scores {scores} -> {args.out}")


if __name__ == "__main__":
    main()
