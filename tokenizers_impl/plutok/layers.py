"""Building blocks of the OpenVoice converter: weight-normalised convolutions (legacy
``weight_g``/``weight_v`` parameter names, so official checkpoints load unchanged) and the
gated dilated-convolution stack (WaveNet-style) shared by the posterior encoder and the flow."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

LEAKY_SLOPE = 0.1
"""Leaky-ReLU slope inside the HiFi-GAN generator (the final activation uses torch's 0.01)."""


def _normed_weight(direction: torch.Tensor, magnitude: torch.Tensor) -> torch.Tensor:
    """w = g · v / ||v||, the norm taken over every dimension but the first (dim=0 weight norm)."""
    dims = tuple(range(1, direction.dim()))
    return direction * (magnitude / torch.linalg.vector_norm(direction, dim=dims, keepdim=True))


class _WeightNormMixin(nn.Module):
    """Replaces ``weight`` of a conv layer by the pair ``weight_g`` (magnitude), ``weight_v``."""

    def _split_weight(self) -> None:
        weight = self.weight
        del self.weight
        dims = tuple(range(1, weight.dim()))
        self.weight_g = nn.Parameter(
            torch.linalg.vector_norm(weight.detach(), dim=dims, keepdim=True).clone()
        )
        self.weight_v = nn.Parameter(weight.detach().clone())

    def current_weight(self) -> torch.Tensor:
        return _normed_weight(self.weight_v, self.weight_g)


class WNConv1d(nn.Conv1d, _WeightNormMixin):
    """Conv1d whose weight is stored as (weight_g, weight_v)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._split_weight()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.current_weight(), self.bias)


class WNConv2d(nn.Conv2d, _WeightNormMixin):
    """Conv2d whose weight is stored as (weight_g, weight_v)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._split_weight()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.current_weight(), self.bias)


class WNConvTranspose1d(nn.ConvTranspose1d, _WeightNormMixin):
    """ConvTranspose1d whose weight is stored as (weight_g, weight_v); g is per input channel."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._split_weight()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose1d(
            x, self.current_weight(), self.bias, self.stride, self.padding,
            self.output_padding, self.groups, self.dilation,
        )


class GatedConvStack(nn.Module):
    """Non-causal WaveNet stack: dilated conv → tanh·sigmoid gate (plus speaker conditioning)
    → residual and skip 1×1 convs. Key names follow OpenVoice's ``WN`` module."""

    def __init__(
        self, hidden: int, kernel_size: int, dilation_rate: int, n_layers: int, gin: int
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.hidden = hidden
        self.n_layers = n_layers
        self.in_layers = nn.ModuleList()
        self.res_skip_layers = nn.ModuleList()
        if gin:
            self.cond_layer = WNConv1d(gin, 2 * hidden * n_layers, 1)
        for i in range(n_layers):
            dilation = dilation_rate**i
            padding = (kernel_size * dilation - dilation) // 2
            self.in_layers.append(
                WNConv1d(hidden, 2 * hidden, kernel_size, dilation=dilation, padding=padding)
            )
            out = 2 * hidden if i < n_layers - 1 else hidden
            self.res_skip_layers.append(WNConv1d(hidden, out, 1))

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor, g: torch.Tensor | None = None
    ) -> torch.Tensor:
        skip = torch.zeros_like(x)
        cond = self.cond_layer(g) if g is not None else None
        h = self.hidden
        for i in range(self.n_layers):
            pre = self.in_layers[i](x)
            if cond is not None:
                pre = pre + cond[:, 2 * h * i : 2 * h * (i + 1), :]
            acts = torch.tanh(pre[:, :h]) * torch.sigmoid(pre[:, h:])
            res_skip = self.res_skip_layers[i](acts)
            if i < self.n_layers - 1:
                x = (x + res_skip[:, :h]) * mask
                skip = skip + res_skip[:, h:]
            else:
                skip = skip + res_skip
        return skip * mask


class ResBlock1(nn.Module):
    """HiFi-GAN residual block type 1: three (dilated conv, conv) pairs with leaky ReLU."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...]) -> None:
        super().__init__()

        def conv(d: int) -> WNConv1d:
            return WNConv1d(
                channels, channels, kernel_size, 1, dilation=d, padding=(kernel_size * d - d) // 2
            )

        self.convs1 = nn.ModuleList([conv(d) for d in dilations])
        self.convs2 = nn.ModuleList([conv(1) for _ in dilations])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c1, c2 in zip(self.convs1, self.convs2, strict=True):
            y = c2(F.leaky_relu(c1(F.leaky_relu(x, LEAKY_SLOPE)), LEAKY_SLOPE))
            x = x + y
        return x


class ResBlock2(nn.Module):
    """HiFi-GAN residual block type 2: dilated convs with leaky ReLU, one conv per dilation."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            WNConv1d(channels, channels, kernel_size, 1, dilation=d,
                     padding=(kernel_size * d - d) // 2)
            for d in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c in self.convs:
            x = x + c(F.leaky_relu(x, LEAKY_SLOPE))
        return x
