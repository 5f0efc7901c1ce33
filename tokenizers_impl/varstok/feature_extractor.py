"""EncodecFeatures: SEANet encoder + (optional) density-peak clustering + single-codebook VQ.

Attribute layout (``encodec.encoder``, ``encodec.decoder``, ``encodec.quantizer``) matches the
official checkpoints. Extra optional config keys beyond the official ones (``n_filters``,
``dimension``, ``lstm_layers``, ``seanet_decoder``) default to the official model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from tokenizers_impl.varstok.chunking import DEFAULT_CHUNK_FRAMES, DEFAULT_CONTEXT_FRAMES, pieces
from tokenizers_impl.varstok.clustering import TemporalDensityPeakClustering
from tokenizers_impl.varstok.quantizer import VectorQuantizer
from tokenizers_impl.varstok.seanet import SEANetDecoder, SEANetEncoder


@dataclass
class EncodedFrames:
    """Output of the training/inference forward pass.

    quantized:    [B, D, L] quantized (straight-through in training) span features, 0 on padding
    codes:        [1, B, L] code indices (-1 on padding)
    commit_loss:  scalar commitment loss (0 in eval)
    spans:        [B, L] frames per token (all ones without clustering; 0 on padding)
    mask:         [B, L] True on real tokens
    encoder_out:  [B, D, T] encoder output before clustering
    frame_lengths:[B] real encoder frames per item
    """

    quantized: torch.Tensor
    codes: torch.Tensor
    commit_loss: torch.Tensor
    spans: torch.Tensor
    mask: torch.Tensor
    encoder_out: torch.Tensor
    frame_lengths: torch.Tensor


class _Encodec(nn.Module):
    def __init__(
        self, encoder: SEANetEncoder, decoder: SEANetDecoder | None, quantizer: VectorQuantizer
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.quantizer = quantizer


class EncodecFeatures(nn.Module):
    """Waveform -> (clustered) quantized features. ``cluster`` None = fixed-rate (WavTokenizer)."""

    def __init__(
        self,
        encodec_model: str = "encodec_24khz",
        bandwidths: Sequence[float] = (6.6, 6.6, 6.6, 6.6),
        train_codebooks: bool = True,
        num_quantizers: int = 1,
        dowmsamples: Sequence[int] = (8, 5, 4, 2),
        vq_bins: int = 4096,
        vq_kmeans: int = 200,
        n_filters: int = 32,
        dimension: int = 512,
        lstm_layers: int = 2,
        seanet_decoder: bool = True,
        clustering: TemporalDensityPeakClustering | None = None,
    ) -> None:
        super().__init__()
        if encodec_model != "encodec_24khz":
            raise ValueError(f"unsupported encodec_model {encodec_model!r} (only 'encodec_24khz')")
        if num_quantizers != 1:
            raise ValueError(f"only num_quantizers=1 is supported, got {num_quantizers}")
        self.bandwidths = list(bandwidths)
        self.sample_rate = 24000
        encoder = SEANetEncoder(list(dowmsamples), n_filters, dimension, lstm_layers)
        decoder = (SEANetDecoder([8, 5, 4, 2], n_filters, dimension, lstm_layers)
                   if seanet_decoder else None)
        quantizer = VectorQuantizer(dimension, vq_bins, vq_kmeans, decay=0.99, kmeans_init=True)
        self.encodec = _Encodec(encoder, decoder, quantizer)
        self.cluster = clustering

    exact_batches = True
    """Inference (``infer``) encodes each item of a batch alone, at its own length, from a fresh
    copy of its samples: every kernel then sees the shapes it sees for that item alone, so tokens
    cannot depend on what else shares the batch. (A padded batch runs other kernels for other
    shapes; their last-bit rounding differences flip clustering and VQ decisions that lie within
    rounding of their threshold, see ``tokenizers_impl/varstok/README.md``.) ``False``: padded
    batches (faster on a GPU), equal to one-at-a-time only up to float rounding."""

    chunk_frames: int | None = DEFAULT_CHUNK_FRAMES
    context_frames: int = DEFAULT_CONTEXT_FRAMES
    """Inference on files longer than ``chunk_frames`` runs in chunks (``chunking`` module);
    ``None`` = one pass whatever the length (memory quadratic in length)."""

    @property
    def hop_length(self) -> int:
        return self.encodec.encoder.hop_length

    def encode_frames(
        self, audio: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """audio [B, N] (+ sample lengths) -> encoder output [B, D, T], frame lengths [B]."""
        if audio.dim() != 2:
            raise ValueError(f"audio must be [B, N], got {tuple(audio.shape)}")
        emb = self.encodec.encoder(audio.unsqueeze(1), lengths)
        if lengths is None:
            frames = torch.full((audio.shape[0],), emb.shape[-1], dtype=torch.long,
                                device=audio.device)
        else:
            frames = self.encodec.encoder.output_lengths(lengths.to(audio.device).long())
        return emb, frames

    def forward(
        self, audio: torch.Tensor, bandwidth_id: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> EncodedFrames:
        """Encode, cluster (if enabled), quantize; the training path (EMA codebook, commit loss)."""
        emb, frames = self.encode_frames(audio, lengths)
        return self.tokens_from_frames(emb, frames)

    def tokens_from_frames(self, emb: torch.Tensor, frames: torch.Tensor) -> EncodedFrames:
        """Cluster (if enabled) and quantize encoder output [B, D, T] with frame lengths [B]."""
        width = emb.shape[-1]
        if self.cluster is not None:
            pooled, spans = self.cluster(emb, frames)
        else:
            frame_mask = torch.arange(width, device=emb.device).view(1, -1) < frames.view(-1, 1)
            pooled, spans = emb, frame_mask.long()
        mask = spans > 0
        quantized, codes, loss = self.encodec.quantizer(pooled, mask)
        return EncodedFrames(quantized, codes, loss, spans, mask, emb, frames)

    def encode_item(
        self, wav: torch.Tensor, bandwidth_id: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One item's real samples [N] -> (features [D, L], codes [L], spans [L]); chunked
        past ``chunk_frames`` (see ``chunking``), computed from fresh copies either way."""
        hop = self.hop_length
        total = -(-wav.numel() // hop)
        plan = pieces(total, self.chunk_frames, self.context_frames)
        if len(plan) == 1:
            out = self.forward(own_copy(wav), bandwidth_id)
            return out.quantized[0], out.codes[0, 0], out.spans[0]
        parts = []
        for piece in plan:
            segment = wav[piece.context_start * hop : piece.context_stop * hop]
            emb = self.encodec.encoder(own_copy(segment).unsqueeze(1))
            own = own_copy(emb[0, :, piece.offset : piece.offset + piece.size])
            out = self.tokens_from_frames(own, torch.tensor([own.shape[-1]], device=own.device))
            parts.append((out.quantized[0], out.codes[0, 0], out.spans[0]))
        return (torch.cat([p[0] for p in parts], dim=1), torch.cat([p[1] for p in parts]),
                torch.cat([p[2] for p in parts]))

    def infer(
        self, audio: torch.Tensor, bandwidth_id: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Official return convention: (features, codes [1, B, L], commit_loss, spans [B, L]).

        With ``exact_batches`` each item is encoded alone (see there) and the results padded.
        """
        if not self.exact_batches or self.training:
            out = self.forward(audio, bandwidth_id, lengths)
            return out.quantized, out.codes, out.commit_loss, out.spans
        items = [self.encode_item(row, bandwidth_id) for row in item_rows(audio, lengths)]
        width = max((item[2].numel() for item in items), default=0)
        batch, dim = audio.shape[0], self.encodec.quantizer.dimension
        features = audio.new_zeros(batch, dim, width)
        codes = torch.full((1, batch, width), -1, dtype=torch.long, device=audio.device)
        spans = torch.zeros(batch, width, dtype=torch.long, device=audio.device)
        for index, (item_features, item_codes, item_spans) in enumerate(items):
            count = item_spans.numel()
            features[index, :, :count] = item_features
            codes[0, index, :count] = item_codes
            spans[index, :count] = item_spans
        loss = torch.zeros((), device=audio.device)
        return features, codes, loss, spans


def item_rows(audio: torch.Tensor, lengths: torch.Tensor | None) -> list[torch.Tensor]:
    """The real samples of each row of a padded batch [B, N] (views, no copies)."""
    if lengths is None:
        return list(audio)
    return [row[: int(n)] for row, n in zip(audio, lengths.tolist(), strict=True)]


def own_copy(values: torch.Tensor) -> torch.Tensor:
    """A fresh contiguous copy with a batch axis in front ([1, ...]): the kernels then see the
    same shapes, strides and (allocator-aligned) addresses whichever batch the values came from."""
    return values.unsqueeze(0).clone(memory_format=torch.contiguous_format)
