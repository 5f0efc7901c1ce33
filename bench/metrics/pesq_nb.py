"""PESQ narrow-band (P.862 + P.862.1 mapping) computed on 16 kHz signals in 'nb' mode."""

from __future__ import annotations

from bench.metrics.base import MetricInfo
from bench.metrics.pesq_common import PesqMetric


class PesqNarrowband(PesqMetric):
    """Narrow-band PESQ MOS-LQO; both signals resampled to 16 kHz, IRS-filtered by P.862."""

    mode = "nb"
    info = MetricInfo(
        id="pesq_nb",
        needs_reference=True,
        sample_rate=16000,
        higher_is_better=True,
        unit="MOS-LQO",
        protocol="P.862 narrow-band mode on 16 kHz signals (pesq package, as in codec papers' "
        "PESQ-NB); resampled with torchaudio, truncated to the shorter",
    )
