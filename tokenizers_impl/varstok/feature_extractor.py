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

    encode_items_separately_on_cpu = True
    """On CPU a padded batch of long clips makes the encoder's convolutions memory-bound (16
    clips of 3-12 s ran 3.7x slower than one at a time), so padded batches are encoded item by
    item there; clustering, quantization and decoding stay batched. GPUs use the padded path."""

    @property
    def hop_length(self) -> int:
        return self.encodec.encoder.hop_length

    def encode_frames(
        self, audio: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """audio [B, N] (+ sample lengths) -> encoder output [B, D, T], frame lengths [B]."""
        if audio.dim() != 2:
            raise ValueError(f"audio must be [B, N], got {tuple(audio.shape)}")
        if (lengths is not None and audio.shape[0] > 1 and audio.device.type == "cpu"
                and self.encode_items_separately_on_cpu):
            return self._encode_each_item(audio, lengths.to(audio.device).long())
        emb = self.encodec.encoder(audio.unsqueeze(1), lengths)
        if lengths is None:
            frames = torch.full((audio.shape[0],), emb.shape[-1], dtype=torch.long,
                                device=audio.device)
        else:
            frames = self.encodec.encoder.output_lengths(lengths.to(audio.device).long())
        return emb, frames

    def _encode_each_item(
        self, audio: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The padded-batch result, computed one unpadded item at a time (identical frames;
        the padding frames past each item's length are zeros)."""
        encoder = self.encodec.encoder
        frames = encoder.output_lengths(lengths)
        width = int(encoder.output_lengths(lengths.new_tensor([audio.shape[1]]))[0])
        emb = audio.new_zeros(audio.shape[0], encoder.dimension, width)
        for index, samples in enumerate(lengths.tolist()):
            item = encoder(audio[index : index + 1, :samples].unsqueeze(1))
            emb[index, :, : item.shape[-1]] = item[0]
        return emb, frames

    def forward(
        self, audio: torch.Tensor, bandwidth_id: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> EncodedFrames:
        """Encode, cluster (if enabled), quantize; the training path (EMA codebook, commit loss)."""
        emb, frames = self.encode_frames(audio, lengths)
        width = emb.shape[-1]
        if self.cluster is not None:
            pooled, spans = self.cluster(emb, frames)
        else:
            frame_mask = torch.arange(width, device=emb.device).view(1, -1) < frames.view(-1, 1)
            pooled, spans = emb, frame_mask.long()
        mask = spans > 0
        quantized, codes, loss = self.encodec.quantizer(pooled, mask)
        return EncodedFrames(quantized, codes, loss, spans, mask, emb, frames)

    def infer(
        self, audio: torch.Tensor, bandwidth_id: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Official return convention: (features, codes [1, B, L], commit_loss, spans [B, L])."""
        out = self.forward(audio, bandwidth_id, lengths)
        return out.quantized, out.codes, out.commit_loss, out.spans
