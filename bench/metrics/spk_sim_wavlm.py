"""Speaker similarity with WavLM-base-plus-SV (x-vector head) through transformers, local folder.

Clips are batched with an attention mask (the feature extractor pads and normalises each clip);
the x-vector embeddings are compared by cosine similarity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from bench.metrics.base import MetricInfo
from bench.metrics.models.common import cached_model, chunks, pick_device
from bench.metrics.models.speaker import EMBED_RATE, SpeakerSimilarity
from bench.weights import WAVLM_SV


def _load_wavlm(folder: Path, device: torch.device) -> tuple[object, torch.nn.Module]:
    from transformers import AutoFeatureExtractor, WavLMForXVector

    extractor = AutoFeatureExtractor.from_pretrained(str(folder), local_files_only=True)
    model = WavLMForXVector.from_pretrained(str(folder), local_files_only=True)
    return extractor, model.to(device).eval()


class WavlmSimilarity(SpeakerSimilarity):
    """Cosine similarity of WavLM-base-plus-SV x-vectors."""

    info = MetricInfo(
        id="spk_sim_wavlm", needs_reference=True, sample_rate=16000, unit="cosine",
        version="1", uses_gpu=True,
        protocol="transformers WavLMForXVector embeddings at 16 kHz (padded batch + attention "
                 "mask); cosine of reference vs reconstruction, both truncated to the shorter",
        model="microsoft/wavlm-base-plus-sv",
    )
    package = "transformers"
    weights_spec = WAVLM_SV

    def __init__(self, model_dir: str | None = None, batch_size: int = 8,
                 device: str | None = None, truncate: bool = True) -> None:
        super().__init__(model_dir, batch_size=batch_size, device=device, truncate=truncate)

    def embed(self, wavs: list[np.ndarray]) -> np.ndarray:
        folder = self.weights_path()
        device = pick_device(self.device)
        extractor, model = cached_model(("wavlm_sv", str(folder), str(device)),
                                        lambda: _load_wavlm(folder, device))
        outputs: list[np.ndarray] = []
        for batch in chunks(wavs, self.batch_size):
            inputs = extractor(list(batch), sampling_rate=EMBED_RATE, padding=True,
                               return_attention_mask=True, return_tensors="pt")
            inputs = {key: value.to(device) for key, value in inputs.items()}
            with torch.no_grad():
                emb = model(**inputs).embeddings
            outputs.append(emb.cpu().numpy())
        return np.concatenate(outputs)
