"""Loading the official Plutok artefacts unchanged, with strict key and shape checks.

Tensors only (``bench.trust.safe_torch_load``); fp16 checkpoints are cast to the model's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from bench.trust import safe_torch_load


class CheckpointMismatchError(RuntimeError):
    """A checkpoint whose keys or shapes do not match the module tree."""


@dataclass
class KeyReport:
    """Differences between a state_dict and a module's expected keys and shapes."""

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    shape_mismatch: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.shape_mismatch)

    def describe(self, what: str, limit: int = 12) -> str:
        parts = [f"{what} does not match the module tree:"]
        for name, items in (
            ("missing", self.missing),
            ("unexpected", self.unexpected),
            ("shape mismatch", self.shape_mismatch),
        ):
            if items:
                more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
                parts.append(f"  {name} ({len(items)}): {', '.join(items[:limit])}{more}")
        return "\n".join(parts)


def compare_keys(expected: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]]
                 ) -> KeyReport:
    """Key/shape comparison of two name → shape maps."""
    report = KeyReport(
        missing=sorted(set(expected) - set(found)),
        unexpected=sorted(set(found) - set(expected)),
    )
    for key in sorted(set(expected) & set(found)):
        if tuple(expected[key]) != tuple(found[key]):
            report.shape_mismatch.append(
                f"{key}: checkpoint {tuple(found[key])} vs model {tuple(expected[key])}"
            )
    return report


def module_shapes(module: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def read_state_dict(
    path: Path | str, key: str | None = None
) -> dict[str, torch.Tensor]:
    """Load a checkpoint's tensors (optionally the sub-dict ``key``) onto the CPU; pickled
    objects only with the user's ``--trust-remote-checkpoints`` (``bench.trust``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    raw = safe_torch_load(path)
    if key is not None:
        if not isinstance(raw, dict) or key not in raw:
            raise CheckpointMismatchError(f"{path}: expected a dict with key {key!r}")
        raw = raw[key]
    if not isinstance(raw, dict) or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise CheckpointMismatchError(f"{path}: not a state_dict of tensors")
    return raw


def load_strict(module: nn.Module, state: dict[str, torch.Tensor], what: str) -> None:
    """Check keys and shapes, then copy the tensors (cast to each parameter's dtype)."""
    report = compare_keys(module_shapes(module), {k: tuple(v.shape) for k, v in state.items()})
    if not report.ok:
        raise CheckpointMismatchError(report.describe(what))
    own = module.state_dict()
    cast = {k: v.to(dtype=own[k].dtype) for k, v in state.items()}
    module.load_state_dict(cast, strict=True)
