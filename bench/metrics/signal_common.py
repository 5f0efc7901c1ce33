"""Shared plumbing of the full-reference signal metrics: bring reference and reconstruction to
one sample rate and one length, under an explicit length policy, before scoring them."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from bench.audio import resample
from bench.metrics.base import Metric, MetricInput, MetricInputError, audio_problem

LENGTH_POLICIES = ("truncate", "pad")
"""``truncate``: cut both to the shorter (the papers' protocol); ``pad``: zero-pad the shorter."""


def apply_length_policy(
    reference: np.ndarray, hypothesis: np.ndarray, policy: str
) -> tuple[np.ndarray, np.ndarray]:
    """Make both signals the same length under ``policy``."""
    if policy == "truncate":
        n = min(len(reference), len(hypothesis))
        return reference[:n], hypothesis[:n]
    if policy == "pad":
        n = max(len(reference), len(hypothesis))
        return (np.pad(reference, (0, n - len(reference))),
                np.pad(hypothesis, (0, n - len(hypothesis))))
    raise ValueError(f"unknown length policy {policy!r}; use one of {LENGTH_POLICIES}")


class PairedSignalMetric(Metric):
    """A metric comparing reconstruction to reference at ``target_sr`` (None: the reference's
    native rate), after the length policy; signals shorter than ``min_seconds`` are refused."""

    target_sr: ClassVar[int | None] = None
    min_seconds: ClassVar[float] = 0.0

    def __init__(self, length_policy: str = "truncate") -> None:
        apply_length_policy(np.zeros(1), np.zeros(1), length_policy)  # rejects unknown names
        self.length_policy = length_policy

    def paired(self, item: MetricInput) -> tuple[np.ndarray, np.ndarray, int]:
        """(reference, hypothesis, rate): both float64, mono, at one rate and one length."""
        assert item.reference is not None and item.hypothesis is not None
        if not item.reference_sr or not item.hypothesis_sr:
            raise MetricInputError("sample rate of reference or hypothesis is unknown")
        rate = self.target_sr or int(item.reference_sr)
        reference = resample(item.reference, int(item.reference_sr), rate)
        hypothesis = resample(item.hypothesis, int(item.hypothesis_sr), rate)
        reference, hypothesis = apply_length_policy(reference, hypothesis, self.length_policy)
        seconds = len(reference) / rate
        if seconds < self.min_seconds:
            raise MetricInputError(
                f"audio too short after length policy: {seconds:.3f} s < {self.min_seconds} s"
            )
        for name, signal in (("reference", reference), ("hypothesis", hypothesis)):
            problem = audio_problem(signal, name)
            if problem:
                raise MetricInputError(f"{problem} after resampling/length policy")
        return reference.astype(np.float64), hypothesis.astype(np.float64), rate
