"""Multi-period and multi-resolution discriminators of the WavTokenizer/Vocos GAN objective.

Layouts follow the official training code so checkpoints carry the same keys
(``multiperioddisc.discriminators.{i}.convs.{j}.weight_g`` ...); channel widths are arguments so a
tiny CPU run can shrink them (defaults are the official widths).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

DiscOutput = tuple[list[torch.Tensor], list[torch.Tensor], list[list[torch.Tensor]],
                   list[list[torch.Tensor]]]
"""(scores on real, scores on generated, feature maps on real, feature maps on generated)."""


def _weight_norm(module: nn.Module) -> nn.Module:
    """Classic weight norm (``weight_g``/``weight_v`` keys, as in the official checkpoints)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return nn.utils.weight_norm(module)


def _conditioned(x: torch.Tensor, post: nn.Module, emb: nn.Embedding | None,
                 cond_id: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply the output conv; return (score with the projection term for ``cond_id``, raw map)."""
    raw = post(x)
    if emb is None or cond_id is None:
        return raw, raw
    weight = emb(cond_id).view(1, -1, 1, 1)
    return raw + (weight * x).sum(dim=1, keepdim=True), raw


class PeriodDiscriminator(nn.Module):
    """HiFi-GAN period discriminator: the waveform folded into ``[T/p, p]`` and 2-D convolved."""

    def __init__(self, period: int, channels: Sequence[int] = (32, 128, 512, 1024, 1024),
                 kernel_size: int = 5, stride: int = 3, num_embeddings: int | None = None,
                 lrelu_slope: float = 0.1) -> None:
        super().__init__()
        self.period = period
        self.lrelu_slope = lrelu_slope
        widths = [1, *channels]
        pad = (kernel_size // 2, 0)
        self.convs = nn.ModuleList(
            _weight_norm(nn.Conv2d(widths[i], widths[i + 1], (kernel_size, 1),
                                   (stride if i < len(channels) - 1 else 1, 1), padding=pad))
            for i in range(len(channels))
        )
        self.emb = None
        if num_embeddings is not None:
            self.emb = nn.Embedding(num_embeddings, channels[-1])
            nn.init.zeros_(self.emb.weight)
        self.conv_post = _weight_norm(nn.Conv2d(channels[-1], 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, x: torch.Tensor, cond_id: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = x.unsqueeze(1)
        length = x.shape[-1]
        if length % self.period:
            x = F.pad(x, (0, self.period - length % self.period), mode="reflect")
        x = x.view(x.shape[0], 1, -1, self.period)
        fmap: list[torch.Tensor] = []
        for i, conv in enumerate(self.convs):
            x = F.leaky_relu(conv(x), self.lrelu_slope)
            if i > 0:
                fmap.append(x)
        out, last = _conditioned(x, self.conv_post, self.emb, cond_id)
        fmap.append(last)
        return torch.flatten(out, 1, -1), fmap


class ResolutionDiscriminator(nn.Module):
    """UnivNet-style discriminator on a rectangular-window magnitude spectrogram."""

    def __init__(self, resolution: tuple[int, int, int], channels: int = 64,
                 num_embeddings: int | None = None, lrelu_slope: float = 0.1) -> None:
        super().__init__()
        self.resolution = tuple(resolution)
        self.lrelu_slope = lrelu_slope
        c = channels
        self.convs = nn.ModuleList([
            _weight_norm(nn.Conv2d(1, c, kernel_size=(7, 5), stride=(2, 2), padding=(3, 2))),
            _weight_norm(nn.Conv2d(c, c, kernel_size=(5, 3), stride=(2, 1), padding=(2, 1))),
            _weight_norm(nn.Conv2d(c, c, kernel_size=(5, 3), stride=(2, 2), padding=(2, 1))),
            _weight_norm(nn.Conv2d(c, c, kernel_size=3, stride=(2, 1), padding=1)),
            _weight_norm(nn.Conv2d(c, c, kernel_size=3, stride=(2, 2), padding=1)),
        ])
        self.emb = None
        if num_embeddings is not None:
            self.emb = nn.Embedding(num_embeddings, c)
            nn.init.zeros_(self.emb.weight)
        self.conv_post = _weight_norm(nn.Conv2d(c, 1, (3, 3), padding=(1, 1)))

    def spectrogram(self, x: torch.Tensor) -> torch.Tensor:
        n_fft, hop, win = self.resolution
        window = torch.ones(win, device=x.device, dtype=x.dtype)  # rectangular, as official
        return torch.stft(x, n_fft=n_fft, hop_length=hop, win_length=win, window=window,
                          center=True, return_complex=True).abs()

    def forward(self, x: torch.Tensor, cond_id: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        x = self.spectrogram(x).unsqueeze(1)
        fmap: list[torch.Tensor] = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), self.lrelu_slope)
            fmap.append(x)
        out, last = _conditioned(x, self.conv_post, self.emb, cond_id)
        fmap.append(last)
        return torch.flatten(out, 1, -1), fmap


class _DiscriminatorBank(nn.Module):
    """Runs every sub-discriminator on the real and the generated waveform."""

    discriminators: nn.ModuleList

    def forward(self, y: torch.Tensor, y_hat: torch.Tensor,
                bandwidth_id: torch.Tensor | None = None) -> DiscOutput:
        real_scores, fake_scores, real_maps, fake_maps = [], [], [], []
        for disc in self.discriminators:
            score_r, fmap_r = disc(y, bandwidth_id)
            score_g, fmap_g = disc(y_hat, bandwidth_id)
            real_scores.append(score_r)
            fake_scores.append(score_g)
            real_maps.append(fmap_r)
            fake_maps.append(fmap_g)
        return real_scores, fake_scores, real_maps, fake_maps


class MultiPeriodDiscriminator(_DiscriminatorBank):
    """Period discriminators for periods (2, 3, 5, 7, 11) by default."""

    def __init__(self, periods: Sequence[int] = (2, 3, 5, 7, 11),
                 channels: Sequence[int] = (32, 128, 512, 1024, 1024),
                 num_embeddings: int | None = None) -> None:
        super().__init__()
        self.discriminators = nn.ModuleList(
            PeriodDiscriminator(p, channels=channels, num_embeddings=num_embeddings)
            for p in periods
        )


class MultiResolutionDiscriminator(_DiscriminatorBank):
    """Spectrogram discriminators at (n_fft, hop, win) = (1024,256,1024), (2048,512,2048),
    (512,128,512) by default."""

    def __init__(self, resolutions: Sequence[Sequence[int]] = ((1024, 256, 1024),
                                                               (2048, 512, 2048),
                                                               (512, 128, 512)),
                 channels: int = 64, num_embeddings: int | None = None) -> None:
        super().__init__()
        self.discriminators = nn.ModuleList(
            ResolutionDiscriminator(tuple(r), channels=channels, num_embeddings=num_embeddings)
            for r in resolutions
        )
