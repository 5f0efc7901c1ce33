"""Plutok's VQ-VAE over converter latents: a stride-2 conv encoder (43 Hz), a vector quantiser
with an affine-transformed codebook (vqtorch ``VectorQuant`` semantics, ``affine_lr`` 10) and a
transposed-conv decoder back to the latent rate. Key names match the official ``model.pth``.

Inference never touches the codebook: the official code leaves the model in train mode, where
vqtorch's dead-code replacement rewrites rows on every encode; here lookups are pure functions.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

AFFINE_LR_SCALE = 10.0
"""vqtorch ``affine_lr``: effective codebook = (1 + 10·scale)·W + 10·bias (not stored on disk)."""
COMMIT_BETA = 0.98
SYNC_NU = 0.2
DEAD_CODE_TIMEOUT = 20
STRIDE = 2


class ResLayer(nn.Module):
    """x + relu(conv3(x))."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + F.relu(self.conv(x))


class AffineCodebookParams(nn.Module):
    """The learnable per-dimension scale and bias applied to the raw codebook."""

    def __init__(self, dim: int, lr_scale: float) -> None:
        super().__init__()
        self.lr_scale = lr_scale
        self.scale = nn.Parameter(torch.zeros(1, dim))
        self.bias = nn.Parameter(torch.zeros(1, dim))

    def forward(self, codebook: torch.Tensor) -> torch.Tensor:
        return (1.0 + self.lr_scale * self.scale) * codebook + self.lr_scale * self.bias


class AffineVectorQuantizer(nn.Module):
    """Nearest-code quantiser with an affine codebook (keys ``codebook.weight``,
    ``affine_transform.{scale,bias}``, ``_counts``). ``_counts`` is the dead-code timer of the
    official training run: loaded for key compatibility, used only by ``replace_dead_codes``."""

    def __init__(self, dim: int, num_codes: int, lr_scale: float = AFFINE_LR_SCALE) -> None:
        super().__init__()
        self.num_codes = num_codes
        self.codebook = nn.Embedding(num_codes, dim)
        self.affine_transform = AffineCodebookParams(dim, lr_scale)
        self.register_buffer("_counts", DEAD_CODE_TIMEOUT * torch.ones(num_codes))

    def effective_codebook(self) -> torch.Tensor:
        """[K, D] codebook actually used for distances and lookups."""
        return self.affine_transform(self.codebook.weight)

    def distances(self, z: torch.Tensor) -> torch.Tensor:
        """z [N, D] → Euclidean distances [N, K] (torch.cdist, the reference's formula family)."""
        return torch.cdist(z, self.effective_codebook())

    def nearest(self, z: torch.Tensor) -> torch.Tensor:
        """z [N, D] → code ids [N] (argmin distance; ties go to the lowest id)."""
        with torch.no_grad():
            return self.distances(z).argmin(dim=-1)

    def lookup(self, ids: torch.Tensor) -> torch.Tensor:
        """ids [...] → effective code vectors [..., D]."""
        return F.embedding(ids, self.effective_codebook())

    def quantize_for_training(
        self, z: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """z [N, D] → (straight-through z_q [N, D], commitment/codebook loss, ids [N])."""
        ids = self.nearest(z.detach())
        zq = self.lookup(ids)
        loss = (1.0 - COMMIT_BETA) * ((z - zq.detach()) ** 2).mean() + COMMIT_BETA * (
            (z.detach() - zq) ** 2
        ).mean()
        st = z + (zq - z).detach() + SYNC_NU * zq - (SYNC_NU * zq).detach()
        return st, loss, ids

    @torch.no_grad()
    def replace_dead_codes(self, z: torch.Tensor, ids: torch.Tensor, rho: float = 0.01) -> int:
        """Training-only: count down unused codes and re-seed the ones that timed out from
        shuffled encoder outputs plus noise (vqtorch's LRU policy). Returns rows replaced."""
        self._counts -= 1
        self._counts[torch.unique(ids)] = DEAD_CODE_TIMEOUT
        dead = torch.nonzero(self._counts <= 0).squeeze(-1)
        if dead.numel() == 0:
            return 0
        pool = z.detach()[torch.randperm(z.shape[0], device=z.device)]
        pool = pool.repeat(dead.numel() // pool.shape[0] + 1, 1)[: dead.numel()]
        pool = pool + rho * pool.norm(dim=-1, keepdim=True) * torch.randn_like(pool)
        self.codebook.weight.data[dead] = pool
        self._counts[dead] += DEAD_CODE_TIMEOUT
        return int(dead.numel())


class VQVAE(nn.Module):
    """Content-latent VQ-VAE: z_p [B, h, T] → ids [B, ceil(T/2)] → features [B, h, 2·N]."""

    def __init__(self, h_dim: int = 192, num_codes: int = 200) -> None:
        super().__init__()
        self.h_dim = h_dim
        h2, h4 = 2 * h_dim, 4 * h_dim
        self.encoder = nn.Sequential(
            ResLayer(h_dim),
            nn.Conv1d(h_dim, h2, kernel_size=3, stride=STRIDE, padding=1),
            nn.ReLU(),
            *[ResLayer(h2) for _ in range(4)],
            nn.Conv1d(h2, h4, kernel_size=3, stride=1, padding=1),
            nn.ReLU(),
            *[ResLayer(h4) for _ in range(4)],
            nn.Conv1d(h4, h4, kernel_size=3, stride=1, padding=1),
        )
        self.decoder = nn.Sequential(
            ResLayer(h4),
            ResLayer(h4),
            nn.ConvTranspose1d(h4, h_dim, kernel_size=4, stride=STRIDE, padding=1),
            nn.ReLU(),
            *[ResLayer(h_dim) for _ in range(5)],
            nn.Conv1d(h_dim, h_dim, kernel_size=3, stride=1, padding=1),
        )
        self.vq_layer = AffineVectorQuantizer(h4, num_codes)

    @property
    def num_codes(self) -> int:
        return self.vq_layer.num_codes

    def encode_latent(self, z_p: torch.Tensor) -> torch.Tensor:
        """z_p [B, h, T] → encoder output z_e [B, 4h, ceil(T/2)]."""
        return self.encoder(z_p)

    def ids_from_latent(self, z_e: torch.Tensor) -> torch.Tensor:
        """z_e [B, 4h, N] → ids [B, N]."""
        b, c, n = z_e.shape
        return self.vq_layer.nearest(z_e.transpose(1, 2).reshape(-1, c)).reshape(b, n)

    def predict(self, z_p: torch.Tensor) -> torch.Tensor:
        """z_p [B, h, T] → ids [B, ceil(T/2)] (eval semantics: the codebook is never changed)."""
        return self.ids_from_latent(self.encode_latent(z_p))

    def decode(self, ids: torch.Tensor) -> torch.Tensor:
        """ids [B, N] → features [B, h, 2N]."""
        if ids.dim() == 1:
            ids = ids.unsqueeze(0)
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.num_codes):
            raise ValueError(
                f"VQ ids must lie in [0, {self.num_codes}), got [{int(ids.min())}, "
                f"{int(ids.max())}]"
            )
        return self.decoder(self.vq_layer.lookup(ids).transpose(1, 2))

    def forward(self, z_p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training pass: z_p → (reconstruction [B, h, 2N], VQ loss, ids [B, N])."""
        z_e = self.encode_latent(z_p)
        b, c, n = z_e.shape
        flat = z_e.transpose(1, 2).reshape(-1, c)
        zq, vq_loss, ids = self.vq_layer.quantize_for_training(flat)
        if self.training:
            self.vq_layer.replace_dead_codes(flat, ids)
        recon = self.decoder(zq.reshape(b, n, c).transpose(1, 2))
        return recon, vq_loss, ids.reshape(b, n)
