"""Multi-resolution STFT distance (spectral convergence + log magnitude) at 24 kHz."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from bench.metrics.base import MetricInfo, MetricInput, MetricValue
from bench.metrics.signal_common import PairedSignalMetric

SAMPLE_RATE = 24000
RESOLUTIONS: tuple[tuple[int, int, int], ...] = (
    (1024, 120, 600), (2048, 240, 1200), (512, 50, 240)
)
"""(n_fft, hop, window) triples of Parallel WaveGAN's multi-resolution STFT loss."""
POWER_FLOOR = 1e-7


def magnitude(audio: torch.Tensor, n_fft: int, hop: int, window: int) -> torch.Tensor:
    """[freq, frames] STFT magnitude with a centered Hann window, floored for the log."""
    spec = torch.stft(audio, n_fft=n_fft, hop_length=hop, win_length=window,
                      window=torch.hann_window(window, dtype=audio.dtype), center=True,
                      return_complex=True)
    return torch.sqrt(torch.clamp(spec.real**2 + spec.imag**2, min=POWER_FLOOR))


def stft_distance(reference: np.ndarray, hypothesis: np.ndarray) -> float:
    """Mean over resolutions of spectral convergence + mean |log magnitude difference|."""
    ref = torch.from_numpy(reference.astype(np.float32))
    hyp = torch.from_numpy(hypothesis.astype(np.float32))
    total = 0.0
    for n_fft, hop, window in RESOLUTIONS:
        ref_mag, hyp_mag = magnitude(ref, n_fft, hop, window), magnitude(hyp, n_fft, hop, window)
        convergence = torch.linalg.norm(ref_mag - hyp_mag) / torch.linalg.norm(ref_mag)
        log_magnitude = torch.mean(torch.abs(torch.log(ref_mag) - torch.log(hyp_mag)))
        total += float(convergence + log_magnitude)
    return total / len(RESOLUTIONS)


class MultiResolutionStft(PairedSignalMetric):
    """Multi-resolution STFT distance (lower is better, 0 for identical signals)."""

    target_sr: ClassVar[int | None] = SAMPLE_RATE
    min_seconds: ClassVar[float] = max(r[0] for r in RESOLUTIONS) / SAMPLE_RATE
    info = MetricInfo(
        id="stft_mr",
        needs_reference=True,
        sample_rate=SAMPLE_RATE,
        higher_is_better=False,
        unit="",
        protocol="mean over (n_fft, hop, win) = (1024,120,600), (2048,240,1200), (512,50,240) "
        "of spectral convergence + L1 log-magnitude (Parallel WaveGAN loss), Hann, centered, "
        f"at {SAMPLE_RATE} Hz; both resampled with torchaudio, truncated to the shorter",
    )

    def compute_one(self, item: MetricInput) -> MetricValue:
        reference, hypothesis, _ = self.paired(item)
        with torch.no_grad():
            return MetricValue(stft_distance(reference, hypothesis))
