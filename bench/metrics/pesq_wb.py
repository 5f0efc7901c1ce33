"""PESQ wide-band (P.862.2) at 16 kHz, the VARSTok / WavTokenizer papers' quality score."""

from __future__ import annotations

from bench.metrics.base import MetricInfo
from bench.metrics.pesq_common import PesqMetric


class PesqWideband(PesqMetric):
    """Wide-band PESQ MOS-LQO (1.04..4.64); both signals resampled to 16 kHz with torchaudio."""

    mode = "wb"
    info = MetricInfo(
        id="pesq_wb",
        needs_reference=True,
        sample_rate=16000,
        higher_is_better=True,
        unit="MOS-LQO",
        protocol="P.862.2 wide-band at 16 kHz (pesq package); reference and reconstruction "
        "resampled with torchaudio, truncated to the shorter (VARSTok/WavTokenizer papers)",
        aliases=("pesq",),
    )
