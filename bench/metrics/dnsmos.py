"""DNSMOS P.835 (SIG, BAK, OVRL) and P.808 MOS through the onnx models shipped in ``speechmos``.

Protocol of Microsoft's DNSMOS (non-personalised): 16 kHz audio, 9.01 s windows hopped by 1 s
(shorter clips are repeated until long enough), P.835 raw outputs mapped through DNSMOS's
polynomial fit, P.808 from a 120-band log-mel, each score averaged over windows. One model run
serves the four metric ids (cached per audio hash within the process).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from bench.audio import resample
from bench.metrics.base import Metric, MetricInfo, MetricInput, MetricValue, check_inputs
from bench.metrics.models.common import (
    audio_hash,
    cached_model,
    chunks,
    onnx_providers,
    pick_device,
)
from bench.weights import DNSMOS as DNSMOS_SPEC
from bench.weights import resolve, unavailable

SAMPLE_RATE = 16000
WINDOW_SECONDS = 9.01
WINDOW_SAMPLES = int(WINDOW_SECONDS * SAMPLE_RATE)
HOP_SAMPLES = SAMPLE_RATE
MODEL_LABEL = "DNSMOS P.835 sig_bak_ovr.onnx + P.808 model_v8.onnx (speechmos package)"
PROTOCOL = "DNSMOS (non-personalised), 16 kHz, 9.01 s windows hopped 1 s, mean over windows"

_SCORES: dict[tuple[str, str], dict[str, float]] = {}


def _load_sessions(folder: Path, threads: int = 0) -> tuple[object, object]:
    """Both onnx sessions, on the run's GPU when onnxruntime has the CUDA provider, else CPU;
    ``threads`` 0 lets onnxruntime choose."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    providers = onnx_providers(pick_device())
    primary = ort.InferenceSession(str(folder / "sig_bak_ovr.onnx"), options, providers=providers)
    p808 = ort.InferenceSession(str(folder / "model_v8.onnx"), options, providers=providers)
    return primary, p808


def windows(audio: np.ndarray) -> list[np.ndarray]:
    """DNSMOS's analysis windows of a 16 kHz clip.

    The end index is computed in floating point exactly as the reference scorer does, so a
    window whose end rounds down (one sample short) is skipped there and here alike.
    """
    while len(audio) < WINDOW_SAMPLES:
        audio = np.concatenate([audio, audio])
    count = int(np.floor(len(audio) / SAMPLE_RATE) - WINDOW_SECONDS) + 1
    out = []
    for index in range(count):
        segment = audio[int(index * HOP_SAMPLES): int((index + WINDOW_SECONDS) * HOP_SAMPLES)]
        if len(segment) == WINDOW_SAMPLES:
            out.append(segment.astype(np.float32))
    return out


def p808_features(segment: np.ndarray) -> np.ndarray:
    """120-band log-mel (frame 321, hop 160) scaled as DNSMOS P.808 expects: [frames, 120]."""
    import librosa

    mel = librosa.feature.melspectrogram(y=segment[:-160], sr=SAMPLE_RATE, n_fft=321,
                                         hop_length=160, n_mels=120)
    return ((librosa.power_to_db(mel, ref=np.max) + 40.0) / 40.0).T.astype(np.float32)


def polyfit(sig: np.ndarray, bak: np.ndarray, ovrl: np.ndarray) -> tuple[np.ndarray, ...]:
    """DNSMOS's calibration of the raw P.835 outputs (non-personalised model)."""
    return (
        np.polyval([-0.08397278, 1.22083953, 0.0052439], sig),
        np.polyval([-0.13166888, 1.60915514, -0.39604546], bak),
        np.polyval([-0.06766283, 1.11546468, 0.04602535], ovrl),
    )


class _DnsmosBase(Metric):
    """Shared model run; subclasses pick one of the four scores."""

    score_key: ClassVar[str]

    def __init__(self, model_dir: str | None = None, batch_size: int = 16,
                 threads: int = 0) -> None:
        self.model_dir = model_dir
        self.batch_size = int(batch_size)
        self.threads = int(threads)

    def unavailable_reason(self) -> str | None:
        try:
            import librosa  # noqa: F401
            import onnxruntime  # noqa: F401
        except ImportError as err:
            return f"DNSMOS needs onnxruntime and librosa (pip install speechmos): {err}"
        return unavailable(DNSMOS_SPEC, self.model_dir)

    def compute(self, items: list[MetricInput]) -> list[MetricValue]:
        folder = resolve(DNSMOS_SPEC, self.model_dir).path
        results: list[MetricValue | None] = [None] * len(items)
        todo: dict[str, np.ndarray] = {}
        keys: list[tuple[str, str] | None] = [None] * len(items)
        for index, item in enumerate(items):
            problem = check_inputs(self.info, item)
            if problem:
                results[index] = MetricValue.missing(problem)
                continue
            audio = resample(item.hypothesis, int(item.hypothesis_sr), SAMPLE_RATE)
            key = (audio_hash(audio, SAMPLE_RATE), str(folder))
            keys[index] = key
            if key not in _SCORES:
                todo[key[0]] = audio
        if todo:
            self._score(folder, todo)
        for index, key in enumerate(keys):
            if key is not None:
                results[index] = MetricValue(float(_SCORES[key][self.score_key]))
        return [value for value in results if value is not None]

    def _score(self, folder: Path, todo: dict[str, np.ndarray]) -> None:
        primary, p808 = cached_model(("dnsmos", str(folder), self.threads, str(pick_device())),
                                     lambda: _load_sessions(folder, self.threads))
        owners: list[str] = []
        segments: list[np.ndarray] = []
        for digest, audio in todo.items():
            for segment in windows(audio):
                owners.append(digest)
                segments.append(segment)
        raw = np.zeros((len(segments), 3), dtype=np.float64)
        p808_scores = np.zeros(len(segments), dtype=np.float64)
        order = list(range(len(segments)))
        for batch in chunks(order, self.batch_size):
            wave = np.stack([segments[i] for i in batch])
            mels = np.stack([p808_features(segments[i]) for i in batch])
            raw[batch] = primary.run(None, {"input_1": wave})[0]
            p808_scores[batch] = p808.run(None, {"input_1": mels})[0][:, 0]
        sig, bak, ovrl = polyfit(raw[:, 0], raw[:, 1], raw[:, 2])
        owner_array = np.array(owners)
        for digest in todo:
            rows = owner_array == digest
            _SCORES[(digest, str(folder))] = {
                "sig": float(sig[rows].mean()), "bak": float(bak[rows].mean()),
                "ovrl": float(ovrl[rows].mean()), "p808": float(p808_scores[rows].mean()),
            }


def _info(metric_id: str, what: str) -> MetricInfo:
    return MetricInfo(id=metric_id, sample_rate=SAMPLE_RATE, unit="MOS", version="1",
                      protocol=f"{PROTOCOL}; {what}", model=MODEL_LABEL)


class DnsmosOverall(_DnsmosBase):
    """DNSMOS P.835 overall quality (OVRL)."""

    info = _info("dnsmos_ovrl", "P.835 OVRL")
    score_key = "ovrl"


class DnsmosSignal(_DnsmosBase):
    """DNSMOS P.835 speech signal quality (SIG)."""

    info = _info("dnsmos_sig", "P.835 SIG")
    score_key = "sig"


class DnsmosBackground(_DnsmosBase):
    """DNSMOS P.835 background noise quality (BAK)."""

    info = _info("dnsmos_bak", "P.835 BAK")
    score_key = "bak"


class DnsmosP808(_DnsmosBase):
    """DNSMOS P.808 overall MOS."""

    info = _info("dnsmos_p808", "P.808 MOS")
    score_key = "p808"
