"""The inference-only shortcuts of the SEANet layers give exactly the values of the plain ops:
the copy-based reflect pad, the cached weight-norm weight, in-place ELU/residual adds."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from tokenizers_impl.varstok.layers import SConv1d, WeightNormConv1d, reflect_pad
from tokenizers_impl.varstok.seanet import ResnetBlock, SEANetEncoder


@pytest.mark.parametrize("length", [1, 2, 3, 5, 8, 37])
def test_reflect_pad_equals_torch_reflect(length: int) -> None:
    gen = torch.Generator().manual_seed(length)
    for left in range(5):
        for right in range(5):
            x = torch.randn(2, 3, length, generator=gen)
            if length > max(left, right):
                expected = F.pad(x, (left, right), mode="reflect")
            else:  # zero-extended first, then reflected, then the extension dropped
                extra = max(left, right) - length + 1
                expected = F.pad(F.pad(x, (0, extra)), (left, right), mode="reflect")
                expected = expected[..., : expected.shape[-1] - extra]
            got = reflect_pad(x, left, right)
            assert got.shape == expected.shape
            assert torch.equal(got, expected), (length, left, right)


def test_cached_weight_follows_parameter_updates() -> None:
    torch.manual_seed(0)
    conv = WeightNormConv1d(4, 6, 3)
    with torch.no_grad():
        first = conv.weight()
        assert conv.weight() is first  # reused while the parameters are unchanged
        assert torch.equal(first, torch._weight_norm(conv.weight_v, conv.weight_g, 0))
        conv.load_state_dict({k: v * 2 if k == "weight_g" else v
                              for k, v in conv.state_dict().items()})
        second = conv.weight()
    assert second is not first
    assert torch.equal(second, 2 * first)
    x = torch.randn(1, 4, 20, requires_grad=True)
    conv(x).sum().backward()  # with autograd on, a fresh weight that gradients flow through
    assert conv.weight_g.grad is not None and conv.weight_v.grad is not None


def _plain_conv(layer: SConv1d, x: torch.Tensor) -> torch.Tensor:
    """SConv1d as the official code runs it: F.pad(reflect), a freshly normalised weight."""
    inner = layer.conv.conv
    left, right, kernel = layer._pads()
    length = x.shape[-1]
    frames = (length - kernel + left + right) / inner.stride + 1
    ideal = (math.ceil(frames) - 1) * inner.stride + (kernel - left - right)
    x = F.pad(x, (left, right + ideal - length), mode="reflect")
    weight = torch._weight_norm(inner.weight_v, inner.weight_g, 0)
    return F.conv1d(x, weight, inner.bias, stride=inner.stride, dilation=inner.dilation)


def _plain_forward(encoder: SEANetEncoder, x: torch.Tensor) -> torch.Tensor:
    for layer in encoder.model:
        if isinstance(layer, SConv1d):
            x = _plain_conv(layer, x)
        elif isinstance(layer, ResnetBlock):
            h = _plain_conv(layer.block[1], F.elu(x))
            h = _plain_conv(layer.block[3], F.elu(h))
            x = _plain_conv(layer.shortcut, x) + h
        else:
            x = layer(x)
    return x


def test_encoder_inference_path_equals_plain_ops() -> None:
    torch.manual_seed(0)
    encoder = SEANetEncoder(n_filters=8, dimension=32, lstm_layers=1).eval()
    audio = torch.randn(1, 1, 24_010)
    with torch.inference_mode():
        fast = encoder(audio)
        again = encoder(audio)  # second call: cached weights
        plain = _plain_forward(encoder, audio)
    assert torch.equal(fast, plain)
    assert torch.equal(again, plain)
