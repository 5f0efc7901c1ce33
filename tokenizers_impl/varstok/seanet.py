"""SEANet encoder (and the unused decoder kept for checkpoint compatibility), EnCodec layout.

Default widths reproduce the official VARSTok/WavTokenizer model (strides 8,5,4,2 -> 320 samples
per frame = 75 Hz at 24 kHz, 32 base filters, 2-layer LSTM, 512-dim output).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tokenizers_impl.varstok.layers import SConv1d, SConvTranspose1d


class ResnetBlock(nn.Module):
    """ELU-conv(k=3)-ELU-conv(k=1) branch (half width) plus a 1x1 conv shortcut."""

    def __init__(
        self, dim: int, kernel_size: int = 3, dilation: int = 1, compress: int = 2
    ) -> None:
        super().__init__()
        hidden = dim // compress
        self.block = nn.Sequential(
            nn.ELU(alpha=1.0),
            SConv1d(dim, hidden, kernel_size, dilation=dilation),
            nn.ELU(alpha=1.0),
            SConv1d(hidden, dim, 1),
        )
        self.shortcut = SConv1d(dim, dim, 1)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        h = self.block[0](x)
        h = self.block[1](h, lengths)
        if torch.is_grad_enabled():
            h = self.block[3](self.block[2](h), lengths)
            return self.shortcut(x, lengths) + h
        # inference: the same ops in place on intermediates (identical values, no new buffers)
        h = self.block[3](F.elu_(h), lengths)
        return self.shortcut(x, lengths).add_(h)


class SkipLSTM(nn.Module):
    """Unidirectional LSTM over time with a residual connection (input/output [B, C, T])."""

    def __init__(self, dim: int, num_layers: int = 2) -> None:
        super().__init__()
        self.lstm = nn.LSTM(dim, dim, num_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.lstm(x.permute(2, 0, 1))
        return y.permute(1, 2, 0) + x


class SEANetEncoder(nn.Module):
    """Waveform [B, 1, N] -> embeddings [B, dimension, ceil(N / prod(ratios))]."""

    def __init__(
        self,
        ratios: tuple[int, ...] | list[int] = (8, 5, 4, 2),
        n_filters: int = 32,
        dimension: int = 512,
        lstm_layers: int = 2,
        channels: int = 1,
        kernel_size: int = 7,
        last_kernel_size: int = 7,
    ) -> None:
        super().__init__()
        self.ratios = list(reversed(list(ratios)))
        self.hop_length = math.prod(self.ratios)
        self.dimension = dimension
        mult = 1
        layers: list[nn.Module] = [SConv1d(channels, n_filters, kernel_size)]
        for ratio in self.ratios:
            layers += [
                ResnetBlock(mult * n_filters),
                nn.ELU(alpha=1.0),
                SConv1d(mult * n_filters, mult * n_filters * 2, ratio * 2, stride=ratio),
            ]
            mult *= 2
        if lstm_layers:
            layers.append(SkipLSTM(mult * n_filters, lstm_layers))
        layers += [nn.ELU(alpha=1.0), SConv1d(mult * n_filters, dimension, last_kernel_size)]
        self.model = nn.Sequential(*layers)

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames per item for sample lengths [B] (ceil division by each stride in turn)."""
        for ratio in self.ratios:
            lengths = torch.div(lengths + ratio - 1, ratio, rounding_mode="floor")
        return lengths

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """x [B, 1, N]; with ``lengths`` [B] every item is padded at its own end (batch-exact)."""
        for layer in self.model:
            if isinstance(layer, SConv1d):
                x = layer(x, lengths)
                if lengths is not None:
                    lengths = layer.output_lengths(lengths)
            elif isinstance(layer, ResnetBlock):
                x = layer(x, lengths)
            elif isinstance(layer, nn.ELU) and not torch.is_grad_enabled():
                x = F.elu_(x)  # x is always an intermediate here (the first layer is a conv)
            else:
                x = layer(x)
        return x


class SEANetDecoder(nn.Module):
    """Embeddings -> waveform. Unused at inference; present so official keys load strictly."""

    def __init__(
        self,
        ratios: tuple[int, ...] | list[int] = (8, 5, 4, 2),
        n_filters: int = 32,
        dimension: int = 512,
        lstm_layers: int = 2,
        channels: int = 1,
        kernel_size: int = 7,
        last_kernel_size: int = 7,
    ) -> None:
        super().__init__()
        mult = 2 ** len(ratios)
        layers: list[nn.Module] = [SConv1d(dimension, mult * n_filters, kernel_size)]
        if lstm_layers:
            layers.append(SkipLSTM(mult * n_filters, lstm_layers))
        for ratio in ratios:
            layers += [
                nn.ELU(alpha=1.0),
                SConvTranspose1d(mult * n_filters, mult * n_filters // 2, ratio * 2, ratio),
                ResnetBlock(mult * n_filters // 2),
            ]
            mult //= 2
        layers += [nn.ELU(alpha=1.0), SConv1d(n_filters, channels, last_kernel_size)]
        self.model = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model(z)
