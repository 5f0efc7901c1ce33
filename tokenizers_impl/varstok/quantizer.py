"""Single-codebook Euclidean VQ (EnCodec-style EMA codebook with k-means init), with masking.

Module path mirrors the official checkpoints: ``quantizer.vq.layers.0._codebook.{inited,
cluster_size, embed, embed_avg}``. Training behaviour follows the official EncodecFeatures path:
the codebook is not trained by gradients but by an exponential moving average (decay 0.99) of the
assigned encoder vectors, it is initialised by k-means on the first batch (``vq_kmeans`` iters) when
``inited`` is 0, codes whose EMA usage falls below 2 are replaced by random batch vectors, and the
encoder gets a commitment loss ``mse(x, sg(q))`` (weight 1) plus a straight-through estimator.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _sample_vectors(samples: torch.Tensor, num: int) -> torch.Tensor:
    if samples.shape[0] >= num:
        index = torch.randperm(samples.shape[0], device=samples.device)[:num]
    else:
        index = torch.randint(0, samples.shape[0], (num,), device=samples.device)
    return samples[index]


def kmeans(
    samples: torch.Tensor, num_clusters: int, num_iters: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Plain Lloyd k-means on [N, D]; empty clusters keep their previous centre."""
    means = _sample_vectors(samples, num_clusters)
    bins = torch.zeros(num_clusters, dtype=torch.long, device=samples.device)
    for _ in range(num_iters):
        dists = torch.cdist(samples, means)
        buckets = dists.argmin(dim=-1)
        bins = torch.bincount(buckets, minlength=num_clusters)
        sums = torch.zeros_like(means).index_add_(0, buckets, samples)
        new_means = sums / bins.clamp(min=1).unsqueeze(1).to(samples.dtype)
        means = torch.where((bins == 0).unsqueeze(1), means, new_means)
    return means, bins


class EuclideanCodebook(nn.Module):
    """Codebook [bins, dim] as buffers, nearest-neighbour lookup by squared Euclidean distance."""

    def __init__(
        self, dim: int, codebook_size: int, kmeans_init: bool = True, kmeans_iters: int = 200,
        decay: float = 0.99, epsilon: float = 1e-5, threshold_ema_dead_code: float = 2.0,
    ) -> None:
        super().__init__()
        self.codebook_size = codebook_size
        self.kmeans_iters = kmeans_iters
        self.decay = decay
        self.epsilon = epsilon
        self.threshold_ema_dead_code = threshold_ema_dead_code
        embed = torch.zeros(codebook_size, dim)
        if not kmeans_init:
            nn.init.kaiming_uniform_(embed)
        self.register_buffer("inited", torch.tensor([float(not kmeans_init)]))
        self.register_buffer("cluster_size", torch.zeros(codebook_size))
        self.register_buffer("embed", embed)
        self.register_buffer("embed_avg", embed.clone())

    def quantize(self, x: torch.Tensor) -> torch.Tensor:
        """x [N, D] -> nearest code index [N] (same distance expression as the official code)."""
        embed = self.embed.t()
        dist = -(x.pow(2).sum(1, keepdim=True) - 2 * x @ embed + embed.pow(2).sum(0, keepdim=True))
        return dist.max(dim=-1).indices

    def dequantize(self, index: torch.Tensor) -> torch.Tensor:
        return F.embedding(index, self.embed)

    @torch.no_grad()
    def init_from_kmeans(self, samples: torch.Tensor) -> None:
        if bool(self.inited.item()):
            return
        embed, bins = kmeans(samples, self.codebook_size, self.kmeans_iters)
        self.embed.copy_(embed)
        self.embed_avg.copy_(embed)
        self.cluster_size.copy_(bins.to(self.cluster_size.dtype))
        self.inited.fill_(1.0)

    @torch.no_grad()
    def ema_update(self, samples: torch.Tensor, index: torch.Tensor) -> None:
        """Dead-code replacement, then EMA of code usage and of the assigned vectors' sums."""
        if self.threshold_ema_dead_code > 0:
            expired = self.cluster_size < self.threshold_ema_dead_code
            if bool(expired.any()):
                replacement = _sample_vectors(samples, self.codebook_size)
                self.embed.copy_(torch.where(expired.unsqueeze(1), replacement, self.embed))
        onehot = F.one_hot(index, self.codebook_size).to(samples.dtype)
        self.cluster_size.mul_(self.decay).add_(onehot.sum(0), alpha=1 - self.decay)
        self.embed_avg.mul_(self.decay).add_((samples.t() @ onehot).t(), alpha=1 - self.decay)
        total = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.epsilon) / (
            total + self.codebook_size * self.epsilon) * total
        self.embed.copy_(self.embed_avg / smoothed.unsqueeze(1))


class _VQLayer(nn.Module):
    def __init__(self, codebook: EuclideanCodebook) -> None:
        super().__init__()
        self._codebook = codebook


class _VQLayers(nn.Module):
    def __init__(self, codebook: EuclideanCodebook) -> None:
        super().__init__()
        self.layers = nn.ModuleList([_VQLayer(codebook)])


class VectorQuantizer(nn.Module):
    """x [B, D, L] (+ mask [B, L]) -> quantized [B, D, L], codes [1, B, L] (-1 masked), loss."""

    def __init__(
        self, dimension: int = 512, bins: int = 4096, kmeans_iters: int = 200,
        decay: float = 0.99, kmeans_init: bool = True, commitment_weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.dimension = dimension
        self.bins = bins
        self.commitment_weight = commitment_weight
        codebook = EuclideanCodebook(dimension, bins, kmeans_init, kmeans_iters, decay)
        self.vq = _VQLayers(codebook)

    @property
    def codebook(self) -> EuclideanCodebook:
        return self.vq.layers[0]._codebook

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        batch, dim, length = x.shape
        flat = x.transpose(1, 2).reshape(-1, dim)
        keep = (torch.ones(flat.shape[0], dtype=torch.bool, device=x.device) if mask is None
                else mask.reshape(-1).bool())
        valid = flat[keep]
        book = self.codebook
        if self.training:
            book.init_from_kmeans(valid.detach())
        index_valid = book.quantize(valid)
        quant_valid = book.dequantize(index_valid)
        quant = torch.zeros_like(flat)
        quant[keep] = quant_valid
        codes = torch.full((flat.shape[0],), -1, dtype=torch.long, device=x.device)
        codes[keep] = index_valid
        loss = torch.zeros((), device=x.device)
        if self.training:
            book.ema_update(valid.detach(), index_valid)
            if self.commitment_weight > 0 and valid.numel():
                loss = F.mse_loss(quant_valid.detach(), valid) * self.commitment_weight
            quant = flat + (quant - flat).detach()
        quantized = quant.view(batch, length, dim).transpose(1, 2)
        return quantized, codes.view(1, batch, length), loss

    def encode(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Code indices [1, B, L] (-1 where masked) without touching the codebook."""
        batch, dim, length = x.shape
        index = self.codebook.quantize(x.transpose(1, 2).reshape(-1, dim)).view(batch, length)
        if mask is not None:
            index = index.masked_fill(~mask.bool(), -1)
        return index.unsqueeze(0)

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        """codes [B, L] (negative = padding, decoded as zeros) -> features [B, D, L]."""
        valid = codes >= 0
        feats = self.codebook.dequantize(codes.clamp(min=0)) * valid.unsqueeze(-1)
        return feats.transpose(1, 2)
