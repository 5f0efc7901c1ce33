"""VARSTok (variable-rate speech tokenizer) and its building blocks, official checkpoint layout.

Public API (all ``torch.nn.Module`` unless noted):

- ``tokenizers_impl.varstok.model.VARSTok`` - full model. ``VARSTok.from_pretrained(config_path,
  model_path, clustering="original", threshold=, max_span=, k=, beta=)`` loads the official
  LightningCLI YAML + Lightning checkpoint (file, folder or hub id); ``from_hparams(config_path)``
  builds with random weights. Official methods: ``encode_infer(wav, bandwidth_id, lengths=None)
  -> (features [B,D,L], ids [1,B,L], cluster_lengths [B,L])``, ``decode(features,
  cluster_lengths, bandwidth_id)``, ``codes_to_features(ids) -> (features, cluster_lengths)``;
  ``set_clustering(variant, **settings)`` switches clustering on a loaded model;
  ``reconstruct(wav, bandwidth_id, lengths)`` is the differentiable training forward.
- ``tokenizers_impl.varstok.feature_extractor.EncodecFeatures`` - encoder + clustering + VQ
  (``.encodec.encoder``, ``.encodec.decoder`` (unused, optional), ``.encodec.quantizer``,
  ``.cluster``); ``forward(wav, bandwidth_id, lengths) -> EncodedFrames`` (quantized,
  codes, commit_loss, spans, mask, encoder_out, frame_lengths); trains the codebook by EMA.
  Extra optional config ``init_args``: ``n_filters`` (32), ``dimension`` (512),
  ``lstm_layers`` (2), ``seanet_decoder`` (true).
- ``tokenizers_impl.varstok.seanet.SEANetEncoder`` / ``SEANetDecoder``.
- ``tokenizers_impl.varstok.quantizer.VectorQuantizer`` (EMA codebook ``EuclideanCodebook``,
  k-means init on first training batch, dead-code replacement, commitment loss weight 1).
- ``tokenizers_impl.varstok.clustering.TemporalDensityPeakClustering`` (+ ``ClusteringSettings``):
  variants ``original`` / ``fixed``, vectorised, exact w.r.t. the official per-frame loop.
- ``tokenizers_impl.varstok.duration``: ``spans_to_ids``, ``ids_to_spans``, ``expand_spans``
  (length regulator), ``LengthRegulator``.
- ``tokenizers_impl.varstok.backbone.VocosBackbone`` (attention pos_net, AdaLayerNorm) and
  ``tokenizers_impl.varstok.head.ISTFTHead`` ('same' padding).
- ``tokenizers_impl.varstok.adapter.build(**settings)`` - the tokbench ``Tokenizer`` adapter.
"""

from tokenizers_impl.varstok.clustering import ClusteringSettings, TemporalDensityPeakClustering
from tokenizers_impl.varstok.model import VARSTok

__all__ = ["ClusteringSettings", "TemporalDensityPeakClustering", "VARSTok"]
