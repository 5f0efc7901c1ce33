"""Speaker similarity with SpeechBrain's ECAPA-TDNN (spkrec-ecapa-voxceleb) from a local folder.

The folder's ``hyperparams.yaml`` is never executed by default: the encoder is built from known
classes with values read by a safe loader (``ecapa_safe``); SpeechBrain's own HyperPyYAML loader
runs only with ``--trust-remote-checkpoints``.
Clips are zero-padded into one batch with relative lengths, so padding is ignored by the
model's statistics pooling; embeddings are compared by cosine similarity.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from bench.metrics.base import MetricInfo
from bench.metrics.models.common import cached_model, chunks, pad_batch, pick_device
from bench.metrics.models.ecapa_safe import load_safe_encoder, read_config
from bench.metrics.models.speaker import SpeakerSimilarity
from bench.trust import UntrustedFileError, is_trusted
from bench.weights import ECAPA


def _load_classifier(folder: Path, device: torch.device) -> object:
    """The encoder: built from known classes, or (user trust only) SpeechBrain's loader."""
    if not is_trusted():
        return load_safe_encoder(folder, device)
    from speechbrain.inference.speaker import EncoderClassifier
    from speechbrain.utils.fetching import LocalStrategy

    return EncoderClassifier.from_hparams(
        source=str(folder), savedir=str(folder), run_opts={"device": str(device)},
        local_strategy=LocalStrategy.NO_LINK,
    )


class EcapaSimilarity(SpeakerSimilarity):
    """Cosine similarity of ECAPA-TDNN x-vectors."""

    info = MetricInfo(
        id="spk_sim_ecapa", needs_reference=True, sample_rate=16000, unit="cosine",
        version="1", uses_gpu=True,
        protocol="speechbrain EncoderClassifier.encode_batch at 16 kHz with relative lengths; "
                 "cosine of reference vs reconstruction, both truncated to the shorter",
        model="speechbrain/spkrec-ecapa-voxceleb (ECAPA-TDNN)",
    )
    package = "speechbrain"
    weights_spec = ECAPA

    def __init__(self, model_dir: str | None = None, batch_size: int = 16,
                 device: str | None = None, truncate: bool = True) -> None:
        super().__init__(model_dir, batch_size=batch_size, device=device, truncate=truncate)

    def unavailable_reason(self) -> str | None:
        reason = super().unavailable_reason()
        if reason is None and not is_trusted():
            try:
                read_config(self.weights_path() / "hyperparams.yaml")
            except UntrustedFileError as err:
                return str(err)
        return reason

    def embed(self, wavs: list[np.ndarray]) -> np.ndarray:
        folder = self.weights_path()
        device = pick_device(self.device)
        classifier = cached_model(("ecapa", str(folder), str(device), is_trusted()),
                                  lambda: _load_classifier(folder, device))
        outputs: list[np.ndarray] = []
        for batch in chunks(wavs, self.batch_size):
            padded, lengths = pad_batch(batch)
            relative = lengths.float() / float(lengths.max())
            with torch.no_grad():
                emb = classifier.encode_batch(padded.to(device), relative.to(device))
            outputs.append(emb.squeeze(1).cpu().numpy())
        return np.concatenate(outputs)
