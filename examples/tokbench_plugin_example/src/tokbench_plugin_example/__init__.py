"""An example third-party tokbench tokenizer: two-stage residual μ-law PCM.

Each sample is μ-law companded to y in [-1, 1] and quantised in two residual stages of
``levels`` uniform steps: stage 0 codes y, stage 1 codes what stage 0 left. Two codebooks at the
sample rate, so the harness's multi-codebook rates (Σ over codebooks) are exact and easy to check.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from bench.contract import Codebook, TokenBatch, TokenizerInfo

MU = 255.0


class MuLawResidual:
    """``encode`` [B, T] float audio -> tokens [B, 2, T]; ``decode`` the reverse."""

    def __init__(self, sample_rate: int = 8000, levels: int = 16, name: str | None = None
                 ) -> None:
        if levels < 2:
            raise ValueError(f"levels must be >= 2, got {levels}")
        self.name = name or f"mulaw-rvq-{sample_rate // 1000}k"
        self.sample_rate = int(sample_rate)
        self.levels = int(levels)
        self.vocab_size = self.levels
        self.frame_rate = float(sample_rate)
        self.codebooks = (Codebook("coarse", self.levels, self.frame_rate),
                          Codebook("fine", self.levels, self.frame_rate))
        self.info = TokenizerInfo(family="mulaw_rvq", checkpoint=None, trained=True,
                                  notes="example plugin: no weights (a fixed quantiser)")

    def _step(self, stage: int) -> float:
        return 2.0 / self.levels ** (stage + 1)

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        x = waveforms.float().clamp(-1, 1)
        y = torch.sign(x) * torch.log1p(MU * x.abs()) / math.log1p(MU)
        coarse = ((y + 1) / self._step(0)).floor().clamp(0, self.levels - 1)
        residual = y + 1 - coarse * self._step(0)
        fine = (residual / self._step(1)).floor().clamp(0, self.levels - 1)
        items = [[coarse[i, : int(n)].long(), fine[i, : int(n)].long()]
                 for i, n in enumerate(lengths)]
        return TokenBatch.from_streams(items, self.codebooks)

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        coarse, fine = batch.tokens[:, 0].clamp(min=0), batch.tokens[:, 1].clamp(min=0)
        y = coarse * self._step(0) + (fine + 0.5) * self._step(1) - 1
        x = torch.sign(y) * (torch.pow(1 + MU, y.abs()) - 1) / MU
        return x.float(), batch.lengths.clone()

    def to(self, device: torch.device | str) -> MuLawResidual:
        return self


def build(sample_rate: int = 8000, levels: int = 16, name: str | None = None,
          **unknown: Any) -> MuLawResidual:
    """The entry point: ``load_tokenizer("mulaw_rvq", **settings)`` calls this."""
    if unknown:
        raise TypeError(f"unknown mulaw_rvq settings: {sorted(unknown)}")
    return MuLawResidual(sample_rate, levels, name)
