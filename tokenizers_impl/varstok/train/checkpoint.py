"""Checkpoint files in the official Lightning layout, and the small shipped export.

A training checkpoint is ``{"state_dict", "epoch", "global_step", "pytorch-lightning_version",
"hyper_parameters"}`` with ``feature_extractor.``/``backbone.``/``head.`` keys next to the
discriminator keys. The shipped export keeps only the tokenizer prefixes, in float16.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from bench.trust import safe_torch_load

TOKENIZER_PREFIXES = ("feature_extractor.", "backbone.", "head.")
DISCRIMINATOR_PREFIXES = ("multiperioddisc.", "multiresddisc.")


def lightning_payload(state_dict: dict[str, torch.Tensor], global_step: int, epoch: int,
                      hyper_parameters: dict[str, Any]) -> dict[str, Any]:
    """The dictionary Lightning writes, restricted to what loaders read."""
    return {
        "state_dict": state_dict,
        "epoch": epoch,
        "global_step": global_step,
        "pytorch-lightning_version": pl.__version__,
        "hyper_parameters": hyper_parameters,
    }


def tokenizer_state(state_dict: dict[str, torch.Tensor], dtype: torch.dtype | None
                    ) -> dict[str, torch.Tensor]:
    """Keep the tokenizer prefixes; floating tensors cast to ``dtype`` when given."""
    kept: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if not key.startswith(TOKENIZER_PREFIXES):
            continue
        value = value.detach().cpu()
        if dtype is not None and value.is_floating_point():
            value = value.to(dtype)
        kept[key] = value.clone()
    return kept


def export_shipped(checkpoint_path: Path, out_path: Path, dtype: torch.dtype = torch.float16
                   ) -> Path:
    """Write a tokenizer-only copy of a training checkpoint (no discriminators, no optimiser).

    Raises when a weight would overflow float16, rather than shipping infinities.
    """
    payload = safe_torch_load(checkpoint_path)
    state = tokenizer_state(payload["state_dict"], dtype)
    bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise ValueError(f"weights not representable in {dtype}: {bad[:5]}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(lightning_payload(state, int(payload.get("global_step", 0)),
                                 int(payload.get("epoch", 0)),
                                 dict(payload.get("hyper_parameters", {}))), out_path)
    return out_path


def load_state_dict(path: Path, prefixes: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """``state_dict`` entries of a Lightning checkpoint under ``prefixes``, as float32."""
    payload = safe_torch_load(path)
    state = payload.get("state_dict", payload)
    return {k: (v.float() if v.is_floating_point() else v) for k, v in state.items()
            if k.startswith(prefixes)}
