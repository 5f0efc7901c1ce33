"""Differentiable generator pass used in training: ``EncodecFeatures`` (encoder, optional
clustering, EMA-trained VQ) -> length regulator -> Vocos backbone -> ISTFT head.

Without clustering (``feature_extractor.cluster is None``) this is the WavTokenizer objective,
one token per 75 Hz frame; with it, encoder frames are pooled into variable spans, quantised per
span and expanded back to frames before decoding, as the official VARSTok training does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tokenizers_impl.varstok.duration import expand_spans


@dataclass
class GeneratorOutput:
    """audio [B, N'], commitment loss (scalar), codes [B, L] (-1 = padding), spans [B, L]
    (frames per token, 0 = padding; all ones without clustering)."""

    audio: torch.Tensor
    commit_loss: torch.Tensor
    codes: torch.Tensor
    spans: torch.Tensor


def generator_forward(feature_extractor: nn.Module, backbone: nn.Module, head: nn.Module,
                      audio: torch.Tensor, bandwidth_id: torch.Tensor) -> GeneratorOutput:
    """Run the tokenizer end to end on a batch of equal-length segments ``audio`` [B, N]."""
    encoded = feature_extractor(audio, bandwidth_id)
    frames_in, _ = expand_spans(encoded.quantized, encoded.spans)
    out = head(backbone(frames_in, bandwidth_id=bandwidth_id))
    return GeneratorOutput(audio=out, commit_loss=encoded.commit_loss,
                           codes=encoded.codes.reshape(audio.shape[0], -1), spans=encoded.spans)
