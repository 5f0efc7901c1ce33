"""Log-mel L1 distance at 24 kHz with Vocos' features (100 mels, n_fft 1024, hop 256)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
import torchaudio

from bench.metrics.base import MetricInfo, MetricInput, MetricValue
from bench.metrics.signal_common import PairedSignalMetric

SAMPLE_RATE = 24000
N_FFT = 1024
HOP = 256
N_MELS = 100
LOG_FLOOR = 1e-7


class MelL1(PairedSignalMetric):
    """Mean absolute difference of natural-log mel magnitudes (lower is better)."""

    target_sr: ClassVar[int | None] = SAMPLE_RATE
    min_seconds: ClassVar[float] = N_FFT / SAMPLE_RATE
    info = MetricInfo(
        id="mel_l1",
        needs_reference=True,
        sample_rate=SAMPLE_RATE,
        higher_is_better=False,
        unit="",
        protocol=f"L1 of ln(max(mel, {LOG_FLOOR})) at {SAMPLE_RATE} Hz, {N_MELS} mels, "
        f"n_fft {N_FFT}, hop {HOP}, centered Hann, magnitude (power 1), as Vocos' mel features; "
        "both resampled with torchaudio, truncated to the shorter",
    )

    def __init__(self, length_policy: str = "truncate") -> None:
        super().__init__(length_policy)
        self._mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
            center=True, power=1.0,
        )

    def log_mel(self, audio: np.ndarray) -> torch.Tensor:
        """[n_mels, frames] natural-log mel magnitudes of a 24 kHz signal."""
        with torch.no_grad():
            mel = self._mel(torch.from_numpy(audio.astype(np.float32)))
        return torch.log(torch.clamp(mel, min=LOG_FLOOR))

    def compute_one(self, item: MetricInput) -> MetricValue:
        reference, hypothesis, _ = self.paired(item)
        distance = torch.mean(torch.abs(self.log_mel(reference) - self.log_mel(hypothesis)))
        return MetricValue(float(distance))
