"""Weight-normalised convolutions and length-aware padding used by the SEANet encoder/decoder.

Parameters are named ``weight_g`` / ``weight_v`` / ``bias`` so ``state_dict()`` keys match the
official (legacy ``torch.nn.utils.weight_norm``) checkpoints without any renaming.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class WeightNormConv1d(nn.Module):
    """Conv1d whose weight is ``g * v / ||v||`` (norm over all dims but 0), legacy key names."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        dilation: int = 1,
        transposed: bool = False,
    ) -> None:
        super().__init__()
        self.stride = stride
        self.dilation = dilation
        self.kernel_size = kernel_size
        self.transposed = transposed
        shape = (in_channels, out_channels, kernel_size) if transposed else (
            out_channels, in_channels, kernel_size)
        proto = (nn.ConvTranspose1d if transposed else nn.Conv1d)(
            in_channels, out_channels, kernel_size, stride=stride, dilation=dilation)
        weight = proto.weight.detach()
        assert tuple(weight.shape) == shape
        self.weight_g = nn.Parameter(weight.flatten(1).norm(dim=1).view(-1, 1, 1).clone())
        self.weight_v = nn.Parameter(weight.clone())
        self.bias = nn.Parameter(proto.bias.detach().clone())

    def weight(self) -> torch.Tensor:
        """``g * v / ||v||``; with autograd off it is computed once per parameter version and
        device, then reused (the same op, so the same values): re-deriving it per call is waste."""
        if torch.is_grad_enabled():
            return torch._weight_norm(self.weight_v, self.weight_g, 0)
        key = (self.weight_v._version, self.weight_g._version, self.weight_v.data_ptr(),
               self.weight_g.data_ptr(), self.weight_v.device, self.weight_v.dtype)
        cached = self.__dict__.get("_cached_weight")
        if cached is None or cached[0] != key:
            with torch.no_grad():
                cached = (key, torch._weight_norm(self.weight_v, self.weight_g, 0))
            self.__dict__["_cached_weight"] = cached
        return cached[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.transposed:
            return F.conv_transpose1d(x, self.weight(), self.bias, stride=self.stride)
        return F.conv1d(x, self.weight(), self.bias, stride=self.stride, dilation=self.dilation)


class _NormConv(nn.Module):
    """Holds the conv under the attribute name official checkpoints use (``conv``/``convtr``)."""

    def __init__(self, conv: WeightNormConv1d, attr: str) -> None:
        super().__init__()
        self.attr = attr
        setattr(self, attr, conv)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return getattr(self, self.attr)(x)


def reflect_pad(x: torch.Tensor, left: int, right: int) -> torch.Tensor:
    """Reflect padding that also works when the signal is shorter than the pad (zero-extends)."""
    length = x.shape[-1]
    max_pad = max(left, right)
    if length > max_pad:  # the usual case: three copies, the same values as F.pad(reflect)
        out = x.new_empty(*x.shape[:-1], left + length + right)
        out[..., left : left + length].copy_(x)
        if left:
            out[..., :left].copy_(x[..., 1 : left + 1].flip(-1))
        if right:
            out[..., left + length :].copy_(x[..., length - 1 - right : length - 1].flip(-1))
        return out
    extra = max_pad - length + 1
    padded = F.pad(F.pad(x, (0, extra)), (left, right), mode="reflect")
    return padded[..., : padded.shape[-1] - extra]


def reflect_pad_per_item(
    x: torch.Tensor, lengths: torch.Tensor, left: int, right: torch.Tensor
) -> torch.Tensor:
    """Pad every item of a padded batch [B, C, T] as ``reflect_pad`` would pad it alone.

    ``lengths`` [B] are the real lengths, ``right`` [B] the per-item right pad. Item ``b`` ends up
    in columns ``[0, left + lengths[b] + right[b])``; columns after that are zero.
    """
    batch, channels, _ = x.shape
    n = lengths.view(-1, 1)
    right = right.view(-1, 1)
    width = int((left + lengths + right.view(-1)).max())
    q = torch.arange(width, device=x.device).view(1, -1)
    max_pad = torch.clamp(right, min=left)
    ext = torch.maximum(n, max_pad + 1)
    r = (q - left).abs()
    r = torch.where(r >= ext, 2 * (ext - 1) - r, r)
    zero_slot = x.shape[-1]
    invalid = (r >= n) | (r < 0) | (q >= left + n + right)
    index = torch.where(invalid, torch.full_like(r, zero_slot), r)
    source = F.pad(x, (0, 1))
    return torch.gather(source, 2, index.unsqueeze(1).expand(batch, channels, width))


class SConv1d(nn.Module):
    """Non-causal conv with the official 'same'-style asymmetric reflect padding.

    Output length is ``ceil(length / stride)``. With ``lengths`` each item of a padded batch is
    padded at its own end, so batched results equal one-at-a-time results on the real frames.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        self.conv = _NormConv(
            WeightNormConv1d(in_channels, out_channels, kernel_size, stride, dilation), "conv")

    @property
    def stride(self) -> int:
        return self.conv.conv.stride

    def _pads(self) -> tuple[int, int, int]:
        inner = self.conv.conv
        kernel = (inner.kernel_size - 1) * inner.dilation + 1
        total = kernel - inner.stride
        right = total // 2
        return total - right, right, kernel

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return torch.div(lengths + self.stride - 1, self.stride, rounding_mode="floor")

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        left, right, kernel = self._pads()
        stride = self.stride
        if lengths is None:
            length = x.shape[-1]
            frames = (length - kernel + left + right) / stride + 1
            ideal = (math.ceil(frames) - 1) * stride + (kernel - left - right)
            x = reflect_pad(x, left, right + ideal - length)
        else:
            extra = self.output_lengths(lengths) * stride - lengths
            x = reflect_pad_per_item(x, lengths, left, right + extra)
        return self.conv(x)


class SConvTranspose1d(nn.Module):
    """Non-causal transposed conv trimming ``kernel - stride`` samples (right: the floor half)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.convtr = _NormConv(
            WeightNormConv1d(in_channels, out_channels, kernel_size, stride, transposed=True),
            "convtr")
        self.kernel_size = kernel_size
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.convtr(x)
        total = self.kernel_size - self.stride
        right = total // 2
        left = total - right
        return y[..., left : y.shape[-1] - right]
