"""Speaker-embedding side information: Plutok sends ``se`` outside the token stream, so its
bit cost must be counted. Quantisers for 32 (float32), 16 (float16) and 8 bits (symmetric int8
per vector with one float16 scale) and their measured error."""

from __future__ import annotations

import torch

SE_BITS_CHOICES = (32, 16, 8)
INT8_LEVELS = 127
SCALE_BITS = 16


def se_bits_per_utterance(dim: int, se_bits: int) -> int:
    """Bits to store one ``dim``-wide embedding at ``se_bits`` (int8 adds its fp16 scale)."""
    if se_bits not in SE_BITS_CHOICES:
        raise ValueError(f"se_bits must be one of {SE_BITS_CHOICES}, got {se_bits}")
    return dim * se_bits + (SCALE_BITS if se_bits == 8 else 0)


def quantize_se(se: torch.Tensor, se_bits: int) -> torch.Tensor:
    """se [B, D] → what the receiver reconstructs after storing it at ``se_bits`` (float32)."""
    se = se.to(torch.float32)
    if se_bits == 32:
        return se.clone()
    if se_bits == 16:
        return se.to(torch.float16).to(torch.float32)
    if se_bits == 8:
        peak = se.abs().amax(dim=-1, keepdim=True)
        scale = (peak / INT8_LEVELS).to(torch.float16).to(torch.float32)
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        codes = torch.clamp(torch.round(se / scale), -INT8_LEVELS, INT8_LEVELS)
        return codes * scale
    raise ValueError(f"se_bits must be one of {SE_BITS_CHOICES}, got {se_bits}")


def cosine_error(se: torch.Tensor, se_bits: int) -> torch.Tensor:
    """1 - cos(se, quantised se) per row [B]; 0 for float32."""
    q = quantize_se(se, se_bits)
    cos = torch.nn.functional.cosine_similarity(se.to(torch.float64), q.to(torch.float64), dim=-1)
    return (1.0 - cos).clamp_min(0.0)
