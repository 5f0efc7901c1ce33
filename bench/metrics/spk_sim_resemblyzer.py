"""Speaker similarity with Resemblyzer's GE2E voice encoder (weights ship in the package).

Each clip is preprocessed as Resemblyzer does (16 kHz, volume normalisation, long silences
trimmed), cut into 1.6 s partials; all partials of a batch run through the LSTM at once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from bench.metrics.base import MetricInfo
from bench.metrics.models.common import cached_model, chunks, pick_device
from bench.metrics.models.speaker import SpeakerSimilarity
from bench.weights import RESEMBLYZER


def _load_encoder(weights: Path, device: torch.device) -> torch.nn.Module:
    from resemblyzer import VoiceEncoder

    encoder = VoiceEncoder(device=device, verbose=False, weights_fpath=weights)
    return encoder.eval()


class ResemblyzerSimilarity(SpeakerSimilarity):
    """Cosine similarity of Resemblyzer utterance embeddings."""

    info = MetricInfo(
        id="spk_sim_resemblyzer", needs_reference=True, sample_rate=16000, unit="cosine",
        version="1", uses_gpu=True,
        protocol="Resemblyzer preprocess_wav + embed_utterance (rate 1.3, min coverage 0.75); "
                 "cosine of reference vs reconstruction, both truncated to the shorter",
        model="Resemblyzer GE2E VoiceEncoder (resemblyzer/pretrained.pt)",
    )
    package = "resemblyzer"
    weights_spec = RESEMBLYZER

    def __init__(self, weights: str | None = None, batch_size: int = 64,
                 device: str | None = None, truncate: bool = True) -> None:
        super().__init__(weights, batch_size=batch_size, device=device, truncate=truncate)

    def embed(self, wavs: list[np.ndarray]) -> np.ndarray:
        from resemblyzer import audio as ra
        from resemblyzer import preprocess_wav

        weights = self.weights_path()
        device = pick_device(self.device)
        encoder = cached_model(("resemblyzer", str(weights), str(device)),
                               lambda: _load_encoder(weights, device))
        mels: list[np.ndarray] = []
        owners: list[int] = []
        for index, wav in enumerate(wavs):
            clip = preprocess_wav(wav.astype(np.float32))
            if len(clip) == 0:  # everything trimmed as silence: embed the untrimmed clip
                clip = wav.astype(np.float32)
            wav_slices, mel_slices = encoder.compute_partial_slices(len(clip), 1.3, 0.75)
            needed = wav_slices[-1].stop
            if needed >= len(clip):
                clip = np.pad(clip, (0, needed - len(clip)))
            mel = ra.wav_to_mel_spectrogram(clip)
            for piece in mel_slices:
                mels.append(mel[piece])
                owners.append(index)
        rows = list(range(len(mels)))
        outputs: list[np.ndarray] = []
        with torch.no_grad():
            for batch in chunks(rows, self.batch_size):
                stacked = torch.from_numpy(np.stack([mels[i] for i in batch])).to(device)
                outputs.append(encoder(stacked).cpu().numpy())
        partials = np.concatenate(outputs)
        owner_array = np.array(owners)
        embeddings = []
        for index in range(len(wavs)):
            mean = partials[owner_array == index].mean(axis=0)
            embeddings.append(mean / np.linalg.norm(mean))
        return np.stack(embeddings)
