"""The committed tiny checkpoints: size budget, layout, trained, and they load and run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_training_setup import sine_clip

from tokenizers_impl.varstok import VARSTok
from tokenizers_impl.wavtokenizer.model import WavTokenizer

PRETRAINED = Path(__file__).resolve().parents[2] / "tokenizers_impl" / "varstok" / "pretrained"
NAMES = ("varstok_tiny", "wavtokenizer_tiny")


def test_shipped_files_fit_the_budget_and_hold_only_tokenizer_weights() -> None:
    total = sum((PRETRAINED / n / "model.ckpt").stat().st_size for n in NAMES)
    assert total <= 25 * 1024 * 1024
    for name in NAMES:
        payload = torch.load(PRETRAINED / name / "model.ckpt", weights_only=True)
        state = payload["state_dict"]
        assert payload["global_step"] > 0  # trained, not random
        assert all(k.startswith(("feature_extractor.", "backbone.", "head.")) for k in state)
        assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
        assert all(torch.isfinite(v.float()).all() for v in state.values())


@pytest.mark.parametrize("clustering", ["original", "fixed"])
def test_tiny_varstok_runs_at_a_variable_rate(clustering: str) -> None:
    model = VARSTok.from_pretrained(PRETRAINED / "varstok_tiny" / "config.yaml",
                                    PRETRAINED / "varstok_tiny" / "model.ckpt",
                                    clustering=clustering)
    wav = torch.from_numpy(sine_clip(200.0, 1.0, 0))[None]
    features, ids, spans = model.encode_infer(wav, 0)
    assert int(spans.sum()) == 75 and 75 / 4 <= int((spans > 0).sum()) < 75
    assert int(ids.max()) < 4 * 4096
    audio = model.decode(features, spans, 0)
    assert audio.shape == (1, 24000) and torch.isfinite(audio).all()


def test_tiny_wavtokenizer_runs_at_75_hz() -> None:
    model = WavTokenizer.from_pretrained(PRETRAINED / "wavtokenizer_tiny" / "config.yaml",
                                         PRETRAINED / "wavtokenizer_tiny" / "model.ckpt")
    wav = torch.from_numpy(sine_clip(200.0, 1.0, 0))[None]
    features, codes = model.encode_infer(wav, 0)
    assert codes.shape == (1, 1, 75) and int(codes.min()) >= 0
    audio = model.decode(features, 0)
    assert audio.shape == (1, 24000) and torch.isfinite(audio).all()
