"""PESQ (ITU-T P.862) through the ``pesq`` package, shared by the wide- and narrow-band ids."""

from __future__ import annotations

import math
from typing import ClassVar

from bench.metrics.base import MetricInput, MetricValue
from bench.metrics.signal_common import PairedSignalMetric


class PesqMetric(PairedSignalMetric):
    """PESQ MOS-LQO of the reconstruction against the reference, both resampled to 16 kHz."""

    mode: ClassVar[str]
    target_sr: ClassVar[int | None] = 16000
    min_seconds: ClassVar[float] = 0.25

    def unavailable_reason(self) -> str | None:
        try:
            import pesq  # noqa: F401
        except ImportError as err:
            return f"the pesq package is not installed ({err})"
        return None

    def compute_one(self, item: MetricInput) -> MetricValue:
        from pesq import PesqError, pesq

        reference, hypothesis, rate = self.paired(item)
        try:
            score = float(pesq(rate, reference, hypothesis, self.mode))
        except PesqError as err:
            return MetricValue.missing(f"pesq failed: {type(err).__name__}: {err}")
        if not math.isfinite(score):
            return MetricValue.missing(f"pesq returned a non-finite score ({score})")
        return MetricValue(score)
