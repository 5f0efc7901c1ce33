"""Small shared pieces for neural metrics: device choice, batching, a per-process model cache
and a stable audio hash (so several metric ids can share one model run)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import torch

T = TypeVar("T")

_MODELS: dict[tuple, Any] = {}
_LOCK = threading.Lock()


_RUN_DEVICE: str | None = None
"""The device of the run in progress (``tokbench run --device``), set by the runner."""


def set_run_device(device: str | torch.device | None) -> None:
    """Make metric models without an explicit ``device`` setting follow the run's device."""
    global _RUN_DEVICE
    _RUN_DEVICE = None if device is None else str(device)


def pick_device(device: str | None = None) -> torch.device:
    """``device`` if given, else the run's device, else CUDA when available, else CPU."""
    if device:
        return torch.device(device)
    if _RUN_DEVICE:
        return torch.device(_RUN_DEVICE)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def onnx_providers(device: torch.device) -> list[str]:
    """onnxruntime providers for ``device``: CUDA first when the device is a GPU and the
    installed onnxruntime has the CUDA provider (the ``onnxruntime-gpu`` build), else CPU."""
    import onnxruntime as ort

    if device.type == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        return [("CUDAExecutionProvider", {"device_id": device.index or 0}),  # type: ignore[list-item]
                "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def cached_model(key: tuple, loader: Callable[[], T]) -> T:
    """Load a model once per process and key (path, device, options)."""
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = loader()
        return _MODELS[key]


def clear_model_cache() -> None:
    """Forget every loaded model (tests)."""
    with _LOCK:
        _MODELS.clear()


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items."""
    if size < 1:
        raise ValueError(f"batch size must be >= 1, got {size}")
    for start in range(0, len(items), size):
        yield items[start:start + size]


def audio_hash(audio: np.ndarray, sample_rate: int) -> str:
    """A content hash of float32 audio and its rate."""
    digest = hashlib.sha1(np.ascontiguousarray(audio, dtype=np.float32).tobytes())
    digest.update(str(int(sample_rate)).encode())
    return digest.hexdigest()


def pad_batch(wavs: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad 1-D float arrays to ``[B, T_max]`` and return their lengths."""
    lengths = torch.tensor([len(w) for w in wavs], dtype=torch.long)
    out = torch.zeros(len(wavs), int(lengths.max()), dtype=torch.float32)
    for row, wav in enumerate(wavs):
        out[row, : len(wav)] = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32))
    return out, lengths
