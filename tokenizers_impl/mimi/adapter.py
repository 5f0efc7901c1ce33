"""tokbench adapter for Mimi: split residual VQ (1 semantic + acoustic codebooks) at 12.5 Hz.

Settings: ``checkpoint`` (folder, hub id — default ``kyutai/mimi`` — or ``tiny``),
``n_quantizers`` (1..32, default 8 as in Moshi: 8 × 12.5 Hz × 11 bits = 1.1 kbps), ``name``,
``device``, ``sample_rate``, ``trained``.
"""

from __future__ import annotations

from typing import Any

import torch

from tokenizers_impl.codec_common.hf_family import CodecFamily, probe_noise
from tokenizers_impl.codec_common.rvq import RvqTokenizer, build_rvq, stacked

FAMILY = CodecFamily(
    name="mimi",
    default_checkpoint="kyutai/mimi",
    model_class="MimiModel",
    config_class="MimiConfig",
    tiny_config={"hidden_size": 16, "num_filters": 4, "num_hidden_layers": 1,
                 "intermediate_size": 32, "num_attention_heads": 2, "num_key_value_heads": 2,
                 "head_dim": 8, "codebook_dim": 16, "vector_quantization_hidden_dimension": 16,
                 "num_quantizers": 32, "upsample_groups": 16},
    probe=lambda m: m.encode(probe_noise(0.5, m.config.sampling_rate)),
)
DEFAULT_N_QUANTIZERS = 8


class MimiTokenizer(RvqTokenizer):
    def encode_item(self, wav: torch.Tensor) -> list[torch.Tensor]:
        codes = self.model.encode(wav, num_quantizers=self.n_quantizers).audio_codes
        return list(codes[0])

    def decode_item(self, streams: list[torch.Tensor]) -> torch.Tensor:
        return self.model.decode(stacked(streams)).audio_values


def build(**settings: Any) -> MimiTokenizer:
    """Build Mimi from suite settings (see module docstring)."""
    settings.setdefault("n_quantizers", None)
    if settings["n_quantizers"] is None:
        settings["n_quantizers"] = DEFAULT_N_QUANTIZERS
    return build_rvq(MimiTokenizer, FAMILY, settings,
                     lambda c: c.num_quantizers,
                     lambda c: float(c.frame_rate),
                     minimum=1)


build.availability = FAMILY.availability  # type: ignore[attr-defined]
