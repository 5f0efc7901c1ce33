"""The greedy seed-growth pass of the clustering as one compiled sequential loop, for CPU.

On CPU the per-round tensor ops of ``clustering.greedy_spans`` cost more than the work itself;
this walks the frames once in priority order (numba-compiled, cached on disk), which is the
official algorithm's order and gives identical spans. One host copy per batch, none per frame.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import torch


@cache
def _kernel() -> Any:
    """Compile (or load from numba's on-disk cache) the sequential greedy loop."""
    import numba

    @numba.njit(cache=True, nogil=True)
    def greedy(order: np.ndarray, ok_fwd: np.ndarray, ok_bwd: np.ndarray, valid: np.ndarray,
               reach: int) -> np.ndarray:
        batch, frames = order.shape
        starts = np.zeros((batch, frames), np.bool_)
        taken = np.zeros(frames, np.bool_)
        for b in range(batch):
            taken[:] = False
            for j in range(frames):
                seed = order[b, j]
                if taken[seed] or not valid[b, seed]:
                    continue
                right = 0  # grow right while the next frame is free and similar enough
                while right < reach and ok_fwd[b, seed, right] and not taken[seed + right + 1]:
                    right += 1
                left = 0  # then left, within what is left of the span budget
                while (left < reach - right and ok_bwd[b, seed, left]
                       and not taken[seed - left - 1]):
                    left += 1
                for t in range(seed - left, seed + right + 1):
                    taken[t] = True
                starts[b, seed - left] = True
        return starts

    return greedy


def greedy_spans_compiled(
    s: torch.Tensor, ok_fwd: torch.Tensor, ok_bwd: torch.Tensor, valid: torch.Tensor,
    max_span: int,
) -> torch.Tensor:
    """Cluster-start flags [B, T]; same inputs and result as ``clustering.greedy_spans``."""
    order = torch.sort(s, dim=1, descending=True, stable=True).indices
    starts = _kernel()(order.numpy(), ok_fwd.numpy(), ok_bwd.numpy(), valid.numpy(),
                       max_span - 1)
    return torch.from_numpy(starts)
