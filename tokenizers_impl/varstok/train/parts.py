"""Build the trainable parts (feature extractor, backbone, head) from an official-style config
through the inference package's constructors, with the chosen clustering variant."""

from __future__ import annotations

from typing import Any

from torch import nn

from tokenizers_impl.varstok.clustering import TemporalDensityPeakClustering
from tokenizers_impl.varstok.model import build_modules


def build_parts(model_config: dict[str, Any], clustering: str,
                clustering_settings: dict[str, Any] | None = None
                ) -> tuple[nn.Module, nn.Module, nn.Module]:
    """``clustering`` is ``none`` (WavTokenizer: fixed 75 Hz tokens), ``original`` or ``fixed``."""
    init = model_config.get("init_args", model_config)
    cluster = None
    if clustering != "none":
        cluster = TemporalDensityPeakClustering(variant=clustering, **(clustering_settings or {}))
    fe_args = init["feature_extractor"].get("init_args", {})
    return build_modules(init, cluster, bool(fe_args.get("seanet_decoder", True)))


def num_bandwidths(model_config: dict[str, Any]) -> int:
    """Number of AdaLayerNorm conditions (``len(bandwidths)``, the official discriminator
    embedding count)."""
    init = model_config.get("init_args", model_config)
    fe_args = init["feature_extractor"].get("init_args", {})
    return len(fe_args.get("bandwidths", (6.6, 6.6, 6.6, 6.6)))
