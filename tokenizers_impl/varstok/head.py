"""ISTFT head: hidden frames -> log-magnitude and phase -> waveform by inverse STFT.

'same' padding trims ``(n_fft - hop) / 2`` samples at each end so L frames give exactly
``L * hop`` samples (overlap-add by ``fold`` and division by the window envelope, as
``torch.istft`` cannot trim this way). With ``lengths`` padded frames contribute nothing and each
item's envelope only counts its own frames, so batched output equals per-item output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ISTFT(nn.Module):
    """Inverse STFT with 'same' or 'center' padding and a Hann window buffer."""

    def __init__(self, n_fft: int, hop_length: int, win_length: int, padding: str = "same") -> None:
        super().__init__()
        if padding not in ("center", "same"):
            raise ValueError(f"padding must be 'center' or 'same', got {padding!r}")
        self.padding = padding
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.register_buffer("window", torch.hann_window(win_length))

    def forward(self, spec: torch.Tensor, frame_mask: torch.Tensor | None = None) -> torch.Tensor:
        """spec [B, n_fft/2+1, L] complex -> [B, L * hop] ('same')."""
        if self.padding == "center":
            return torch.istft(spec, self.n_fft, self.hop_length, self.win_length, self.window,
                               center=True)
        pad = (self.win_length - self.hop_length) // 2
        frames = spec.shape[-1]
        frames_time = torch.fft.irfft(spec, self.n_fft, dim=1, norm="backward")
        frames_time = frames_time * self.window[None, :, None]
        if frame_mask is not None:
            frames_time = frames_time * frame_mask
        out_size = (frames - 1) * self.hop_length + self.win_length
        kwargs = {"output_size": (1, out_size), "kernel_size": (1, self.win_length),
                  "stride": (1, self.hop_length)}
        y = F.fold(frames_time, **kwargs)[:, 0, 0, pad:-pad]
        window_sq = self.window.square().expand(1, frames, -1).transpose(1, 2)
        if frame_mask is None:
            envelope = F.fold(window_sq, **kwargs).squeeze()[pad:-pad]
            if not bool((envelope > 1e-11).all()):
                raise RuntimeError("ISTFT window envelope vanished (NOLA violated)")
            return y / envelope
        window_sq = window_sq * frame_mask
        envelope = F.fold(window_sq, **kwargs)[:, 0, 0, pad:-pad]
        samples = frame_mask.sum(dim=(1, 2)) * self.hop_length
        inside = torch.arange(y.shape[-1], device=y.device).view(1, -1) < samples.view(-1, 1)
        real = inside & (envelope > 1e-11)
        return torch.where(real, y / torch.where(real, envelope, torch.ones_like(envelope)),
                           torch.zeros_like(y))


class ISTFTHead(nn.Module):
    """Linear layer to (log-magnitude, phase) per frequency bin, then ISTFT."""

    def __init__(self, dim: int, n_fft: int, hop_length: int, padding: str = "same") -> None:
        super().__init__()
        self.out = nn.Linear(dim, n_fft + 2)
        self.istft = ISTFT(n_fft, hop_length, n_fft, padding)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """x [B, L, dim] -> audio [B, L * hop]; ``lengths`` [B] frames masks padding."""
        x = self.out(x).transpose(1, 2)
        mag, phase = x.chunk(2, dim=1)
        mag = torch.clip(torch.exp(mag), max=1e2)
        spec = mag * (torch.cos(phase) + 1j * torch.sin(phase))
        mask = None
        if lengths is not None and bool((lengths.to(x.device) < x.shape[-1]).any()):
            mask = (torch.arange(x.shape[-1], device=x.device).view(1, 1, -1)
                    < lengths.to(x.device).view(-1, 1, 1))
        return self.istft(spec, mask)
