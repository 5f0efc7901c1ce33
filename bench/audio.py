"""Audio I/O for the harness: soundfile to read, torchaudio to resample, mean to mix to mono.

Every decision taken on a file (channels mixed, rate changed) is returned as ``AudioDecisions``
so the runner can record it in the run metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF


class AudioError(ValueError):
    """A file that cannot be used as audio (corrupt, empty, NaN, ...), with a readable message."""


@dataclass(frozen=True)
class AudioDecisions:
    """What was done to a file on load."""

    source_sr: int
    source_channels: int
    target_sr: int
    mixed_to_mono: bool
    resampled: bool


def resample(audio: np.ndarray, source_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling with torchaudio's default sinc kernel (the papers' choice)."""
    if source_sr == target_sr:
        return audio.astype(np.float32, copy=False)
    out = AF.resample(torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)),
                      source_sr, target_sr)
    return out.numpy()


def load_audio(path: Path | str, target_sr: int | None = None) -> tuple[np.ndarray, AudioDecisions]:
    """Read ``path`` as mono float32 at ``target_sr`` (native rate when None)."""
    from bench.paths import UnsafePathError, check_regular_file

    try:
        check_regular_file(path)  # a FIFO or device would block or never end
    except UnsafePathError as err:
        raise AudioError(str(err)) from err
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise AudioError(f"cannot read audio file {path}: {err}") from err
    channels = int(data.shape[1])
    if data.shape[0] == 0:
        raise AudioError(f"audio file {path} holds no samples")
    mono = data.mean(axis=1) if channels > 1 else data[:, 0]
    if not np.all(np.isfinite(mono)):
        raise AudioError(f"audio file {path} contains NaN or Inf samples")
    target = target_sr or int(sr)
    out = resample(mono, int(sr), target)
    return out, AudioDecisions(int(sr), channels, target, channels > 1, target != sr)
