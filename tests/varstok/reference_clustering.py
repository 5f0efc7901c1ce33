"""Straightforward per-frame density-peak clustering, written loop by loop, used to cross-check
the vectorised implementation on random inputs (one item at a time, no padding)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def reference_spans(
    x: torch.Tensor, variant: str, threshold: float, max_span: int, k: int, beta: float
) -> list[int]:
    """x [D, T] -> spans in time order."""
    frames = x.shape[1]
    unit = F.normalize(x.t().unsqueeze(0), dim=-1)
    sim = ((torch.matmul(unit, unit.transpose(1, 2)) + 1) / 2)[0]
    neighbours = sim.topk(k + 1, dim=-1).values[:, 1:].mean(dim=-1)
    rho = torch.exp(-neighbours) if variant == "original" else torch.exp(neighbours)
    base = sim if variant == "original" else 1 - sim
    delta = torch.empty(frames)
    for i in range(frames):
        denser = [j for j in range(frames) if rho[j] > rho[i]]
        delta[i] = min(base[i, j] for j in denser) if denser else base[i].max()
    s = rho * delta
    score = sim - beta * s.view(1, -1)
    owner = [-1] * frames
    seeds: list[tuple[int, int]] = []
    while -1 in owner:
        best = max((i for i in range(frames) if owner[i] == -1), key=lambda i: (float(s[i]), -i))
        lo = hi = best
        owner[best] = best
        t = best + 1
        while (t < frames and owner[t] == -1 and hi - lo + 1 < max_span
               and score[best, t] > threshold):
            owner[t] = best
            hi = t
            t += 1
        t = best - 1
        while (t >= 0 and owner[t] == -1 and hi - lo + 1 < max_span
               and score[best, t] > threshold):
            owner[t] = best
            lo = t
            t -= 1
        seeds.append((lo, hi))
    return [hi - lo + 1 for lo, hi in sorted(seeds)]
