"""Density and delta of the clustering on CPU in two row-wise compiled passes over the similarity.

The vectorised torch version (``clustering.seed_scores``) builds several T x T temporaries
(``topk`` work space, the "denser than" boolean, ``where`` copies); on CPU they cost more than the
similarity GEMM itself. Here each row is read once per pass with nothing T x T allocated:
pass 1 keeps the ``k + 1`` largest similarities of each row (sorted, descending: the same values
``topk`` returns, so the torch ``mean`` over them is bit-identical); pass 2, once ``rho`` is
known, takes the max/min similarity to denser frames (order-free, hence exact) and the row's
widest similarity. Numba-compiled and cached on disk, like ``greedy_cpu``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import torch


@cache
def _kernels() -> tuple[Any, Any]:
    import numba

    @numba.njit(cache=True, nogil=True)
    def top_values(sim: np.ndarray, valid: np.ndarray, width: int) -> np.ndarray:
        batch, frames, _ = sim.shape
        out = np.full((batch, frames, width), -np.inf, np.float32)
        for b in range(batch):
            for i in range(frames):
                best = out[b, i]
                for j in range(frames):
                    if not valid[b, j]:
                        continue
                    v = sim[b, i, j]
                    if v > best[width - 1]:  # insert, keeping descending order
                        p = width - 1
                        while p > 0 and best[p - 1] < v:
                            best[p] = best[p - 1]
                            p -= 1
                        best[p] = v
        return out

    @numba.njit(cache=True, nogil=True)
    def extremes(sim: np.ndarray, valid: np.ndarray, rho: np.ndarray,
                 fixed: bool) -> tuple[np.ndarray, np.ndarray]:
        """(extreme similarity to a denser frame, +-inf if none; widest similarity of the row):
        fixed: (max over denser, min over all); original: (min over denser, max over all)."""
        batch, frames, _ = sim.shape
        denser = np.empty((batch, frames), np.float32)
        widest = np.empty((batch, frames), np.float32)
        for b in range(batch):
            for i in range(frames):
                d = -np.inf if fixed else np.inf
                w = np.inf if fixed else -np.inf
                r = rho[b, i]
                for j in range(frames):
                    if not valid[b, j]:
                        continue
                    v = sim[b, i, j]
                    if fixed:
                        if rho[b, j] > r and v > d:
                            d = v
                        if v < w:
                            w = v
                    else:
                        if rho[b, j] > r and v < d:
                            d = v
                        if v > w:
                            w = v
                denser[b, i] = d
                widest[b, i] = w
        return denser, widest

    return top_values, extremes


def top_similarities(sim: torch.Tensor, valid: torch.Tensor, width: int) -> torch.Tensor:
    """[B, T, width] largest similarities per row (valid columns), descending, like ``topk``."""
    top_values, _ = _kernels()
    return torch.from_numpy(top_values(sim.contiguous().numpy(), valid.numpy(), width))


def denser_extremes(sim: torch.Tensor, valid: torch.Tensor, rho: torch.Tensor,
                    fixed: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """See ``extremes`` above; [B, T] each."""
    _, extremes = _kernels()
    denser, widest = extremes(sim.contiguous().numpy(), valid.numpy(),
                              rho.contiguous().numpy(), fixed)
    return torch.from_numpy(denser), torch.from_numpy(widest)
