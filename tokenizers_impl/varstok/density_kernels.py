"""Numba kernels of ``density_cpu``: one vectorised sweep per row of the raw similarity GEMM.

Every value is ``(c + off) * scale`` of a GEMM entry ``c``: ``(1, 0.5)`` gives the official
``(c + 1) / 2`` (halving is exact in binary floating point and ``c + 1`` is never subnormal, so
``* 0.5`` equals ``/ 2`` bit for bit), ``(0, 1)`` reads an already mapped similarity unchanged. No
fast-math flags anywhere: nothing is contracted into an fma or reassociated.

Vectorisation comes from lane-wise state: lane ``l`` keeps the running extremes of the columns
``j = l (mod LANES)``. Compare/select are exact, so the lanes' extremes are exact extremes of their
columns, and bounds over the lanes say what the lanes may have missed:

* top-k: every column not among its lane's two largest is <= ``m2`` = max over lanes of the
  second largest; so the values > m2 are lane maxima (one per lane), and when at least k of them
  exist they are the row's top k (else the row is scanned again, ``_scan_top``).
* delta: the lanes also keep the two extremes on delta's side with their columns (candidates).
  With the bound ``B`` of the missed columns (as above), the best candidate that is denser than
  the row's frame is the exact extreme over all denser frames whenever it is not beyond ``B``;
  otherwise (rare: nearly no denser frame among the candidates) the row is swept again with the
  density mask (``_denser_extreme``).
"""

from __future__ import annotations

import numba
import numpy as np

LANES = 64  # lanes of the sweeps (columns j and j + LANES share a lane); a power of two
NEAR = 8  # lanes on each side of the diagonal's merged first into the top list
WINDOW = 16  # fallback top-k: columns on each side of the diagonal taken first
BLOCK = 128  # fallback top-k: columns tested at once against the current k-th best
CHUNK = 16  # fallback top-k: sub-block tested before the scalar insertion
NEG = np.float32(-np.inf)
POS = np.float32(np.inf)

_jit = numba.njit(cache=True, nogil=True)
_jit_parallel = numba.njit(cache=True, nogil=True, parallel=True)


@_jit
def _sweep_original(seg: np.ndarray, off: np.float32, scale: np.float32, h1: np.ndarray,
                    h2: np.ndarray, m1: np.ndarray, q1: np.ndarray, m2: np.ndarray) -> None:
    """Per lane: two largest values (h1 >= h2), smallest (m1, column q1), second smallest m2."""
    n = seg.shape[0]
    h1[:] = NEG
    h2[:] = NEG
    m1[:] = POS
    m2[:] = POS
    q1[:] = -1
    for c in range(n // LANES):
        base = c * LANES
        s = seg[base:base + LANES]
        for lane in range(LANES):
            x = (s[lane] + off) * scale
            a = h1[lane]
            b = h2[lane]
            h2[lane] = a if x > a else (x if x > b else b)
            h1[lane] = x if x > a else a
            c1 = m1[lane]
            c2 = m2[lane]
            lo1 = x < c1
            m2[lane] = c1 if lo1 else (x if x < c2 else c2)
            m1[lane] = x if lo1 else c1
            q1[lane] = np.int32(base + lane) if lo1 else q1[lane]
    for j in range(n - n % LANES, n):
        x = (seg[j] + off) * scale
        lane = j & (LANES - 1)
        a = h1[lane]
        b = h2[lane]
        h2[lane] = a if x > a else (x if x > b else b)
        h1[lane] = x if x > a else a
        c1 = m1[lane]
        c2 = m2[lane]
        lo1 = x < c1
        m2[lane] = c1 if lo1 else (x if x < c2 else c2)
        m1[lane] = x if lo1 else c1
        q1[lane] = j if lo1 else q1[lane]


@_jit
def _sweep_fixed(seg: np.ndarray, off: np.float32, scale: np.float32, h1: np.ndarray,
                 p1: np.ndarray, h2: np.ndarray, m1: np.ndarray) -> None:
    """Per lane: largest value (h1, column p1), second largest h2, smallest m1."""
    n = seg.shape[0]
    h1[:] = NEG
    h2[:] = NEG
    m1[:] = POS
    p1[:] = -1
    for c in range(n // LANES):
        base = c * LANES
        s = seg[base:base + LANES]
        for lane in range(LANES):
            x = (s[lane] + off) * scale
            a = h1[lane]
            b = h2[lane]
            hi1 = x > a
            h2[lane] = a if hi1 else (x if x > b else b)
            h1[lane] = x if hi1 else a
            p1[lane] = np.int32(base + lane) if hi1 else p1[lane]
            m1[lane] = x if x < m1[lane] else m1[lane]
    for j in range(n - n % LANES, n):
        x = (seg[j] + off) * scale
        lane = j & (LANES - 1)
        a = h1[lane]
        b = h2[lane]
        hi1 = x > a
        h2[lane] = a if hi1 else (x if x > b else b)
        h1[lane] = x if hi1 else a
        p1[lane] = j if hi1 else p1[lane]
        m1[lane] = x if x < m1[lane] else m1[lane]


@_jit
def _insert(top: np.ndarray, cols: np.ndarray, x: np.float32, j: int) -> np.float32:
    """Insert x (column j) into the descending list ``top`` (dropping its last value)."""
    q = top.shape[0] - 1
    while q > 0 and top[q - 1] < x:
        top[q] = top[q - 1]
        cols[q] = cols[q - 1]
        q -= 1
    top[q] = x
    cols[q] = j
    return top[top.shape[0] - 1]


@_jit
def _fold_max(v: np.ndarray) -> np.float32:
    """max(v) by halving in place (element-wise steps vectorise); len(v) a power of two."""
    half = v.shape[0] // 2
    while half:
        for lane in range(half):
            v[lane] = v[lane + half] if v[lane + half] > v[lane] else v[lane]
        half //= 2
    return v[0]


@_jit
def _fold_min(v: np.ndarray) -> np.float32:
    half = v.shape[0] // 2
    while half:
        for lane in range(half):
            v[lane] = v[lane + half] if v[lane + half] < v[lane] else v[lane]
        half //= 2
    return v[0]


@_jit
def _top_from_lanes(h1: np.ndarray, p1: np.ndarray, m2: np.float32, top: np.ndarray,
                    cols: np.ndarray, diagonal: int) -> bool:
    """The row's top list from the lane maxima h1 above m2, if there are enough (module doc).

    Lanes are merged outwards from the diagonal's (the nearest frames hold the likely largest
    values, so the list fills in nearly descending order and later lanes mostly fail the first
    comparison). h1 is used as scratch.
    """
    top[:] = NEG
    cols[:] = -1
    last = m2
    for k in range(2 * NEAR + 1):
        lane = (diagonal + (k + 1) // 2 * (1 - 2 * (k & 1))) & (LANES - 1)
        x = h1[lane]
        h1[lane] = NEG
        if x > last:
            last = max(_insert(top, cols, x, p1[lane]), m2)
    if _count_above(h1, np.float32(0.0), np.float32(1.0), last):
        for lane in range(LANES):
            x = h1[lane]
            if x > last:
                last = max(_insert(top, cols, x, p1[lane]), m2)
    return top[top.shape[0] - 1] > m2


@_jit
def _count_above(seg: np.ndarray, off: np.float32, scale: np.float32, last: np.float32) -> int:
    hits = np.int32(0)
    for j in range(seg.shape[0]):
        hits += np.int32((seg[j] + off) * scale > last)
    return hits


@_jit
def _take(seg: np.ndarray, first: int, off: np.float32, scale: np.float32, top: np.ndarray,
          cols: np.ndarray, last: np.float32) -> np.float32:
    for j in range(seg.shape[0]):
        x = (seg[j] + off) * scale
        if x > last:
            last = _insert(top, cols, x, first + j)
    return last


@_jit
def _scan_top(seg: np.ndarray, first: int, off: np.float32, scale: np.float32, top: np.ndarray,
              cols: np.ndarray, last: np.float32) -> np.float32:
    """Insertion top-k over seg, skipping blocks with nothing above the current k-th best."""
    n = seg.shape[0]
    for b0 in range(0, n, BLOCK):
        block = seg[b0:min(b0 + BLOCK, n)]
        if _count_above(block, off, scale, last):
            for c0 in range(b0, b0 + block.shape[0], CHUNK):
                chunk = seg[c0:min(c0 + CHUNK, n)]
                if _count_above(chunk, off, scale, last):
                    last = _take(chunk, first + c0, off, scale, top, cols, last)
    return last


@_jit
def _sweep_rows(raw: np.ndarray, lengths: np.ndarray, off: np.float32, scale: np.float32,
                fixed: bool, top: np.ndarray, cols: np.ndarray, cand_v: np.ndarray,
                cand_p: np.ndarray, bound: np.ndarray, widest: np.ndarray, band: np.ndarray,
                start: int, stop: int) -> tuple[int, int]:
    """Rows [start, stop) of the flattened (item, frame) index; returns the NaN rows seen and the
    rows whose top list needed the scan."""
    frames = raw.shape[1]
    reach = band.shape[2] // 2
    f = np.empty((3, LANES), np.float32)
    p = np.empty(LANES, np.int32)
    nan_rows = 0
    scanned = 0
    for r in range(start, stop):
        b = r // frames
        i = r - b * frames
        n = lengths[b]
        if i >= n:
            continue
        row = raw[b, i]
        if row[i] != row[i]:  # NaN features (only they make NaN entries): caller uses torch
            nan_rows += 1
            continue
        for d in range(1, reach + 1):
            band[b, i, d - 1] = (row[i + d] + off) * scale if i + d < frames else 0
            band[b, i, reach + d - 1] = (row[i - d] + off) * scale if i >= d else 0
        h1, h2, m = f[0], f[1], f[2]
        if fixed:  # delta side = largest values: the top list with its columns
            _sweep_fixed(row[:n], off, scale, h1, p, h2, m)
            widest[b, i] = _fold_min(m)
            hp = p
        else:  # delta side = smallest values: the lane minima, bounded by the lane second minima
            _sweep_original(row[:n], off, scale, h1, h2, cand_v[b, i], cand_p[b, i], m)
            bound[b, i] = _fold_min(m)
            hp = cand_p[b, i]  # (columns of the top list are not needed)
        m2 = _fold_max(h2)
        v = top[b, i]
        vc = cols[b, i]
        if not _top_from_lanes(h1, hp, m2, v, vc, i):
            scanned += 1
            v[:] = NEG
            w0 = max(0, i - WINDOW)
            w1 = min(n, i + WINDOW)
            last = _take(row[w0:w1], w0, off, scale, v, vc, NEG)
            last = _scan_top(row[:w0], 0, off, scale, v, vc, last)
            _scan_top(row[w1:n], w1, off, scale, v, vc, last)
        if not fixed:
            widest[b, i] = v[0]
    return nan_rows, scanned


@_jit
def sweep_serial(raw: np.ndarray, lengths: np.ndarray, off: np.float32, scale: np.float32,
                 fixed: bool, top: np.ndarray, cols: np.ndarray, cand_v: np.ndarray,
                 cand_p: np.ndarray, bound: np.ndarray, widest: np.ndarray,
                 band: np.ndarray) -> tuple[int, int]:
    """Per valid row: top list (descending; its columns: fixed only), widest value (max:
    original, min: fixed), band values ``band[b, i, d - 1] = sim[i, i + d]``,
    ``band[b, i, reach + d - 1] = sim[i, i - d]``; original only: lane minima (values, columns;
    -1 = none) and their bound (the smallest lane second minimum)."""
    return _sweep_rows(raw, lengths, off, scale, fixed, top, cols, cand_v, cand_p, bound,
                       widest, band, 0, raw.shape[0] * raw.shape[1])


@_jit_parallel
def sweep_parallel(raw: np.ndarray, lengths: np.ndarray, off: np.float32, scale: np.float32,
                   fixed: bool, top: np.ndarray, cols: np.ndarray, cand_v: np.ndarray,
                   cand_p: np.ndarray, bound: np.ndarray, widest: np.ndarray, band: np.ndarray,
                   threads: int) -> tuple[int, int]:
    """``sweep_serial`` with the rows split evenly over ``threads`` threads."""
    rows = raw.shape[0] * raw.shape[1]
    per = (rows + threads - 1) // threads
    nan_rows = 0
    scanned = 0
    for t in numba.prange(threads):
        nans, scans = _sweep_rows(raw, lengths, off, scale, fixed, top, cols, cand_v, cand_p,
                                  bound, widest, band, t * per, min(rows, (t + 1) * per))
        nan_rows += nans
        scanned += scans
    return nan_rows, scanned


@_jit
def _denser_extreme(seg: np.ndarray, rho: np.ndarray, r: np.float32, off: np.float32,
                    scale: np.float32, fixed: bool, dd: np.ndarray) -> np.float32:
    """Extreme similarity to the frames denser than r (max: fixed, min: original; +-inf if none)."""
    n = seg.shape[0]
    if fixed:
        dd[:] = NEG
        for c in range(n // LANES):
            s = seg[c * LANES:(c + 1) * LANES]
            q = rho[c * LANES:(c + 1) * LANES]
            for lane in range(LANES):
                x = (s[lane] + off) * scale
                v = x if q[lane] > r else NEG
                dd[lane] = v if v > dd[lane] else dd[lane]
        d = NEG
        for j in range(n - n % LANES, n):
            x = (seg[j] + off) * scale
            d = x if rho[j] > r and x > d else d
        return max(d, _fold_max(dd))
    dd[:] = POS
    for c in range(n // LANES):
        s = seg[c * LANES:(c + 1) * LANES]
        q = rho[c * LANES:(c + 1) * LANES]
        for lane in range(LANES):
            x = (s[lane] + off) * scale
            v = x if q[lane] > r else POS
            dd[lane] = v if v < dd[lane] else dd[lane]
    d = POS
    for j in range(n - n % LANES, n):
        x = (seg[j] + off) * scale
        d = x if rho[j] > r and x < d else d
    return min(d, _fold_min(dd))


@_jit
def scores(raw: np.ndarray, lengths: np.ndarray, rho: np.ndarray, top: np.ndarray, cols: np.ndarray,
           cand_v: np.ndarray, cand_p: np.ndarray, bound: np.ndarray, widest: np.ndarray,
           off: np.float32, scale: np.float32, fixed: bool, s: np.ndarray) -> int:
    """Seed scores s = rho * delta [B, T] (padding -inf), delta as in ``clustering.seed_scores``;
    returns how many rows needed the masked sweep (candidates not conclusive, module doc)."""
    batch, frames, _ = raw.shape
    dd = np.empty(LANES, np.float32)
    one = np.float32(1.0)
    swept = 0
    for b in range(batch):
        n = lengths[b]
        for i in range(frames):
            if i >= n:
                s[b, i] = NEG
                continue
            r = rho[b, i]
            if fixed:  # the first denser frame of the top list (all others are <= its last)
                d = NEG
                for c in range(cols.shape[2]):
                    j = cols[b, i, c]
                    if j >= 0 and rho[b, j] > r:
                        d = top[b, i, c]
                        break
                found = d != NEG
            else:  # the smallest denser lane minimum (all other columns are >= bound)
                d = POS
                for c in range(LANES):
                    j = cand_p[b, i, c]
                    x = cand_v[b, i, c]
                    d = x if j >= 0 and x < d and rho[b, j] > r else d
                found = d <= bound[b, i]
            if not found:
                d = _denser_extreme(raw[b, i, :n], rho[b, :n], r, off, scale, fixed, dd)
                swept += 1
            if fixed:  # torch: delta = 1 - d, where(isinf(delta), 1 - widest, delta)
                delta = one - widest[b, i] if d == NEG else one - d
            else:  # torch: where(isinf(d), widest, d)
                delta = widest[b, i] if d == POS else d
            s[b, i] = r * delta
    return swept


@numba.njit(cache=True, nogil=True, error_model="numpy")  # IEEE division (no zero check)
def _divide(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    for t in range(a.shape[0]):
        out[t] = a[t] / b[t]


@_jit
def _normalize_part(x: np.ndarray, eps: np.float32, out: np.ndarray, t0: int, t1: int) -> None:
    batch, dim, _ = x.shape
    acc = np.empty(t1 - t0, np.float32)
    for b in range(batch):
        acc[:] = 0
        for d in range(dim):
            row = x[b, d, t0:t1]
            for t in range(t1 - t0):
                acc[t] = acc[t] + row[t] * row[t]
        for t in range(t1 - t0):
            n = np.sqrt(acc[t])
            acc[t] = eps if n < eps else n
        for d in range(dim):
            _divide(x[b, d, t0:t1], acc, out[b, d, t0:t1])


@_jit
def normalize_frames(x: np.ndarray, eps: np.float32, out: np.ndarray) -> None:
    """out [B, D, T] = x / max(||x[:, :, t]||, eps) per frame t.

    The norm as torch reduces a non-innermost dimension: per frame, sequentially over d,
    ``acc = acc + x * x`` (rounded product, rounded sum), then ``sqrt``; the loops run across
    frames (vectorised) and down the features. ``eps if n < eps else n`` keeps NaN like clamp.
    """
    _normalize_part(x, eps, out, 0, x.shape[2])


@_jit_parallel
def normalize_frames_parallel(x: np.ndarray, eps: np.float32, out: np.ndarray,
                              threads: int) -> None:
    """``normalize_frames``, the frames split over ``threads`` threads (same order per frame)."""
    frames = x.shape[2]
    per = (frames + threads - 1) // threads
    for t in numba.prange(threads):
        if t * per < frames:
            _normalize_part(x, eps, out, t * per, min(frames, (t + 1) * per))
