"""Batch independence of the 75 Hz families through their harness adapters (real speech):
tokens, durations and decoded audio of each utterance are bit-identical alone, in a batch, in
another order, next to another utterance and in a wider batch padded with noise."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
import torch

from bench.batch_independence import check_batch_independence
from tokenizers_impl.varstok import adapter as varstok_adapter
from tokenizers_impl.wavtokenizer import adapter as wavtokenizer_adapter

CUTS = (9000 + 11, 26000, 15000 + 321)  # 0.4-1.1 s of three utterances, ragged lengths


@pytest.fixture(scope="module")
def speech(libritts_demo: Path) -> list[torch.Tensor]:
    files = sorted((libritts_demo / "gt").glob("*.wav"))[:3]
    return [torch.from_numpy(sf.read(f, dtype="float32")[0][:n])
            for f, n in zip(files, CUTS, strict=True)]


@pytest.mark.parametrize("variant", ["original", "fixed"])
def test_varstok_is_batch_independent(varstok_golden: Path, speech: list, variant: str) -> None:
    tok = varstok_adapter.build(checkpoint=str(varstok_golden), clustering=variant)
    report = check_batch_independence(tok, speech)
    assert report.max_audio_diff == 0.0 and "wider-noise-padded" in report.compositions


def test_wavtokenizer_is_batch_independent(varstok_golden: Path, speech: list) -> None:
    tok = wavtokenizer_adapter.build(checkpoint=str(varstok_golden))
    report = check_batch_independence(tok, speech)
    assert report.max_audio_diff == 0.0 and len(report.compositions) == 7
