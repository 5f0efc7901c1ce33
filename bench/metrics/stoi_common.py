"""STOI / ESTOI through ``pystoi`` at the reference's native rate (pystoi resamples to 10 kHz)."""

from __future__ import annotations

import math
import warnings
from typing import ClassVar

from bench.metrics.base import MetricInput, MetricValue
from bench.metrics.signal_common import PairedSignalMetric


class StoiMetric(PairedSignalMetric):
    """(E)STOI of the reconstruction against the reference; hypothesis resampled to the
    reference rate. pystoi's placeholder 1e-5 for too few speech frames becomes a missing value."""

    extended: ClassVar[bool]
    target_sr: ClassVar[int | None] = None
    min_seconds: ClassVar[float] = (256 + 29 * 128) / 10000
    """pystoi's 30 frames of 256 samples, hop 128, at 10 kHz: 0.3968 s; shorter inputs made
    pystoi raise ``AxisError`` instead of answering."""

    def unavailable_reason(self) -> str | None:
        try:
            import pystoi  # noqa: F401
        except ImportError as err:
            return f"the pystoi package is not installed ({err})"
        return None

    def compute_one(self, item: MetricInput) -> MetricValue:
        from pystoi import stoi

        reference, hypothesis, rate = self.paired(item)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                score = float(stoi(reference, hypothesis, rate, extended=self.extended))
            except (ValueError, IndexError) as err:  # numpy AxisError is both
                return MetricValue.missing(
                    f"pystoi cannot score this pair ({type(err).__name__}: {err}); too little "
                    "audio for STOI's 30 frames of 25.6 ms")
        for warning in caught:
            if "Not enough STFT frames" in str(warning.message):
                return MetricValue.missing(
                    "too little speech for STOI (fewer than 30 frames of 25.6 ms after "
                    "removing silent frames)"
                )
        if not math.isfinite(score):
            return MetricValue.missing(f"pystoi returned a non-finite score ({score})")
        return MetricValue(score)
