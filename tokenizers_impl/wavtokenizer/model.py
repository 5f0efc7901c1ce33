"""WavTokenizer inference API (official method names) on the shared VARSTok modules."""

from __future__ import annotations

import torch

from tokenizers_impl.varstok.model import VARSTok


class WavTokenizer(VARSTok):
    """Encoder + VQ per 75 Hz frame (no clustering), Vocos backbone, ISTFT head."""

    uses_clustering = False

    @torch.inference_mode()
    def encode_infer(  # type: ignore[override]
        self, audio_input: torch.Tensor, bandwidth_id: torch.Tensor | int | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """audio [B, N] (+ sample lengths) -> (features [B, D, T], codes [1, B, T], -1 = pad)."""
        features, codes, _, _ = self.feature_extractor.infer(audio_input, bandwidth_id, lengths)
        return features, codes

    @torch.inference_mode()
    def codes_to_features(self, codes: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """codes [1, B, T] or [B, T] (negative = padding) -> features [B, D, T]."""
        codes = codes[0] if codes.dim() == 3 else codes
        return self.feature_extractor.encodec.quantizer.decode(codes.long())

    @torch.inference_mode()
    def decode(  # type: ignore[override]
        self, features_input: torch.Tensor, bandwidth_id: torch.Tensor | int | None = None,
        frame_lengths: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """features [B, D, T] -> audio [B, T * hop]; ``frame_lengths`` [B] for padded batches."""
        spans = None
        if frame_lengths is not None:
            frames = features_input.shape[-1]
            spans = (torch.arange(frames, device=features_input.device).view(1, -1)
                     < frame_lengths.to(features_input.device).view(-1, 1)).long()
        return self.decode_with_lengths(features_input, spans, bandwidth_id)[0]

    @torch.inference_mode()
    def forward(self, audio_input: torch.Tensor, bandwidth_id: torch.Tensor | int | None = None,
                lengths: torch.Tensor | None = None) -> torch.Tensor:
        features, codes = self.encode_infer(audio_input, bandwidth_id, lengths)
        return self.decode(features, bandwidth_id, (codes[0] >= 0).sum(dim=1))
