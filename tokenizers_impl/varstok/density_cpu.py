"""Density, delta and seed scores of the clustering on CPU from one sweep over the similarity.

The vectorised torch version (``clustering.seed_scores``) maps the GEMM output to ``(c + 1) / 2``
in place and builds several T x T temporaries (``topk`` work space, the "denser than" boolean,
``where`` copies); on CPU those passes cost several times the similarity GEMM itself. Here the
raw GEMM output is read once, row by row (``density_kernels.sweep_*``, split over the threads for
large inputs), the map applied on the fly with the same float32 add and halving; per row it gives

* the ``k + 1`` largest similarities, sorted descending: the values ``topk`` returns, so the torch
  ``mean`` over ``[1:]`` and ``exp`` below are the official expressions on identical inputs;
* the widest similarity (max: original, min: fixed), the band ``sim[i, i +/- d]`` for the greedy
  pass, and candidates for delta with a bound on what they may miss.

``density_kernels.scores`` then takes delta (the extreme similarity to a denser frame) from the
candidates where the bound makes that exact, sweeping the few other rows again with the density
mask, and forms ``s = rho * delta`` with the same float32 operations as the torch expressions
(``1 - x``, ``where(isinf)``, one product). min/max/compare are exact in any order, so every value
is bit-identical to the torch path. Nothing T x T is allocated besides the GEMM output.

Similarities with NaN (only NaN features produce them; they show on the diagonal) are left to the
torch path, whose NaN semantics (``topk`` ranks NaN first) the kernels do not reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from types import ModuleType

import numpy as np
import torch

PARALLEL_MIN = 1 << 18  # raw entries from which the sweep runs on all numba threads
_normalize_state: dict[str, bool] = {}  # "exact": the compiled normalize matched torch's
last_stats: dict[str, int] = {}  # rows of the last call that took the slower exact paths


@cache
def _kernels() -> ModuleType:
    """Import (compile, or load numba's on-disk cache of) the kernels on first use."""
    from tokenizers_impl.varstok import density_kernels

    return density_kernels


@cache
def _threadsafe_layer() -> bool:
    """Whether numba will run parallel kernels on a layer that callers in several Python threads
    may share (tbb, omp); its fallback ``workqueue`` aborts the process on concurrent use."""
    import numba

    if numba.config.THREADING_LAYER not in ("default", "safe", "threadsafe", "omp", "tbb"):
        return False
    for pool in ("tbbpool", "omppool"):
        try:
            __import__(f"numba.np.ufunc.{pool}")
            return True
        except (ImportError, OSError):  # library of the layer missing
            pass
    return False


def _threads(entries: int) -> int:
    """Threads for a pass over ``entries`` values: all of numba's above PARALLEL_MIN, else 1."""
    if entries < PARALLEL_MIN or not _threadsafe_layer():
        return 1
    import numba

    return numba.get_num_threads()


@dataclass
class RowSweep:
    """What one sweep over the similarity rows leaves (numpy arrays; see ``sweep``)."""

    top: np.ndarray  # [B, T, k + 1] largest similarities per row, descending
    cols: np.ndarray  # [B, T, k + 1] their columns (fixed variant)
    cand_v: np.ndarray  # [B, T, LANES] original: lane minima ...
    cand_p: np.ndarray  # ... their columns (-1: empty lane)
    bound: np.ndarray  # [B, T] original: smallest lane second minimum
    widest: np.ndarray  # [B, T] max (original) / min (fixed) similarity of the row
    band: np.ndarray  # [B, T, 2 reach]: sim[i, i + d], then sim[i, i - d], d = 1..reach


def _raw_and_map(values: torch.Tensor, mapped: bool
                 ) -> tuple[np.ndarray, np.float32, np.float32]:
    """The values as a C-contiguous numpy array, and the (offset, scale) the kernels apply to
    each: ``(c + 1) * 0.5`` for raw GEMM output (equal to ``/ 2`` bit for bit), identity if
    ``mapped``."""
    raw = values.detach().numpy()
    if not raw.flags.c_contiguous:
        raw = np.ascontiguousarray(raw)
    if mapped:
        return raw, np.float32(0.0), np.float32(1.0)
    return raw, np.float32(1.0), np.float32(0.5)


def sweep(values: torch.Tensor, lengths: np.ndarray, width: int, reach: int, fixed: bool,
          mapped: bool) -> RowSweep | None:
    """One pass over ``values`` [B, T, T] float32 (raw GEMM output, or the similarity itself if
    ``mapped``); rows and columns at or past an item's length are ignored. None if NaN."""
    k = _kernels()
    batch, frames, _ = values.shape
    raw, off, scale = _raw_and_map(values, mapped)
    out = RowSweep(
        top=np.empty((batch, frames, width), np.float32),
        cols=np.empty((batch, frames, width), np.int32),
        cand_v=np.empty((batch, frames, k.LANES), np.float32),
        cand_p=np.empty((batch, frames, k.LANES), np.int32),
        bound=np.empty((batch, frames), np.float32),
        widest=np.empty((batch, frames), np.float32),
        band=np.zeros((batch, frames, 2 * reach), np.float32))
    args = (raw, lengths, off, scale, fixed, out.top, out.cols, out.cand_v, out.cand_p,
            out.bound, out.widest, out.band)
    threads = _threads(raw.size)
    nan_rows, scanned = (k.sweep_parallel(*args, threads) if threads > 1
                         else k.sweep_serial(*args))
    last_stats["top_scanned"] = scanned
    return None if nan_rows else out


def scores(values: torch.Tensor, lengths: np.ndarray, rows: RowSweep, rho: torch.Tensor,
           fixed: bool, mapped: bool) -> np.ndarray:
    """Seed scores [B, T] (float32, padding -inf) from a sweep and the densities ``rho``."""
    k = _kernels()
    raw, off, scale = _raw_and_map(values, mapped)
    s = np.empty(rows.widest.shape, np.float32)
    last_stats["delta_swept"] = k.scores(raw, lengths, rho.numpy(), rows.top, rows.cols,
                                         rows.cand_v, rows.cand_p, rows.bound, rows.widest,
                                         off, scale, fixed, s)
    return s


def density(rows: RowSweep, original: bool) -> torch.Tensor:
    """rho [B, T] from the top lists: the official ``exp(-/+ topk(k + 1)[1:].mean())``."""
    knn_mean = torch.from_numpy(rows.top)[:, :, 1:].mean(dim=-1)
    return torch.exp(-knn_mean) if original else torch.exp(knn_mean)


def seed_scores_and_band(values: torch.Tensor, lengths: torch.Tensor, k: int, reach: int,
                         original: bool, mapped: bool
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(s [B, T], band [B, T, 2 reach], lengths as int64 numpy) or None if NaN (see module)."""
    lengths_np = lengths.to(torch.int64).numpy()
    rows = sweep(values, lengths_np, k + 1, reach, not original, mapped)
    if rows is None:
        return None
    rho = density(rows, original)
    return scores(values, lengths_np, rows, rho, not original, mapped), rows.band, lengths_np


def normalized_frames(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """``F.normalize(x.transpose(1, 2), dim=-1)`` for x [B, D, T] contiguous float32 on CPU:
    same values and strides (``density_kernels.normalize_frames`` follows torch's reduction
    order). The first call in a process also runs torch's and compares; on any difference
    (another torch build reducing in another order) torch's is used from then on."""
    exact = _normalize_state.get("exact")
    if exact is False:
        return torch.nn.functional.normalize(x.transpose(1, 2), dim=-1, eps=eps)
    out = torch.empty_like(x)
    threads = _threads(x.numel() * 4)
    if threads > 1:
        _kernels().normalize_frames_parallel(x.numpy(), np.float32(eps), out.numpy(), threads)
    else:
        _kernels().normalize_frames(x.numpy(), np.float32(eps), out.numpy())
    x_n = out.transpose(1, 2)
    if exact is None:
        ref = torch.nn.functional.normalize(x.transpose(1, 2), dim=-1, eps=eps)
        same = (ref == x_n) | (ref.isnan() & x_n.isnan())
        _normalize_state["exact"] = bool(same.all()) and ref.stride() == x_n.stride()
        if not _normalize_state["exact"]:
            return ref
    return x_n
