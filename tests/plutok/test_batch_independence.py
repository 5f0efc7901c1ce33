"""Plutok through its adapter is batch independent: BPE tokens, the speaker embedding side info
and decoded audio of each utterance are bit-identical alone and in any batch, also with the
official encode/decode noise on (each call draws it from the seeded generator per item)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from bench.batch_independence import check_batch_independence
from tokenizers_impl.plutok.adapter import build

CASES = ("bursts_1p1s", "chirp_2s", "short_0p05s")


def test_plutok_is_batch_independent_with_noise(plutok_golden: Path) -> None:
    tok = build(ov_ckpt=plutok_golden, vqvae_ckpt=plutok_golden / "vqvae" / "model.pth",
                tokenizer_file=plutok_golden / "tokenizer" / "tokenizer.json", seed=7)
    wavs = [torch.from_numpy(np.load(plutok_golden / f"{c}.input.npy")) for c in CASES]
    report = check_batch_independence(tok, wavs)
    assert report.max_audio_diff == 0.0
