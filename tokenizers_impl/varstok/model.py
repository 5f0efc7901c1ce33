"""VARSTok: variable-rate speech tokenizer (density-peak clustering over WavTokenizer frames).

Drop-in for the official ``decoder.pretrained.VARSTok`` inference API (same method names and
return conventions), plus batched encode/decode with per-item lengths.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tokenizers_impl.varstok.backbone import VocosBackbone
from tokenizers_impl.varstok.checkpoint import (
    DEFAULT_CHECKPOINT,
    DEFAULT_CONFIG,
    load_config,
    load_state_dict,
    resolve_file,
)
from tokenizers_impl.varstok.chunking import pieces
from tokenizers_impl.varstok.clustering import ClusteringSettings, TemporalDensityPeakClustering
from tokenizers_impl.varstok.duration import expand_spans, ids_to_spans, spans_to_ids
from tokenizers_impl.varstok.feature_extractor import EncodecFeatures, EncodedFrames, own_copy
from tokenizers_impl.varstok.head import ISTFTHead

PathLike = str | os.PathLike[str]


def build_modules(
    init: dict[str, Any], clustering: TemporalDensityPeakClustering | None,
    seanet_decoder: bool | None = None,
) -> tuple[EncodecFeatures, VocosBackbone, ISTFTHead]:
    """Instantiate the three parts from ``model.init_args`` of an official config."""
    fe_args = dict(init["feature_extractor"]["init_args"])
    if seanet_decoder is not None:
        fe_args["seanet_decoder"] = seanet_decoder
    feature_extractor = EncodecFeatures(**fe_args, clustering=clustering)
    backbone = VocosBackbone(**init["backbone"]["init_args"])
    head = ISTFTHead(**init["head"]["init_args"])
    return feature_extractor, backbone, head


class VARSTok(nn.Module):
    """Encoder + clustering + VQ (``feature_extractor``), Vocos ``backbone``, ISTFT ``head``."""

    uses_clustering = True

    def __init__(self, feature_extractor: EncodecFeatures, backbone: VocosBackbone,
                 head: ISTFTHead) -> None:
        super().__init__()
        self.feature_extractor = feature_extractor
        self.backbone = backbone
        self.head = head

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_hparams(
        cls, config_path: PathLike, clustering: str = "original",
        seanet_decoder: bool | None = None,
        **clustering_settings: Any,
    ) -> VARSTok:
        """Build (random weights) from an official LightningCLI YAML."""
        init = load_config(config_path)
        cluster = None
        if cls.uses_clustering:
            settings = ClusteringSettings(clustering, **{
                k: v for k, v in clustering_settings.items() if v is not None})
            cluster = TemporalDensityPeakClustering(**settings.__dict__)
        return cls(*build_modules(init, cluster, seanet_decoder))

    @classmethod
    def from_pretrained(
        cls, config_path: PathLike, model_path: PathLike, clustering: str = "original",
        cache_dir: str | None = None, **clustering_settings: Any,
    ) -> VARSTok:
        """Load an official config + Lightning checkpoint (file, folder or hub id ``owner/name``).

        Keeps ``feature_extractor.``/``backbone.``/``head.`` keys, accepts fp16/fp32, reads
        tensors only (pickles only with ``--trust-remote-checkpoints``, ``bench.trust``). A
        checkpoint without SEANet decoder weights loads into a model without that (unused) decoder.
        """
        config_file = resolve_file(config_path, DEFAULT_CONFIG, "config", cache_dir)
        ckpt_file = resolve_file(model_path, DEFAULT_CHECKPOINT, "checkpoint", cache_dir)
        state = load_state_dict(ckpt_file)
        has_decoder = any(k.startswith("feature_extractor.encodec.decoder.") for k in state)
        model = cls.from_hparams(config_file, clustering=clustering, seanet_decoder=has_decoder,
                                 **clustering_settings)
        model.load_state_dict(state, strict=True)
        model.source = str(ckpt_file)
        return model.eval()

    @classmethod
    def from_folder(cls, folder: PathLike, **kwargs: Any) -> VARSTok:
        """Folder holding ``config.yaml`` + ``model.ckpt``."""
        folder = Path(folder)
        return cls.from_pretrained(folder / DEFAULT_CONFIG, folder / DEFAULT_CHECKPOINT, **kwargs)

    # ------------------------------------------------------------------ settings
    @property
    def bins(self) -> int:
        return self.feature_extractor.encodec.quantizer.bins

    @property
    def hop_length(self) -> int:
        return self.feature_extractor.hop_length

    @property
    def clustering(self) -> ClusteringSettings | None:
        cluster = self.feature_extractor.cluster
        return None if cluster is None else cluster.settings

    def set_clustering(self, variant: str | None = None, **settings: Any) -> None:
        """Switch clustering variant/threshold/max_span/k/beta on a loaded model."""
        cluster = self.feature_extractor.cluster
        if cluster is None:
            raise RuntimeError(f"{type(self).__name__} has no clustering")
        cluster.configure(variant=variant, **settings)

    def _bandwidth(
        self, bandwidth_id: torch.Tensor | int | None, device: torch.device
    ) -> torch.Tensor:
        if bandwidth_id is None:
            bandwidth_id = 0
        if not isinstance(bandwidth_id, torch.Tensor):
            bandwidth_id = torch.tensor([int(bandwidth_id)])
        return bandwidth_id.to(device)

    # ------------------------------------------------------------------ official API
    @torch.inference_mode()
    def encode_infer(
        self, audio_input: torch.Tensor, bandwidth_id: torch.Tensor | int | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """audio [B, N] (+ sample lengths [B]) -> (features [B, D, L], ids [1, B, L] with
        implicit durations (-1 = padding), cluster_lengths [B, L] (0 = padding))."""
        features, codes, _, spans = self.feature_extractor.infer(audio_input, bandwidth_id, lengths)
        return features, spans_to_ids(codes, spans.unsqueeze(0), self.bins), spans

    @torch.inference_mode()
    def codes_to_features(
        self, shifted_codes: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """ids [1, B, L] or [B, L] (-1 = pad) -> (features [B, D, L], cluster_lengths [B, L])."""
        ids = shifted_codes[0] if shifted_codes.dim() == 3 else shifted_codes
        codes, spans = ids_to_spans(ids.long(), self.bins)
        return self.feature_extractor.encodec.quantizer.decode(codes), spans

    @torch.inference_mode()
    def decode(
        self, features_input: torch.Tensor, cluster_lengths: torch.Tensor | None = None,
        bandwidth_id: torch.Tensor | int | None = None,
    ) -> torch.Tensor:
        """features [B, D, L] and spans [B, L] -> audio [B, frames * hop] (zeros past each end)."""
        return self.decode_with_lengths(features_input, cluster_lengths, bandwidth_id)[0]

    @torch.inference_mode()
    def decode_with_lengths(
        self, features_input: torch.Tensor, cluster_lengths: torch.Tensor | None = None,
        bandwidth_id: torch.Tensor | int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Like ``decode`` but also returns the real sample count of each item [B].

        With ``feature_extractor.exact_batches`` (the default) each item is decoded alone at its
        own length from a fresh copy of its features, so its audio is bit-identical whatever
        else shares the batch; otherwise one padded batch (equal up to float rounding).
        """
        bw = self._bandwidth(bandwidth_id, features_input.device)
        if cluster_lengths is None:
            cluster_lengths = torch.ones(features_input.shape[0], features_input.shape[-1],
                                         dtype=torch.long, device=features_input.device)
        if not self.feature_extractor.exact_batches:
            return self._decode_padded(features_input, cluster_lengths, bw)
        cluster_lengths = cluster_lengths.to(features_input.device).long()
        items = []
        for feats, spans in zip(features_input, cluster_lengths, strict=True):
            count = int((spans > 0).sum())
            if count == 0:  # an empty item decodes to no samples
                items.append(features_input.new_zeros(0))
                continue
            frames_in, _ = expand_spans(own_copy(feats[:, :count]), own_copy(spans[:count]))
            items.append(self._decode_frames(frames_in[0], bw))
        samples = torch.tensor([p.numel() for p in items], dtype=torch.long,
                               device=features_input.device)
        audio = features_input.new_zeros(len(items), int(samples.max()) if items else 0)
        for index, piece in enumerate(items):
            audio[index, : piece.numel()] = piece
        return audio, samples

    def _decode_frames(self, frames: torch.Tensor, bw: torch.Tensor) -> torch.Tensor:
        """One item's frames [D, F] -> audio [F * hop], in chunks past ``chunk_frames``."""
        fe = self.feature_extractor
        plan = pieces(frames.shape[-1], fe.chunk_frames, fe.context_frames)
        if len(plan) == 1:
            return self.head(self.backbone(own_copy(frames), bandwidth_id=bw))[0]
        hop = self.hop_length
        parts = []
        for piece in plan:
            window = own_copy(frames[:, piece.context_start : piece.context_stop])
            audio = self.head(self.backbone(window, bandwidth_id=bw))[0]
            parts.append(audio[piece.offset * hop : (piece.offset + piece.size) * hop])
        return torch.cat(parts)

    def _decode_padded(
        self, features_input: torch.Tensor, cluster_lengths: torch.Tensor, bw: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One padded batch through backbone and head (padding masked out of every statistic)."""
        frames_in, frames = expand_spans(features_input, cluster_lengths)
        uneven = bool((frames < frames_in.shape[-1]).any())
        hidden = self.backbone(frames_in, bandwidth_id=bw, lengths=frames if uneven else None)
        audio = self.head(hidden, lengths=frames if uneven else None)
        return audio, frames * self.hop_length

    def reconstruct(
        self, audio_input: torch.Tensor, bandwidth_id: torch.Tensor | int | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, EncodedFrames]:
        """Differentiable encode -> quantize -> expand -> decode for training.

        Returns (audio [B, frames * hop], EncodedFrames with commit_loss, codes, spans).
        """
        encoded = self.feature_extractor(audio_input, bandwidth_id, lengths)
        bw = self._bandwidth(bandwidth_id, audio_input.device)
        frames_in, frames = expand_spans(encoded.quantized, encoded.spans)
        uneven = bool((frames < frames_in.shape[-1]).any())
        hidden = self.backbone(frames_in, bandwidth_id=bw, lengths=frames if uneven else None)
        return self.head(hidden, lengths=frames if uneven else None), encoded

    @torch.inference_mode()
    def forward(self, audio_input: torch.Tensor, bandwidth_id: torch.Tensor | int | None = None,
                lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Copy-synthesis: encode then decode."""
        features, _, spans = self.encode_infer(audio_input, bandwidth_id, lengths)
        return self.decode(features, spans, bandwidth_id)
