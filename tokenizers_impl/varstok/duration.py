"""Implicit duration coding (``id = code + (span - 1) * bins``) and the length regulator."""

from __future__ import annotations

import torch


def spans_to_ids(codes: torch.Tensor, spans: torch.Tensor, bins: int = 4096) -> torch.Tensor:
    """codes and spans of the same shape -> ids; positions with span 0 (padding) become -1."""
    if bool((spans < 0).any()):
        raise ValueError("spans must be >= 0")
    ids = codes + (spans - 1) * bins
    return torch.where(spans > 0, ids, torch.full_like(ids, -1))


def ids_to_spans(ids: torch.Tensor, bins: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of ``spans_to_ids``: ids -> (codes, spans); negative ids give code -1, span 0."""
    valid = ids >= 0
    codes = torch.where(valid, ids % bins, torch.full_like(ids, -1))
    spans = torch.where(valid, ids // bins + 1, torch.zeros_like(ids))
    return codes, spans


def expand_spans(
    features: torch.Tensor, spans: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Repeat token features [B, D, L] by their spans [B, L] -> frames [B, D, F] (zero-padded)
    and frame counts [B]; no per-token loop."""
    batch, dim, _ = features.shape
    spans = spans.to(features.device).long().clamp(min=0)
    ends = torch.cumsum(spans, dim=1)
    frames = ends[:, -1] if spans.shape[1] else torch.zeros(batch, dtype=torch.long,
                                                           device=features.device)
    width = int(frames.max()) if batch else 0
    pos = torch.arange(width, device=features.device).expand(batch, -1).contiguous()
    token = torch.searchsorted(ends, pos, right=True).clamp(max=max(spans.shape[1] - 1, 0))
    out = torch.gather(features, 2, token.unsqueeze(1).expand(batch, dim, width))
    valid = pos < frames.view(-1, 1)
    return out * valid.unsqueeze(1).to(out.dtype), frames


class LengthRegulator(torch.nn.Module):
    """Module wrapper of ``expand_spans`` (official name and return convention)."""

    def forward(
        self, x: torch.Tensor, duration: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return expand_spans(x, duration)
