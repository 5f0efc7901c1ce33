"""Vocos backbone (ConvNeXt blocks with AdaLayerNorm) preceded by the attention ``pos_net``.

With ``lengths`` the padded frames of a batch are kept out of every conv, GroupNorm statistic and
attention key, so each item decodes as it would alone (up to float rounding).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _frame_mask(
    lengths: torch.Tensor | None, frames: int, device: torch.device
) -> torch.Tensor | None:
    if lengths is None:
        return None
    lengths = lengths.to(device)
    if bool((lengths >= frames).all()):
        return None
    return (torch.arange(frames, device=device).view(1, 1, -1) < lengths.view(-1, 1, 1))


def _apply_mask(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    return x if mask is None else x * mask


class MaskedGroupNorm(nn.GroupNorm):
    """GroupNorm over (channels in group, time); statistics only from real frames when masked."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:  # type: ignore[override]
        if mask is None:
            return super().forward(x)
        batch, channels, frames = x.shape
        g = self.num_groups
        xg = x.view(batch, g, channels // g, frames)
        m = mask.view(batch, 1, 1, frames).to(x.dtype)
        count = m.sum(dim=(2, 3), keepdim=True) * (channels // g)
        mean = (xg * m).sum(dim=(2, 3), keepdim=True) / count
        var = (((xg - mean) * m) ** 2).sum(dim=(2, 3), keepdim=True) / count
        y = ((xg - mean) / torch.sqrt(var + self.eps)).view(batch, channels, frames)
        return y * self.weight.view(1, -1, 1) + self.bias.view(1, -1, 1)


def _swish(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(x)


class PosResnetBlock(nn.Module):
    """GroupNorm-swish-conv3 twice with dropout, identity skip."""

    def __init__(self, channels: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.norm1 = MaskedGroupNorm(32, channels, eps=1e-6)
        self.conv1 = nn.Conv1d(channels, channels, 3, padding=1)
        self.norm2 = MaskedGroupNorm(32, channels, eps=1e-6)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv1d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv1(_apply_mask(_swish(self.norm1(x, mask)), mask))
        h = self.dropout(_swish(self.norm2(h, mask)))
        return x + self.conv2(_apply_mask(h, mask))


class PosAttention(nn.Module):
    """Single-head self-attention over time with 1x1 conv projections, residual."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = MaskedGroupNorm(32, channels, eps=1e-6)
        self.q = nn.Conv1d(channels, channels, 1)
        self.k = nn.Conv1d(channels, channels, 1)
        self.v = nn.Conv1d(channels, channels, 1)
        self.proj_out = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h = self.norm(x, mask)
        q, k, v = self.q(h), self.k(h), self.v(h)
        channels = q.shape[1]
        weights = torch.bmm(q.permute(0, 2, 1), k) * (int(channels) ** (-0.5))
        if mask is not None:
            weights = weights.masked_fill(~mask, float("-inf"))
        weights = F.softmax(weights, dim=2)
        h = torch.bmm(v, weights.permute(0, 2, 1))
        return x + self.proj_out(h)


class AdaLayerNorm(nn.Module):
    """LayerNorm whose scale/shift are looked up by a condition id (the bandwidth id)."""

    def __init__(self, num_embeddings: int, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.dim = dim
        self.scale = nn.Embedding(num_embeddings, dim)
        self.shift = nn.Embedding(num_embeddings, dim)
        nn.init.ones_(self.scale.weight)
        nn.init.zeros_(self.shift.weight)

    def forward(self, x: torch.Tensor, cond_id: torch.Tensor) -> torch.Tensor:
        x = F.layer_norm(x, (self.dim,), eps=self.eps)
        return x * self.scale(cond_id) + self.shift(cond_id)


class ConvNeXtBlock(nn.Module):
    """Depthwise conv7 -> (Ada)LayerNorm -> MLP (GELU) -> layer scale, residual."""

    def __init__(
        self, dim: int, intermediate_dim: int, layer_scale_init_value: float,
        adanorm_num_embeddings: int | None,
    ) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, 7, padding=3, groups=dim)
        self.adanorm = adanorm_num_embeddings is not None
        self.norm: nn.Module = (AdaLayerNorm(adanorm_num_embeddings, dim) if adanorm_num_embeddings
                                else nn.LayerNorm(dim, eps=1e-6))
        self.pwconv1 = nn.Linear(dim, intermediate_dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(intermediate_dim, dim)
        self.gamma = (nn.Parameter(layer_scale_init_value * torch.ones(dim))
                      if layer_scale_init_value > 0 else None)

    def forward(
        self, x: torch.Tensor, cond_id: torch.Tensor | None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        h = self.dwconv(_apply_mask(x, mask)).transpose(1, 2)
        h = self.norm(h, cond_id) if self.adanorm else self.norm(h)
        h = self.pwconv2(self.act(self.pwconv1(h)))
        if self.gamma is not None:
            h = self.gamma * h
        return x + h.transpose(1, 2)


class VocosBackbone(nn.Module):
    """Features [B, C, L] -> hidden [B, L, dim] at the same frame rate."""

    def __init__(
        self, input_channels: int, dim: int, intermediate_dim: int, num_layers: int,
        layer_scale_init_value: float | None = None, adanorm_num_embeddings: int | None = None,
    ) -> None:
        super().__init__()
        self.input_channels = input_channels
        self.embed = nn.Conv1d(input_channels, dim, 7, padding=3)
        self.adanorm = adanorm_num_embeddings is not None
        self.norm: nn.Module = (AdaLayerNorm(adanorm_num_embeddings, dim) if adanorm_num_embeddings
                                else nn.LayerNorm(dim, eps=1e-6))
        scale = layer_scale_init_value or 1 / num_layers
        self.convnext = nn.ModuleList(
            [ConvNeXtBlock(dim, intermediate_dim, scale, adanorm_num_embeddings)
             for _ in range(num_layers)])
        self.final_layer_norm = nn.LayerNorm(dim, eps=1e-6)
        self.apply(self._init_weights)
        self.pos_net = nn.Sequential(
            PosResnetBlock(dim), PosResnetBlock(dim), PosAttention(dim),
            PosResnetBlock(dim), PosResnetBlock(dim), MaskedGroupNorm(32, dim, eps=1e-6))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Conv1d, nn.Linear)):
            nn.init.trunc_normal_(module.weight, std=0.02)
            nn.init.constant_(module.bias, 0)

    def forward(
        self, x: torch.Tensor, bandwidth_id: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> torch.Tensor:
        mask = _frame_mask(lengths, x.shape[-1], x.device)
        x = self.embed(_apply_mask(x, mask))
        for layer in self.pos_net:
            x = layer(x, mask)
        x = x.transpose(1, 2)
        if self.adanorm:
            if bandwidth_id is None:
                raise ValueError("this backbone is conditioned: pass bandwidth_id (e.g. 0)")
            x = self.norm(x, bandwidth_id)
        else:
            x = self.norm(x)
        x = x.transpose(1, 2)
        for block in self.convnext:
            x = block(x, bandwidth_id, mask)
        return self.final_layer_norm(x.transpose(1, 2))
