"""Linear magnitude spectrogram exactly as OpenVoice computes it: reflect pad of
(n_fft - hop) / 2 on both sides, STFT without centring, Hann window, sqrt(|X|² + 1e-6)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

MAGNITUDE_FLOOR = 1e-6


def min_samples_for_frames(frames: int, n_fft: int, hop: int) -> int:
    """Smallest input length that yields ``frames`` spectrogram frames."""
    pad = n_fft - hop
    return max(n_fft - pad + (frames - 1) * hop, pad // 2 + 1)


def num_frames(num_samples: int, n_fft: int, hop: int) -> int:
    """Spectrogram frames for ``num_samples`` input samples (centre=False after the pad)."""
    padded = num_samples + (n_fft - hop)
    return 0 if padded < n_fft else (padded - n_fft) // hop + 1


def linear_spectrogram(
    wav: torch.Tensor, n_fft: int, hop: int, win: int
) -> torch.Tensor:
    """wav [B, S] float → magnitude spectrogram [B, n_fft // 2 + 1, T]."""
    if wav.dim() != 2:
        raise ValueError(f"expected wav [B, S], got shape {tuple(wav.shape)}")
    pad = (n_fft - hop) // 2
    if wav.shape[-1] <= pad:
        raise ValueError(
            f"audio of {wav.shape[-1]} samples is shorter than the {pad}-sample reflect pad"
        )
    padded = F.pad(wav.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    window = torch.hann_window(win, dtype=wav.dtype, device=wav.device)
    spec = torch.stft(
        padded, n_fft, hop_length=hop, win_length=win, window=window, center=False,
        normalized=False, onesided=True, return_complex=True,
    )
    spec = torch.view_as_real(spec)
    return torch.sqrt(spec.pow(2).sum(-1) + MAGNITUDE_FLOOR)
