"""Shared shape of the speaker-similarity metrics: embed reference and reconstruction in batches,
score their cosine similarity. Subclasses only say how to embed a batch of 16 kHz clips."""

from __future__ import annotations

import importlib
from abc import abstractmethod
from pathlib import Path
from typing import ClassVar

import numpy as np

from bench.audio import resample
from bench.metrics.base import Metric, MetricInput, MetricValue, check_inputs, truncate_to_shorter
from bench.weights import WeightSpec, resolve, unavailable

EMBED_RATE = 16000


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (0 norms are rejected by the caller)."""
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


class SpeakerSimilarity(Metric):
    """Cosine similarity of speaker embeddings of reference and hypothesis.

    Subclasses name the package they import (``package``) and the weights they resolve
    (``weights_spec``); ``location`` is the user's explicit path, if any.
    """

    package: ClassVar[str]
    weights_spec: ClassVar[WeightSpec]

    def __init__(self, location: str | None = None, batch_size: int = 8,
                 device: str | None = None, truncate: bool = True) -> None:
        self.location = location
        self.batch_size = int(batch_size)
        self.device = device
        self.truncate = bool(truncate)

    def unavailable_reason(self) -> str | None:
        try:
            importlib.import_module(self.package)
        except ImportError as err:
            return f"{self.info.id} needs `pip install {self.package}`: {err}"
        return unavailable(self.weights_spec, self.location)

    def weights_path(self) -> Path:
        """The resolved weights file or folder (call only when available)."""
        return resolve(self.weights_spec, self.location).path

    @abstractmethod
    def embed(self, wavs: list[np.ndarray]) -> np.ndarray:
        """Embeddings ``[N, D]`` of 16 kHz mono clips."""

    def _embed_by_length(self, clips: list[np.ndarray]) -> np.ndarray:
        """Embed clips of equal length together (no padding, so a clip's embedding never
        depends on what else is in its batch), in the caller's order."""
        by_length: dict[int, list[int]] = {}
        for index, clip in enumerate(clips):
            by_length.setdefault(len(clip), []).append(index)
        out: list[np.ndarray | None] = [None] * len(clips)
        for indices in by_length.values():
            for row, emb in zip(indices, self.embed([clips[i] for i in indices]), strict=True):
                out[row] = emb
        return np.stack(out)

    def compute(self, items: list[MetricInput]) -> list[MetricValue]:
        results: list[MetricValue | None] = [None] * len(items)
        clips: list[np.ndarray] = []
        owners: list[int] = []
        for index, item in enumerate(items):
            problem = check_inputs(self.info, item)
            if problem:
                results[index] = MetricValue.missing(problem)
                continue
            ref = resample(item.reference, int(item.reference_sr), EMBED_RATE)
            hyp = resample(item.hypothesis, int(item.hypothesis_sr), EMBED_RATE)
            if self.truncate:
                ref, hyp = truncate_to_shorter(ref, hyp)
            if len(ref) < EMBED_RATE // 10 or len(hyp) < EMBED_RATE // 10:
                results[index] = MetricValue.missing("audio shorter than 0.1 s")
                continue
            clips.extend([ref, hyp])
            owners.append(index)
        if clips:
            embeddings = self._embed_by_length(clips)
            for pair, index in enumerate(owners):
                ref_emb, hyp_emb = embeddings[2 * pair], embeddings[2 * pair + 1]
                if not (np.all(np.isfinite(ref_emb)) and np.all(np.isfinite(hyp_emb))):
                    results[index] = MetricValue.missing("speaker embedding is not finite")
                elif np.linalg.norm(ref_emb) == 0 or np.linalg.norm(hyp_emb) == 0:
                    results[index] = MetricValue.missing("speaker embedding has zero norm")
                else:
                    results[index] = MetricValue(cosine(ref_emb, hyp_emb))
        return [value for value in results if value is not None]
