"""tokbench adapter for X-Codec: residual VQ over fused acoustic (DAC) and semantic (HuBERT)
features, 50 Hz × 10 bits per codebook for the released 16 kHz models.

Settings: ``checkpoint`` (folder, hub id — default ``hf-audio/xcodec-hubert-librispeech`` — or
``tiny``), ``n_quantizers`` (must match one of the checkpoint's target bandwidths: 1, 2, 3, 4 or
8 codebooks = 0.5/1/1.5/2/4 kbps; default 8), ``name``, ``device``, ``sample_rate``,
``trained``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from tokenizers_impl.codec_common.hf_family import CodecFamily, check_settings, probe_noise
from tokenizers_impl.codec_common.rvq import RvqTokenizer, rvq_codebooks, stacked

FAMILY = CodecFamily(
    name="xcodec",
    default_checkpoint="hf-audio/xcodec-hubert-librispeech",
    model_class="XcodecModel",
    config_class="XcodecConfig",
    tiny_config={
        "acoustic_model_config": {"encoder_hidden_size": 4, "downsampling_ratios": [8, 5, 4, 2],
                                  "decoder_hidden_size": 16, "upsampling_ratios": [8, 5, 4, 2],
                                  "hidden_size": 16},
        "semantic_model_config": {"hidden_size": 16, "num_hidden_layers": 1,
                                  "num_attention_heads": 2, "intermediate_size": 32,
                                  "conv_dim": [8] * 7, "num_conv_pos_embeddings": 16,
                                  "num_conv_pos_embedding_groups": 2},
    },
    probe=lambda m: m.encode(probe_noise(0.5, m.config.sample_rate),
                             bandwidth=max(m.config.target_bandwidths)),
)


def bandwidth_for(config: Any, n_quantizers: int) -> float:
    """The target bandwidth (kbps) at which X-Codec uses ``n_quantizers`` codebooks."""
    per_q = config.frame_rate * math.ceil(math.log2(config.codebook_size)) / 1000.0
    offered = {round(float(b) / per_q): float(b) for b in config.target_bandwidths}
    if n_quantizers not in offered:
        raise ValueError(f"xcodec n_quantizers={n_quantizers} is not offered by this checkpoint; "
                         f"choose one of {sorted(offered)} (bandwidths {sorted(offered.values())}"
                         " kbps)")
    return offered[n_quantizers]


class XcodecTokenizer(RvqTokenizer):
    def __init__(self, model: Any, n_quantizers: int, **kwargs: Any) -> None:
        super().__init__(model, n_quantizers, **kwargs)
        self.bandwidth = bandwidth_for(model.config, self.n_quantizers)

    def encode_item(self, wav: torch.Tensor) -> list[torch.Tensor]:
        codes = self.model.encode(wav, bandwidth=self.bandwidth, return_dict=True).audio_codes
        return list(codes[0])

    def decode_item(self, streams: list[torch.Tensor]) -> torch.Tensor:
        return self.model.decode(stacked(streams), return_dict=True).audio_values


def build(checkpoint: str | None = None, n_quantizers: int | None = None,
          name: str | None = None, device: str = "cpu", sample_rate: int | None = None,
          trained: bool | None = None, **unknown: Any) -> XcodecTokenizer:
    """Build X-Codec from suite settings (see module docstring)."""
    check_settings("xcodec", unknown)
    model, _, info = FAMILY.load(checkpoint, trained)
    config = model.config
    n_q = int(config.num_quantizers if n_quantizers is None else n_quantizers)
    bandwidth_for(config, n_q)  # refuse an unsupported count before anything runs
    codebooks = rvq_codebooks(n_q, config.codebook_size, config.sample_rate / config.hop_length)
    tok = XcodecTokenizer(model, n_q, name=name or f"xcodec-{n_q}q", info=info,
                          native_sample_rate=int(config.sample_rate), codebooks=codebooks,
                          sample_rate=sample_rate)
    return tok.to(device)


build.availability = FAMILY.availability  # type: ignore[attr-defined]
