"""STOI (not extended) at the reference's native rate, the papers' intelligibility score."""

from __future__ import annotations

from bench.metrics.base import MetricInfo
from bench.metrics.stoi_common import StoiMetric


class Stoi(StoiMetric):
    """Short-time objective intelligibility, 0..1."""

    extended = False
    info = MetricInfo(
        id="stoi",
        needs_reference=True,
        sample_rate=None,
        higher_is_better=True,
        unit="",
        protocol="pystoi STOI (extended=False) at the reference's native rate, reconstruction "
        "resampled to it with torchaudio, truncated to the shorter (VARSTok/WavTokenizer papers)",
    )
