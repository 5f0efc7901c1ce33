"""Keep what a run decoded: each variant's reconstruction (and the reference it came from) as
16-bit FLAC beside the store, under a size budget, with one ``audio_files`` row per file.

Layout: ``<store folder>/tokbench_audio/run<id>/<dataset>/<variant>/<utterance>.flac``
(references under ``reference/``), every component made path-safe. Files are written
atomically; rows are written before the utterance rows they belong to, so a resumed run redoes
the utterance, overwrites the same file and replaces its row: nothing is duplicated or lost.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from bench.paths import RECONSTRUCTIONS_DIR
from bench.store import Store
from bench.suite import GROUND_TRUTH

REFERENCE_DIR = "reference"
"""Folder name of the references (the ground-truth audio a variant was scored against)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_component(name: str, limit: int = 80) -> str:
    """A file-name component from any id: unsafe characters replaced, never '.'/'..'/hidden;
    a short hash of the original is appended whenever it had to change (so ids stay distinct)."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "_"
    if cleaned == name and len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned[:limit]}-{digest}"


def flac_bytes(audio: np.ndarray, sample_rate: int) -> tuple[bytes, bool]:
    """16-bit FLAC of a mono waveform (clipped to [-1, 1]); also whether clipping was needed."""
    wav = np.asarray(audio, dtype=np.float32)
    clipped = bool(np.any(np.abs(wav) > 1.0))
    buf = io.BytesIO()
    sf.write(buf, np.clip(wav, -1.0, 1.0), int(sample_rate), format="FLAC", subtype="PCM_16")
    return buf.getvalue(), clipped


@dataclass(frozen=True)
class EncodedAudio:
    """One FLAC file made elsewhere (an engine worker), for the driver's ``AudioOut``."""

    key: tuple[str, str, str]  # (dataset, variant or GROUND_TRUTH, utterance)
    data: bytes
    clipped: bool
    sample_rate: int
    frames: int
    extra: dict[str, Any] | None = None


def encode(key: tuple[str, str, str], audio: np.ndarray, sample_rate: int,
           extra: dict[str, Any] | None = None) -> EncodedAudio:
    """One waveform as a FLAC file in memory, with what its ``audio_files`` row needs."""
    data, clipped = flac_bytes(audio, sample_rate)
    return EncodedAudio(key, data, clipped, int(sample_rate), len(audio), extra)


class _AudioSink:
    """What the runner calls per ok utterance; subclasses say where the encoded files go."""

    enabled: bool

    def add(self, dataset: str, variant: str, utterance: str, audio: np.ndarray,
            sample_rate: int, reference: np.ndarray | None = None,
            reference_sr: int | None = None, extra: dict[str, Any] | None = None) -> None:
        """Keep one reconstruction (and its reference, once per utterance)."""
        if not self.enabled:
            return
        if reference is not None and reference_sr is not None:
            key = (dataset, GROUND_TRUTH, utterance)
            if not self._have(key):
                self._keep(encode(key, reference, reference_sr))
        self._keep(encode((dataset, variant, utterance), audio, sample_rate, extra))

    def _have(self, key: tuple[str, str, str]) -> bool:
        return False

    def _keep(self, item: EncodedAudio) -> None:
        raise NotImplementedError


class AudioOut(_AudioSink):
    """Saves reconstructions for one run within a size budget; the runner calls ``add`` per ok
    utterance and ``flush`` before it writes a batch of utterance rows."""

    def __init__(self, store: Store, run_id: int, budget_mb: float,
                 log: Callable[[str], None] = print) -> None:
        self.store = store
        self.run_id = run_id
        self.budget_bytes = int(budget_mb * 1e6)
        self.log = log
        self.root = Path(store.path).parent
        self.run_dir = Path(RECONSTRUCTIONS_DIR) / f"run{run_id}"
        self.saved: dict[tuple[str, str, str], int] = {
            (r["dataset"], r["variant"], r["utterance"]): int(r["bytes"])
            for r in store.table("audio_files", run_id)}
        self.used = sum(self.saved.values())
        self.pending: list[tuple[str, str, str, str, int, int, int, str | None]] = []
        self.budget_hit = False

    @property
    def enabled(self) -> bool:
        return self.budget_bytes > 0

    def relative_path(self, dataset: str, variant: str, utterance: str) -> Path:
        """Where a file goes, relative to the store's folder."""
        folder = REFERENCE_DIR if variant == GROUND_TRUTH else safe_component(variant)
        return (self.run_dir / safe_component(dataset) / folder
                / f"{safe_component(utterance)}.flac")

    def add_encoded(self, item: EncodedAudio) -> None:
        """Save a file an engine worker encoded (``CapturingAudioOut``); references once."""
        if self.enabled and not (item.key[1] == GROUND_TRUTH and self._have(item.key)):
            self._keep(item)

    def _have(self, key: tuple[str, str, str]) -> bool:
        return key in self.saved and (self.root / self.relative_path(*key)).exists()

    def saved_references(self, dataset: str, utterances: list[str]) -> set[str]:
        """Which of these utterances' references are already saved (a worker need not send
        them again)."""
        if not self.enabled:
            return set()
        return {u for u in utterances if self._have((dataset, GROUND_TRUTH, u))}

    def _keep(self, item: EncodedAudio) -> None:
        key, data = item.key, item.data
        previous = self.saved.get(key, 0)
        if self.used - previous + len(data) > self.budget_bytes:
            if not self.budget_hit:
                self.log(f"audio budget of {self.budget_bytes / 1e6:g} MB reached: further "
                         "reconstructions are not saved (raise batch.save_audio_mb or "
                         "--audio-budget-mb)")
            self.budget_hit = True
            return
        rel = self.relative_path(*key)
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        self.used += len(data) - previous
        self.saved[key] = len(data)
        info = dict(item.extra or {})
        if item.clipped:
            info["clipped"] = True
        self.pending.append((*key, rel.as_posix(), item.sample_rate, item.frames, len(data),
                             json.dumps(info, sort_keys=True) if info else None))

    def flush(self) -> None:
        """Record the files saved since the last flush (call before writing utterance rows)."""
        if self.pending:
            self.store.record_audio(self.run_id, self.pending)
            self.pending = []


def token_counts(tok: object, tokens: np.ndarray) -> dict[str, Any] | None:
    """A tokenizer's own breakdown of one utterance's tokens (Plutok: BPE tokens and the VQ ids
    they expand to), when it offers ``token_breakdown``; kept so reports need no model."""
    breakdown = getattr(tok, "token_breakdown", None)
    if breakdown is None:
        return None
    try:
        return {k: int(v) for k, v in breakdown(tokens).items()}
    except Exception as err:  # a breakdown is a report nicety: never fail the utterance
        return {"token_breakdown_error": f"{type(err).__name__}: {err}"}  # type: ignore[dict-item]


class CapturingAudioOut(_AudioSink):
    """Stands in for ``AudioOut`` in an engine worker: encodes each reconstruction (and its
    reference) to FLAC and keeps the bytes for the driver, whose ``AudioOut`` alone writes files
    and rows and applies the budget; ``take`` hands over what was captured since the last call."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.captured: list[EncodedAudio] = []
        self.known: set[tuple[str, str, str]] = set()  # references the driver already saved

    def expect(self, dataset: str, saved_references: set[str]) -> None:
        """Start a batch: drop anything left over, note the references the driver has."""
        self.captured = []
        self.known = {(dataset, GROUND_TRUTH, u) for u in saved_references}

    def _have(self, key: tuple[str, str, str]) -> bool:
        return key in self.known

    def _keep(self, item: EncodedAudio) -> None:
        self.captured.append(item)

    def flush(self) -> None:
        return None  # the driver records the files when it writes the batch

    def take(self) -> list[EncodedAudio]:
        items, self.captured = self.captured, []
        return items
