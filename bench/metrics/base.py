"""What a metric is: a metadata record, a batched ``compute`` and an optional corpus summary.

The ``MetricInfo`` record says what a metric needs (reference audio, transcript, tokens, a GPU,
a sample rate) and which protocol it follows; the runner schedules from it and the report
footnotes come from it, so nobody writes that twice. A value that cannot be computed is a
``MetricValue`` with ``value=None`` and a reason, never a made-up number.
"""

from __future__ import annotations

import math
from abc import ABC
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from bench.contract import Codebook


@dataclass(frozen=True)
class MetricInfo:
    """Static facts about a metric, used for scheduling, caching and report footnotes."""

    id: str
    needs_reference: bool = False
    needs_text: bool = False
    needs_tokens: bool = False
    uses_gpu: bool = False
    sample_rate: int | None = None
    higher_is_better: bool | None = True
    """None: a descriptive quantity with no better direction (how a stream is cut: mean token
    span, token rate); compared, never judged."""
    unit: str = ""
    version: str = "1"
    protocol: str = ""
    model: str | None = None
    aliases: tuple[str, ...] = ()
    notes: str = ""
    """A limitation users must know (e.g. English-only default ASR); shown by list and report."""


@dataclass(frozen=True)
class MetricValue:
    """One score, or ``None`` with the reason it could not be computed."""

    value: float | None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.value is None and not self.reason:
            raise ValueError("a missing value needs a reason")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(f"non-finite metric value {self.value}; record it as missing")

    @staticmethod
    def missing(reason: str) -> MetricValue:
        return MetricValue(value=None, reason=reason)

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass
class MetricInput:
    """Everything a metric may look at for one utterance.

    Audio is mono float32 numpy at its own rate; a metric resamples to the rate its protocol
    wants. ``reference`` is the ground truth, ``hypothesis`` the reconstruction (for a
    reference-free metric scored on the ground truth itself, ``hypothesis`` is the ground truth).
    """

    utt_id: str
    hypothesis: np.ndarray | None = None
    hypothesis_sr: int | None = None
    reference: np.ndarray | None = None
    reference_sr: int | None = None
    text: str | None = None
    language: str | None = None
    speaker: str | None = None
    tokens: np.ndarray | None = None
    durations: np.ndarray | None = None
    vocab_size: int | None = None
    frame_rate: float | None = None
    side_bits: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)
    codebooks: tuple[Codebook, ...] | None = None
    """Multi-codebook tokenizers: the K streams of ``tokens`` ([K, L], PAD_TOKEN-padded)."""

    @property
    def reference_seconds(self) -> float | None:
        if self.reference is None or not self.reference_sr:
            return None
        return len(self.reference) / self.reference_sr

    @property
    def hypothesis_seconds(self) -> float | None:
        if self.hypothesis is None or not self.hypothesis_sr:
            return None
        return len(self.hypothesis) / self.hypothesis_sr


class Metric(ABC):
    """A batched metric. Subclasses set ``info`` and implement ``compute_one`` or ``compute``."""

    info: ClassVar[MetricInfo]
    native_crash_risk: ClassVar[bool] = False
    """Runs native code that can kill its process (a segfault): the runner computes it only
    in worker processes, where a crash is contained and recorded, never in the main one."""

    def unavailable_reason(self) -> str | None:
        """Why this metric cannot run here (missing package or weights), or None if it can."""
        return None

    def compute(self, items: list[MetricInput]) -> list[MetricValue]:
        """Score a batch; one bad item yields a missing value, never an exception for all."""
        return [self._guarded(item) for item in items]

    def compute_one(self, item: MetricInput) -> MetricValue:
        raise NotImplementedError

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        """Corpus-level summaries that are not a mean of utterance values (e.g. total-edits WER)."""
        return {}

    def _guarded(self, item: MetricInput) -> MetricValue:
        problem = check_inputs(self.info, item)
        if problem:
            return MetricValue.missing(problem)
        try:
            return self.compute_one(item)
        except MetricInputError as err:
            return MetricValue.missing(str(err))


class MetricInputError(ValueError):
    """An input a metric cannot score; becomes a missing value with this message."""


LENGTH_MISMATCH = "length_mismatch"
"""``MetricInput.extra`` key set by the runner and ``score`` when the reconstruction's length is
outside the length tolerance: reference-based metrics leave the pair out with that reason."""


def check_inputs(info: MetricInfo, item: MetricInput) -> str | None:
    """The first reason ``item`` cannot be scored by a metric with ``info``, or None."""
    if info.needs_reference and item.extra.get(LENGTH_MISMATCH):
        return str(item.extra[LENGTH_MISMATCH])
    if info.needs_text and not (item.text and item.text.strip()):
        return "no transcript for this utterance"
    if info.needs_tokens and item.tokens is None:
        return "no tokens for this utterance"
    audio_needed = [("hypothesis", item.hypothesis)]
    if info.needs_reference:
        audio_needed.append(("reference", item.reference))
    if not info.needs_tokens or info.needs_reference:
        for name, audio in audio_needed:
            reason = audio_problem(audio, name)
            if reason:
                return reason
    return None


def audio_problem(audio: np.ndarray | None, name: str = "input") -> str | None:
    """A short reason why ``audio`` cannot be scored (missing, empty, NaN, silent), or None."""
    if audio is None:
        return f"no {name} audio"
    if audio.ndim != 1:
        return f"{name} audio must be mono 1-D, got shape {audio.shape}"
    if audio.size == 0:
        return f"{name} audio is empty"
    if not np.all(np.isfinite(audio)):
        return f"{name} audio contains NaN or Inf"
    if float(np.max(np.abs(audio))) == 0.0:
        return f"{name} audio is digital silence"
    return None


def truncate_to_shorter(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The papers' length policy: cut both signals to the shorter one."""
    n = min(len(a), len(b))
    return a[:n], b[:n]
