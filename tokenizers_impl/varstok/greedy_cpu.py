"""The greedy seed-growth pass of the clustering as one compiled sequential loop, for CPU.

On CPU the per-round tensor ops of ``clustering.greedy_spans`` cost more than the work itself;
this walks the frames once in priority order (numba-compiled, cached on disk), which is the
official algorithm's order and gives identical spans. ``greedy_from_band`` also derives the band
flags (``clustering.band_ok``) on the fly from the band similarities that ``density_kernels``
reads, and orders the seeds by a stable sort (as ``torch.sort(stable=True)``). (Pooling stays
``clustering.pool_spans``: compiled variants were measured slower than its ``index_add_``.)
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import torch


@cache
def _kernels() -> tuple[Any, Any]:
    """Compile (or load from numba's on-disk cache) the sequential loops."""
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

    @numba.njit(cache=True, nogil=True)
    def greedy_band(s: np.ndarray, band: np.ndarray, lengths: np.ndarray, beta: np.float32,
                    threshold: np.float32) -> np.ndarray:
        """s [B, T] seed scores, band [B, T, 2 reach] (``density_kernels`` layout) -> starts."""
        batch, frames = s.shape
        reach = band.shape[2] // 2
        taken = np.zeros(frames, np.bool_)
        starts = np.zeros((batch, frames), np.bool_)
        for b in range(batch):
            n = lengths[b]
            order = np.argsort(-s[b, :n], kind="mergesort")  # stable: ties keep time order
            taken[:] = False
            for seed in order:
                if taken[seed]:
                    continue
                right = 0  # as clustering.band_ok: sim - beta * s > threshold, frame valid
                while (right < reach and seed + right + 1 < n and not taken[seed + right + 1]
                       and band[b, seed, right] - beta * s[b, seed + right + 1] > threshold):
                    right += 1
                left = 0
                while (left < reach - right and seed - left - 1 >= 0
                       and not taken[seed - left - 1]
                       and band[b, seed, reach + left] - beta * s[b, seed - left - 1]
                       > threshold):
                    left += 1
                taken[seed - left:seed + right + 1] = True
                starts[b, seed - left] = True
        return starts

    return greedy, greedy_band


def greedy_spans_compiled(
    s: torch.Tensor, ok_fwd: torch.Tensor, ok_bwd: torch.Tensor, valid: torch.Tensor,
    max_span: int,
) -> torch.Tensor:
    """Cluster-start flags [B, T]; same inputs and result as ``clustering.greedy_spans``."""
    order = torch.sort(s, dim=1, descending=True, stable=True).indices
    starts = _kernels()[0](order.numpy(), ok_fwd.numpy(), ok_bwd.numpy(), valid.numpy(),
                           max_span - 1)
    return torch.from_numpy(starts)


def greedy_from_band(s: np.ndarray, band: np.ndarray, lengths: np.ndarray, beta: float,
                     threshold: float) -> torch.Tensor:
    """Start flags [B, T] from seed scores and band similarities (``density_kernels`` layout):
    ``greedy_starts(s, *band_ok(sim, s, ...))`` in one compiled call. ``beta`` and
    ``threshold`` act in float32, as torch applies Python scalars to float32 tensors."""
    starts = _kernels()[1](s, band, lengths, np.float32(beta), np.float32(threshold))
    return torch.from_numpy(starts)
