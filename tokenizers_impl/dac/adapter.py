"""tokbench adapter for DAC: residual VQ, ``n_quantizers`` of the checkpoint's codebooks.

Settings: ``checkpoint`` (folder, hub id — default ``descript/dac_16khz`` — or ``tiny``),
``n_quantizers`` (default all: 12 for the 16 kHz model, 50 Hz × 10 bits each), ``name``,
``device``, ``sample_rate``, ``trained``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from tokenizers_impl.codec_common.hf_family import CodecFamily
from tokenizers_impl.codec_common.rvq import RvqTokenizer, build_rvq, stacked

FAMILY = CodecFamily(
    name="dac",
    default_checkpoint="descript/dac_16khz",
    model_class="DacModel",
    config_class="DacConfig",
    tiny_config={"encoder_hidden_size": 4, "downsampling_ratios": [2, 4, 5, 8],
                 "upsampling_ratios": [8, 5, 4, 2], "decoder_hidden_size": 32,
                 "n_codebooks": 12, "codebook_size": 1024, "codebook_dim": 8,
                 "hidden_size": 64, "sampling_rate": 16000},
)


class DacTokenizer(RvqTokenizer):
    def encode_item(self, wav: torch.Tensor) -> list[torch.Tensor]:
        codes = self.model.encode(wav, n_quantizers=self.n_quantizers, return_dict=True)
        return list(codes.audio_codes[0, : self.n_quantizers])

    def decode_item(self, streams: list[torch.Tensor]) -> torch.Tensor:
        return self.model.decode(audio_codes=stacked(streams), return_dict=True).audio_values


def build(**settings: Any) -> DacTokenizer:
    """Build DAC from suite settings (see module docstring)."""
    return build_rvq(DacTokenizer, FAMILY, settings, lambda c: c.n_codebooks,
                     lambda c: c.sampling_rate / float(np.prod(c.downsampling_ratios)))


build.availability = FAMILY.availability  # type: ignore[attr-defined]
