"""Temporal density-peak clustering of encoder frames into variable-length spans (vectorised).

Per frame t: similarity ``sim = (cos + 1) / 2`` to every frame, local density ``rho`` from the mean
similarity to its k nearest frames, ``delta`` from frames of higher density, seed score
``s = rho * delta``. Frames are taken greedily in decreasing ``s`` (ties: earliest); an unassigned
seed grows right, then left, over unassigned frames while ``sim[seed, t] - beta * s[t] > threshold``
and the span stays <= ``max_span``. Spans are contiguous and cover every frame.

Variants:
    ``original`` - what the released checkpoints were trained with: ``rho = exp(-mean knn sim)``
                   and ``delta = min similarity`` to denser frames (a sign error: both reward
                   *dissimilar* neighbourhoods).
    ``fixed``    - ``rho = exp(+mean knn sim)`` and ``delta = min distance (1 - sim)`` to denser
                   frames (max distance for the densest), as density-peak clustering intends.

Exactness and speed: the greedy pass is run in rounds. A seed only reads and writes frames within
``max_span - 1`` of itself, so every unassigned frame whose priority beats all unassigned frames
within ``2 * (max_span - 1)`` can be processed at once, in the same order-independent way as the
sequential loop; the result is identical to the per-frame loop. Each round is a handful of tensor
ops over [B, T]; the host is only asked whether work remains every ``check_every`` rounds. On CPU,
where those ops cost more than the work, ``greedy_cpu`` runs the same pass as a compiled loop.

On CPU (float32, every item of at least ``k + 1`` frames) the forward is: the compiled
normalisation (torch's reduction order), the official ``matmul``, then one compiled sweep over the
raw GEMM output (``density_cpu``: the ``(c + 1) / 2`` map applied on the fly with the same float32
operations, density, delta, seed scores and the band similarities, exact by construction and
never materialising a T x T temporary), the greedy loop with the band flags derived on the fly,
and ``pool_spans``. Every other case runs the torch expressions below, which stay the reference
(tests compare the two bit for bit).

Short inputs (fewer than ``k + 1`` frames, where the official code crashes in ``topk``): the density
uses the ``n - 1`` neighbours that exist (one frame -> density from no neighbours, a single span-1
token). Items of ``n >= k + 1`` frames are unaffected. Empty items give zero tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from tokenizers_impl.varstok.density_cpu import normalized_frames, seed_scores_and_band
from tokenizers_impl.varstok.greedy_cpu import greedy_from_band, greedy_spans_compiled

VARIANTS = ("original", "fixed")
MAX_TABLE_REACH = 8  # lookup tables have 4**reach rows
COMPILED_GREEDY_ON_CPU = True  # CPU: the compiled sequential pass (greedy_cpu); GPU: rounds
COMPILED_DENSITY_ON_CPU = True  # CPU: density/delta by one compiled row sweep (density_cpu)


@dataclass(frozen=True)
class ClusteringSettings:
    """Hyper-parameters of one clustering variant (official defaults)."""

    variant: str = "original"
    threshold: float = 0.7
    max_span: int = 4
    k: int = 10
    beta: float = 0.2

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"clustering must be one of {VARIANTS}, got {self.variant!r}")
        if self.max_span < 1 or self.k < 1:
            raise ValueError(f"max_span and k must be >= 1, got {self.max_span}, {self.k}")


def cosine_gemm(x_t: torch.Tensor) -> torch.Tensor:
    """[B, T, D] -> [B, T, T] cosine similarity: the official ``normalize`` + ``matmul``.

    For the usual x_t = x.transpose(1, 2) of a contiguous float32 x [B, D, T] on CPU, the
    normalisation runs compiled (``density_cpu.normalized_frames``: torch's reduction order,
    the same values and strides of x_n, hence the same GEMM call and bit-identical output).
    """
    x = x_t.transpose(1, 2)
    if (x.device.type == "cpu" and x.dtype == torch.float32 and x.is_contiguous()
            and COMPILED_DENSITY_ON_CPU and not (x.requires_grad and torch.is_grad_enabled())):
        x_n = normalized_frames(x)
    else:
        x_n = F.normalize(x_t, dim=-1)
    return torch.matmul(x_n, x_n.transpose(1, 2))


def similarity(x_t: torch.Tensor) -> torch.Tensor:
    """[B, T, D] -> [B, T, T] cosine similarity mapped to [0, 1] as ``(cos + 1) / 2``.

    The same ops as the official code (``matmul``, then ``+ 1`` and ``/ 2`` in place): a fused
    ``baddbmm`` runs another GEMM kernel whose last-bit rounding differs, and near-identical
    frames make seed order hang on single ulps of this matrix.
    """
    return cosine_gemm(x_t).add_(1).div_(2)


def seed_scores(
    sim: torch.Tensor, valid: torch.Tensor, lengths: torch.Tensor, settings: ClusteringSettings
) -> torch.Tensor:
    """rho * delta per frame [B, T] (padding frames get -inf).

    ``fixed`` uses distances ``1 - sim``; since ``x -> 1 - x`` is monotone also in floating
    point, min/max distances are taken as ``1 - max/min similarity`` (same values, fewer passes).
    """
    frames = sim.shape[1]
    k = settings.k
    if (sim.device.type == "cpu" and COMPILED_DENSITY_ON_CPU and sim.dtype == torch.float32
            and bool((lengths >= k + 1).all())):
        compiled = _seed_scores_compiled(sim, valid, lengths.cpu(), settings)
        if compiled is not None:
            return compiled
    padded = not bool(valid.all())
    valid_j = valid.unsqueeze(1)
    width = min(k + 1, frames)
    ranked = torch.where(valid_j, sim, float("-inf")) if padded else sim
    top = ranked.topk(width, dim=-1).values[:, :, 1:]
    knn_mean = top.mean(dim=-1) if width == k + 1 else torch.zeros_like(sim[..., 0])
    short = lengths < k + 1
    if bool(short.any()):  # mean over the n - 1 neighbours that exist
        n_neigh = (lengths - 1).clamp(min=0, max=k).view(-1, 1, 1)
        use = torch.arange(width - 1, device=sim.device).view(1, 1, -1) < n_neigh
        short_mean = torch.where(use, top, 0.0).sum(-1) / n_neigh.clamp(min=1).view(-1, 1).to(
            sim.dtype)
        knn_mean = torch.where(short.view(-1, 1), short_mean, knn_mean)
    original = settings.variant == "original"
    rho = torch.exp(-knn_mean) if original else torch.exp(knn_mean)
    higher = rho.unsqueeze(1) > rho.unsqueeze(2)
    if padded:
        higher &= valid_j
    if original:  # smallest similarity to a denser frame, else largest similarity overall
        delta = torch.where(higher, sim, float("inf")).amin(dim=2)
        widest = (torch.where(valid_j, sim, float("-inf")) if padded else sim).amax(dim=2)
    else:  # smallest distance to a denser frame, else largest distance overall
        delta = 1 - torch.where(higher, sim, float("-inf")).amax(dim=2)
        widest = 1 - (torch.where(valid_j, sim, float("inf")) if padded else sim).amin(dim=2)
    delta = torch.where(torch.isinf(delta), widest, delta)
    return (rho * delta).masked_fill(~valid, float("-inf"))


def _seed_scores_compiled(
    sim: torch.Tensor, valid: torch.Tensor, lengths: torch.Tensor, settings: ClusteringSettings
) -> torch.Tensor | None:
    """``seed_scores`` by the compiled row sweep (``density_cpu``), no T x T temporaries, the
    same values; None where it does not apply (padding not a prefix mask, NaN similarities)."""
    prefix = torch.arange(sim.shape[1]).view(1, -1) < lengths.view(-1, 1)
    if not torch.equal(valid, prefix) or bool(torch.isnan(sim).any()):
        return None
    found = seed_scores_and_band(sim, lengths, settings.k, 0, settings.variant == "original",
                                 mapped=True)
    return None if found is None else torch.from_numpy(found[0])


def band_ok(
    sim: torch.Tensor, s: torch.Tensor, valid: torch.Tensor, settings: ClusteringSettings
) -> tuple[torch.Tensor, torch.Tensor]:
    """ok[b, i, d-1] = sim[i, i +/- d] - beta * s[i +/- d] > threshold, d = 1..max_span-1.

    Reads the band of ``sim`` as diagonal views (offsets +/-d), so nothing [T, T] is gathered.
    """
    batch, frames, _ = sim.shape
    reach = settings.max_span - 1
    fwd = torch.zeros(batch, frames, max(reach, 0), dtype=torch.bool, device=sim.device)
    bwd = torch.zeros_like(fwd)
    penalty = settings.beta * s
    for d in range(1, min(reach, frames - 1) + 1):
        ahead = sim.diagonal(offset=d, dim1=1, dim2=2)  # [B, T-d]: sim[i, i+d]
        fwd[:, : frames - d, d - 1] = ((ahead - penalty[:, d:]) > settings.threshold) & valid[:, d:]
        behind = sim.diagonal(offset=-d, dim1=1, dim2=2)  # [B, T-d]: sim[i+d, i]
        bwd[:, d:, d - 1] = ((behind - penalty[:, : frames - d]) > settings.threshold) & valid[
            :, : frames - d]
    return fwd, bwd


def _static_reach(ok: torch.Tensor) -> torch.Tensor:
    """Consecutive True flags from d = 1 (how far a seed could grow ignoring other spans)."""
    if ok.shape[-1] == 0:
        return torch.zeros(ok.shape[:2], dtype=torch.long, device=ok.device)
    return torch.cumprod(ok.long(), dim=-1).sum(dim=-1)


def _growth_tables(reach: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Lookup tables from a seed's neighbourhood pattern to the frames it claims / its start.

    Pattern bit ``d - 1`` (d = 1..reach): frame ``i + d`` is free and similar enough; bit
    ``reach + d - 1``: the same for ``i - d``. Growth is right first, then left with the remaining
    budget (span <= reach + 1). Row ``4**reach`` is "not a seed" (claims nothing). Columns are
    offsets ``-reach .. reach``.
    """
    patterns = torch.arange(4**reach, device=device)
    bits = (patterns.view(-1, 1) >> torch.arange(2 * reach, device=device)) & 1
    grow_f = torch.cumprod(bits[:, :reach], dim=1).sum(dim=1)
    grow_b = torch.minimum(torch.cumprod(bits[:, reach:], dim=1).sum(dim=1), reach - grow_f)
    offsets = torch.arange(-reach, reach + 1, device=device).view(1, -1)
    claims = (offsets >= -grow_b.view(-1, 1)) & (offsets <= grow_f.view(-1, 1))
    firsts = offsets == -grow_b.view(-1, 1)
    none = torch.zeros(1, 2 * reach + 1, dtype=torch.bool, device=device)
    return torch.cat([claims, none]), torch.cat([firsts, none])


def greedy_spans(
    s: torch.Tensor, ok_fwd: torch.Tensor, ok_bwd: torch.Tensor, valid: torch.Tensor,
    max_span: int, check_every: int = 2,
) -> torch.Tensor:
    """Cluster-start flags [B, T] of the greedy seed growth, computed in parallel rounds.

    Seed i can only touch frames in ``[i - reach_left[i], i + reach_right[i]]`` (its growth
    ignoring other spans). A free frame is processed in a round when no free frame of higher
    priority has an overlapping interval; such frames touch disjoint frames, so processing them
    together gives exactly the sequential result. State is one tensor: each frame's priority rank,
    or ``frames`` once assigned (column ``frames`` is a permanent "assigned" sentinel).
    """
    batch, frames = s.shape
    device = s.device
    reach = max_span - 1
    if reach == 0:
        return valid.clone()
    taken = frames  # rank value meaning "assigned"; also the sentinel column index
    order = torch.sort(s, dim=1, descending=True, stable=True).indices
    # int32 state: reductions over a small middle dim are far faster than in int64 on CPU
    rank = torch.full((batch, frames + 1), taken, dtype=torch.int32, device=device)
    rank.scatter_(1, order, torch.arange(frames, dtype=torch.int32, device=device).expand(
        batch, -1).contiguous())
    rank[:, :frames].masked_fill_(~valid, taken)
    right = _static_reach(ok_fwd)
    left = _static_reach(ok_bwd)
    pos = torch.arange(frames, device=device).view(1, 1, -1)  # layout [B, K, T] throughout
    row = (torch.arange(batch, device=device) * (frames + 1)).view(-1, 1, 1)
    # conflicting neighbours (overlapping reach intervals); the sentinel column elsewhere
    offsets = torch.cat([torch.arange(-2 * reach, 0), torch.arange(1, 2 * reach + 1)]).to(device)
    neighbour = pos + offsets.view(1, -1, 1)
    inside = (neighbour >= 0) & (neighbour < frames)
    nb = neighbour.clamp(0, frames - 1).expand(batch, -1, -1)
    lo, hi = (pos[:, 0] - left), (pos[:, 0] + right)  # [B, T]
    lo_nb = torch.gather(lo, 1, nb.reshape(batch, -1)).view(nb.shape)
    hi_nb = torch.gather(hi, 1, nb.reshape(batch, -1)).view(nb.shape)
    conflict = inside & (lo_nb <= hi.unsqueeze(1)) & (lo.unsqueeze(1) <= hi_nb)
    conflict_flat = (torch.where(conflict, nb, taken) + row).view(-1)
    # frames at distance 1..reach to the right, then to the left (sentinel outside)
    steps = torch.cat([torch.arange(1, reach + 1), -torch.arange(1, reach + 1)]).to(device)
    side = pos + steps.view(1, -1, 1)
    side = torch.where((side >= 0) & (side < frames), side, taken).expand(batch, -1, -1)
    side_flat = (side + row).reshape(-1)
    static_ok = torch.cat([ok_fwd, ok_bwd], dim=-1).transpose(1, 2).contiguous()  # [B, 2r, T]
    claim_table, start_table = (_growth_tables(reach, device) if reach <= MAX_TABLE_REACH
                                else (None, None))
    no_seed = 4**reach
    bit_weights = (2 ** torch.arange(2 * reach, device=device)).view(1, -1, 1)
    claim_offsets = torch.arange(-reach, reach + 1, device=device).view(1, 1, -1)
    claim_flat = (pos.transpose(1, 2) + claim_offsets).clamp(0, frames) + row  # [B, T, 2r+1]
    sentinel = row + taken
    starts = torch.zeros(batch, frames + 1, dtype=torch.bool, device=device)
    rank_flat = rank.view(-1)
    starts_flat = starts.view(-1)
    rounds = 0
    while True:
        for _ in range(check_every):
            current = rank[:, :frames]
            others = rank_flat.index_select(0, conflict_flat).view(batch, -1, frames)
            ready = others.amin(dim=1) > current
            free_side = rank_flat.index_select(0, side_flat).view(batch, 2 * reach, frames) != taken
            if claim_table is not None:
                pattern = ((free_side & static_ok).long() * bit_weights).sum(dim=1)
                code = torch.where(ready, pattern, no_seed).view(-1)
                claimed = claim_table.index_select(0, code).view(batch, frames, -1)
                first = start_table.index_select(0, code).view(batch, frames, -1)
            else:  # long spans: tables would be too large, derive growth directly
                open_ = (free_side & static_ok).view(batch, 2, reach, frames).long()
                growth = torch.cumprod(open_, dim=2).sum(dim=2).transpose(1, 2)  # [B, T, 2]
                grow_f = growth[..., :1]
                grow_b = torch.minimum(growth[..., 1:], reach - grow_f)
                seed = ready.unsqueeze(-1)
                claimed = seed & (claim_offsets >= -grow_b) & (claim_offsets <= grow_f)
                first = seed & (claim_offsets == -grow_b)
            rank_flat.index_fill_(0, torch.where(claimed, claim_flat, sentinel).view(-1), taken)
            starts_flat.index_fill_(0, torch.where(first, claim_flat, sentinel).view(-1), True)
            rounds += 1
        if not bool((rank[:, :frames] < taken).any()) or rounds > frames + check_every:
            break
    return starts[:, :frames]


def greedy_starts(
    s: torch.Tensor, ok_fwd: torch.Tensor, ok_bwd: torch.Tensor, valid: torch.Tensor,
    max_span: int,
) -> torch.Tensor:
    """The greedy pass on the right engine: a compiled loop on CPU, tensor rounds elsewhere."""
    if s.device.type == "cpu" and COMPILED_GREEDY_ON_CPU:
        return greedy_spans_compiled(s, ok_fwd, ok_bwd, valid, max_span)
    return greedy_spans(s, ok_fwd, ok_bwd, valid, max_span)


def pool_spans(
    x_t: torch.Tensor, starts: torch.Tensor, valid: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean of each span: x_t [B, T, D], start flags -> ([B, D, N], spans [B, N], 0 = padding)."""
    batch, _, dim = x_t.shape
    ids = torch.cumsum(starts.long(), dim=1) - 1
    width = int(starts.long().sum(dim=1).max()) if batch else 0
    dump = max(width, 1)  # column collecting padding frames, dropped below
    index = torch.where(valid, ids, dump)  # [B, T] span of each frame
    spans = torch.zeros(batch, dump + 1, dtype=torch.long, device=x_t.device).scatter_add_(
        1, index, valid.long())[:, :width]
    # sums in the [B, D, T] layout (a transposed view is read without copying [T, D])
    x = x_t.transpose(1, 2)
    sums = x.new_zeros(batch, dim, dump + 1)
    for item in range(batch):
        sums[item].index_add_(1, index[item], x[item])
    pooled = sums[:, :, :width] / spans.clamp(min=1).unsqueeze(1)
    return pooled, spans


class TemporalDensityPeakClustering(nn.Module):
    """x [B, D, T] (+ lengths [B]) -> pooled span features [B, D, N], spans [B, N] (0 = pad)."""

    def __init__(
        self, variant: str = "original", threshold: float = 0.7, max_span: int = 4, k: int = 10,
        beta: float = 0.2,
    ) -> None:
        super().__init__()
        self.settings = ClusteringSettings(variant, threshold, max_span, k, beta)

    def configure(self, **changes: object) -> None:
        """Switch variant / threshold / max_span / k / beta in place."""
        values = {**self.settings.__dict__, **{k: v for k, v in changes.items() if v is not None}}
        self.settings = ClusteringSettings(**values)  # type: ignore[arg-type]

    def _compiled_cpu(self, x: torch.Tensor, lengths: torch.Tensor) -> bool:
        """Whether the whole pass runs on the compiled CPU kernels (float32 on CPU, every item
        long enough for the official density)."""
        return (x.device.type == "cpu" and x.dtype == torch.float32 and COMPILED_DENSITY_ON_CPU
                and COMPILED_GREEDY_ON_CPU and bool((lengths >= self.settings.k + 1).all()))

    @torch.no_grad()
    def starts(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Cluster-start flags [B, T] (see module docstring)."""
        batch, _, frames = x.shape
        if frames == 0:
            return torch.zeros(batch, 0, dtype=torch.bool, device=x.device)
        if lengths is None:
            lengths = torch.full((batch,), frames, dtype=torch.long, device=x.device)
        lengths = lengths.to(x.device)
        settings = self.settings
        if self._compiled_cpu(x, lengths):  # one sweep over the raw GEMM output (density_cpu)
            raw = cosine_gemm(x.transpose(1, 2))
            found = seed_scores_and_band(raw, lengths, settings.k, settings.max_span - 1,
                                         settings.variant == "original", mapped=False)
            if found is not None:
                s, band, lengths_np = found
                return greedy_from_band(s, band, lengths_np, settings.beta, settings.threshold)
            sim = raw.add_(1).div_(2)  # NaN features: the torch path below, same similarity
        else:
            sim = similarity(x.transpose(1, 2))
        valid = torch.arange(frames, device=x.device).view(1, -1) < lengths.view(-1, 1)
        s = seed_scores(sim, valid, lengths, settings)
        ok_fwd, ok_bwd = band_ok(sim, s, valid, settings)
        return greedy_starts(s, ok_fwd, ok_bwd, valid, settings.max_span)

    def forward(
        self, x: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch, _, frames = x.shape
        if lengths is None:
            lengths = torch.full((batch,), frames, dtype=torch.long, device=x.device)
        lengths = lengths.to(x.device)
        starts = self.starts(x, lengths)
        valid = torch.arange(frames, device=x.device).view(1, -1) < lengths.view(-1, 1)
        return pool_spans(x.transpose(1, 2), starts, valid)
