"""PESQ (ITU-T P.862) through the ``pesq`` package, shared by the wide- and narrow-band ids.

Long audio: the pesq C library segfaults on files past ~2 minutes (measured here: a real
LibriTTS speech signal at 16 kHz scores at 130 s and crashes with SIGSEGV at 140 s; the C code
holds at most 50 speech "utterances" per file). ITU-T P.862.3 recommends 8–30 s references, so a
pair longer than ``segment_seconds`` (30 s) is scored on consecutive segments of at most 30 s, cut
at the quietest 20 ms frame of the reference near each nominal boundary, and the value is the
segment scores' mean weighted by segment length. Files up to 30 s are scored whole, unchanged.
Segments without detectable speech are left out of the weighting; if none has speech the value is
missing with the reason.

Band-limited references: PESQ-WB compares against a wide-band (16 kHz) reference; a reference
recorded below 16 kHz and upsampled has no content above its Nyquist, and the score is not what
P.862.2 measures. It is left out with the reason unless ``allow_band_limited: true``.
"""

from __future__ import annotations

import itertools
import math
from typing import ClassVar

import numpy as np

from bench.metrics.base import MetricInput, MetricValue
from bench.metrics.signal_common import PairedSignalMetric

SEGMENT_SECONDS = 30.0
"""Longest stretch scored in one pesq call (ITU-T P.862.3: references of 8–30 s)."""
CUT_SEARCH_SECONDS = 3.0
CUT_FRAME_SECONDS = 0.02


class PesqMetric(PairedSignalMetric):
    """PESQ MOS-LQO of the reconstruction against the reference, both resampled to 16 kHz."""

    mode: ClassVar[str]
    target_sr: ClassVar[int | None] = 16000
    min_seconds: ClassVar[float] = 0.25
    native_crash_risk: ClassVar[bool] = True

    def __init__(self, length_policy: str = "truncate",
                 segment_seconds: float = SEGMENT_SECONDS,
                 allow_band_limited: bool = False) -> None:
        super().__init__(length_policy)
        if not segment_seconds >= 8.0:
            raise ValueError(f"segment_seconds must be at least 8 s (P.862.3), got "
                             f"{segment_seconds!r}")
        self.segment_seconds = float(segment_seconds)
        self.allow_band_limited = bool(allow_band_limited)

    def unavailable_reason(self) -> str | None:
        try:
            import pesq  # noqa: F401
        except ImportError as err:
            return f"the pesq package is not installed ({err})"
        return None

    def compute_one(self, item: MetricInput) -> MetricValue:
        band = self.band_limit_problem(item)
        if band:
            return MetricValue.missing(band)
        reference, hypothesis, rate = self.paired(item)
        scores: list[tuple[float, int]] = []
        problems: list[str] = []
        for start, stop in segment_bounds(reference, rate, self.segment_seconds):
            score, problem = self._pesq(rate, reference[start:stop], hypothesis[start:stop])
            if score is None:
                problems.append(str(problem))
            else:
                scores.append((score, stop - start))
        if not scores:
            return MetricValue.missing(f"pesq failed: {problems[0]}" if len(problems) == 1 else
                                       f"pesq failed on all {len(problems)} segments: "
                                       f"{problems[0]}")
        weights = np.array([n for _, n in scores], dtype=np.float64)
        values = np.array([s for s, _ in scores], dtype=np.float64)
        return MetricValue(float(np.sum(values * weights) / np.sum(weights)))

    def band_limit_problem(self, item: MetricInput) -> str | None:
        """Why a wide-band score of this pair would be misleading, or None."""
        if self.mode != "wb" or self.allow_band_limited:
            return None
        sr = item.reference_sr
        if sr and int(sr) < 16000:  # a narrow-band reconstruction is a real loss: scored
            return (f"band-limited reference ({int(sr)} Hz < 16 kHz): PESQ-WB against an "
                    "upsampled narrow-band reference is not a wide-band score; set "
                    "allow_band_limited: true to score it anyway, or use pesq_nb")
        return None

    def _pesq(self, rate: int, reference: np.ndarray, hypothesis: np.ndarray
              ) -> tuple[float | None, str | None]:
        from pesq import PesqError, pesq

        if len(reference) < self.min_seconds * rate:
            return None, "segment too short"
        try:
            score = float(pesq(rate, reference, hypothesis, self.mode))
        except PesqError as err:
            return None, f"{type(err).__name__}: {err}"
        if not math.isfinite(score):
            return None, f"pesq returned a non-finite score ({score})"
        return score, None


def segment_bounds(reference: np.ndarray, rate: int, segment_seconds: float
                   ) -> list[tuple[int, int]]:
    """[start, stop) sample ranges of at most ``segment_seconds`` covering the signal; cuts sit
    at the quietest 20 ms frame of ``reference`` within 3 s before each nominal boundary."""
    n = len(reference)
    limit = int(segment_seconds * rate)
    if n <= limit:
        return [(0, n)]
    count = math.ceil(n / limit)
    nominal = [round(n * k / count) for k in range(1, count)]
    frame = max(1, int(CUT_FRAME_SECONDS * rate))
    search = int(CUT_SEARCH_SECONDS * rate)
    cuts: list[int] = []
    previous = 0
    for target in nominal:
        lo = max(previous + frame, target - search)
        hi = min(target, previous + limit)  # never exceed the segment limit
        if hi - lo < frame:
            cut = hi
        else:
            window = reference[lo:hi]
            frames = len(window) // frame
            energy = np.square(window[: frames * frame].reshape(frames, frame)).sum(axis=1)
            cut = lo + int(np.argmin(energy)) * frame
        cuts.append(cut)
        previous = cut
    if n - previous > limit:  # the quiet cuts drifted early: fall back to even cuts
        cuts = nominal
    edges = [0, *cuts, n]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]
