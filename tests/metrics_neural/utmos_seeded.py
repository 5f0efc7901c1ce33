"""Seeded random weights for the UTMOS22 strong learner in tarepan/SpeechMOS's key layout.

Used by both sides of the UTMOS parity check: ``make_utmos_golden.py`` (which runs SpeechMOS's own
model) and ``test_utmos_parity.py`` (which runs ours). The full model is ~95 M parameters, too big
to commit, so the weights are regenerated from a seed: every tensor, in sorted key order, is drawn
from its own ``torch.Generator`` seeded with ``seed + index`` (CPU ``torch.randn`` is deterministic
across machines), scaled so that activations stay in a sane range through 12 layers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

KEYS_FIXTURE = Path(__file__).with_name("utmos_keys.json")
SEED = 20260101


def speechmos_shapes() -> dict[str, list[int]]:
    """SpeechMOS ``utmos22_strong`` state-dict keys and shapes (from the committed fixture)."""
    return json.loads(KEYS_FIXTURE.read_text())["speechmos"]


def seeded_speechmos_state(seed: int = SEED) -> dict[str, torch.Tensor]:
    """A full SpeechMOS-layout state dict of deterministic random float32 weights."""
    state: dict[str, torch.Tensor] = {}
    for index, (name, shape) in enumerate(sorted(speechmos_shapes().items())):
        gen = torch.Generator().manual_seed(seed + index)
        noise = torch.randn(shape, generator=gen, dtype=torch.float32)
        state[name] = _scale(name, shape, noise)
    return state


def _scale(name: str, shape: list[int], noise: torch.Tensor) -> torch.Tensor:
    if name.endswith("weight_g"):
        return 1.0 + 0.1 * noise.abs()
    if len(shape) == 1:
        is_norm_gain = name.endswith(".weight") and ("norm" in name or ".2." in name)
        return 1.0 + 0.1 * noise if is_norm_gain else 0.05 * noise
    if name in ("domain_emb", "judge_emb"):
        return noise
    fan_in = math.prod(shape[1:])
    return noise / math.sqrt(fan_in)
