"""The greedy seed-growth pass and the span pooling of the clustering as compiled loops, for CPU.

On CPU the per-round tensor ops of ``clustering.greedy_spans`` cost more than the work itself;
this walks the frames once in priority order (numba-compiled, cached on disk), which is the
official algorithm's order and gives identical spans. ``greedy_from_band`` also derives the band
flags (``clustering.band_ok``) on the fly from the band similarities that ``density_kernels``
reads, and orders the seeds by a stable sort (as ``torch.sort(stable=True)``); ``pool_compiled``
mean-pools each span, summing its frames in time order from zero and dividing by the span length
in float32, as ``clustering.pool_spans`` does with ``index_add_`` (bit-identical results).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import torch


@cache
def _kernels() -> tuple[Any, Any, Any]:
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

    @numba.njit(cache=True, nogil=True)
    def pool(starts: np.ndarray, lengths: np.ndarray,
             x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """starts [B, T], x [B, D, T] -> pooled [B, D, N], spans [B, N] (0 = padding)."""
        batch, dim, _ = x.shape
        width = 0
        for b in range(batch):
            width = max(width, starts[b, :lengths[b]].sum())
        pooled = np.zeros((batch, dim, width), np.float32)
        spans = np.zeros((batch, width), np.int64)
        first = np.zeros(width + 1, np.int64)
        for b in range(batch):
            n = lengths[b]
            m = 0
            for t in range(n):
                if starts[b, t]:
                    first[m] = t
                    m += 1
            first[m] = n
            for c in range(m):
                spans[b, c] = first[c + 1] - first[c]
            for d in range(dim):
                for c in range(m):
                    acc = np.float32(0.0)
                    for t in range(first[c], first[c + 1]):
                        acc += x[b, d, t]
                    pooled[b, d, c] = acc / np.float32(spans[b, c])
        return pooled, spans

    return greedy, greedy_band, pool


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


def pool_compiled(starts: torch.Tensor, lengths: np.ndarray,
                  x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``clustering.pool_spans(x.transpose(1, 2), starts, valid)`` for x [B, D, T] float32 that
    needs no gradient; identical values."""
    pooled, spans = _kernels()[2](starts.numpy(), lengths, x.numpy())
    return torch.from_numpy(pooled), torch.from_numpy(spans)
