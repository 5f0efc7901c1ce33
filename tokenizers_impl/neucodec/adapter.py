"""tokbench adapter for NeuCodec: 16 kHz in, 24 kHz out, one stream of 65536 ids at 50 Hz.

The exposed ``sample_rate`` is the input rate (16 kHz) unless the suite sets ``sample_rate``
(e.g. 24000 to keep the decoder's native output rate); audio is resampled in and out to it.

Settings: ``checkpoint`` (folder with config, weights and ``preprocessor_config.json``, hub id —
default ``neuphonic/neucodec`` — or ``tiny``), ``name``, ``device``, ``sample_rate``,
``trained``.
"""

from __future__ import annotations

from typing import Any

from tokenizers_impl.codec_common.fsq import (
    PREPROCESSOR,
    FsqTokenizer,
    build_fsq,
    feature_extractor_writer,
    fsq_probe,
    tiny_fsq_config,
)
from tokenizers_impl.codec_common.hf_family import CodecFamily
from tokenizers_impl.codec_common.weights import HF_WEIGHT_FILES

FAMILY = CodecFamily(
    name="neucodec",
    default_checkpoint="neuphonic/neucodec",
    model_class="NeuCodecModel",
    config_class="NeuCodecConfig",
    tiny_config=tiny_fsq_config(),
    required=("config.json", HF_WEIGHT_FILES, PREPROCESSOR),
    extra_tiny=feature_extractor_writer("NeuCodecFeatureExtractor"),
    probe=fsq_probe("NeuCodecFeatureExtractor", "input_sampling_rate"),
)


def build(**settings: Any) -> FsqTokenizer:
    """Build NeuCodec from suite settings (see module docstring)."""
    return build_fsq(FAMILY, "NeuCodecFeatureExtractor", settings,
                     lambda c: c.input_sampling_rate, lambda c: c.output_sampling_rate)


build.availability = FAMILY.availability  # type: ignore[attr-defined]
