"""Scale-invariant signal-to-distortion ratio (Le Roux et al. 2019) in dB."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from bench.metrics.base import MetricInfo, MetricInput, MetricValue
from bench.metrics.signal_common import PairedSignalMetric

RELATIVE_EPS = 1e-15
"""Distortion energy floor relative to the target's: identical signals give 150 dB, not inf."""


def si_sdr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """SI-SDR of ``estimate`` against ``reference`` (both zero-meaned first), in dB."""
    ref = reference.astype(np.float64) - np.mean(reference)
    est = estimate.astype(np.float64) - np.mean(estimate)
    ref_energy = float(np.dot(ref, ref))
    if ref_energy == 0.0:
        raise ValueError("reference is constant: SI-SDR is undefined")
    target = (float(np.dot(est, ref)) / ref_energy) * ref
    distortion = est - target
    target_energy = float(np.dot(target, target))
    if target_energy == 0.0:
        raise ValueError("estimate is orthogonal to the reference: SI-SDR is -inf")
    floor = RELATIVE_EPS * target_energy
    return 10.0 * math.log10(target_energy / (float(np.dot(distortion, distortion)) + floor))


class SiSdr(PairedSignalMetric):
    """SI-SDR in dB at the reference's native rate (capped at +150 dB for identical signals)."""

    target_sr: ClassVar[int | None] = None
    info = MetricInfo(
        id="si_sdr",
        needs_reference=True,
        sample_rate=None,
        higher_is_better=True,
        unit="dB",
        protocol="zero-mean SI-SDR at the reference's native rate (reconstruction resampled "
        "with torchaudio), truncated to the shorter; distortion floor 1e-15 x target energy",
    )

    def compute_one(self, item: MetricInput) -> MetricValue:
        reference, hypothesis, _ = self.paired(item)
        try:
            return MetricValue(si_sdr_db(reference, hypothesis))
        except ValueError as err:
            return MetricValue.missing(str(err))
