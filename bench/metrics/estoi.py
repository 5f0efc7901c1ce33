"""Extended STOI (Jensen & Taal 2016) at the reference's native rate."""

from __future__ import annotations

from bench.metrics.base import MetricInfo
from bench.metrics.stoi_common import StoiMetric


class ExtendedStoi(StoiMetric):
    """Extended short-time objective intelligibility (can be slightly negative, 1 = identical)."""

    extended = True
    info = MetricInfo(
        id="estoi",
        needs_reference=True,
        sample_rate=None,
        higher_is_better=True,
        unit="",
        protocol="pystoi ESTOI (extended=True) at the reference's native rate, reconstruction "
        "resampled to it with torchaudio, truncated to the shorter",
    )
