"""tokbench adapter for X-Codec2: 16 kHz in and out, one stream of 65536 ids at 50 Hz (0.8 kbps).

Settings: ``checkpoint`` (folder with config, weights and ``preprocessor_config.json``, hub id —
default ``HKUSTAudio/xcodec2-hf`` — or ``tiny``), ``name``, ``device``, ``sample_rate``,
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
    name="xcodec2",
    default_checkpoint="HKUSTAudio/xcodec2-hf",
    model_class="Xcodec2Model",
    config_class="Xcodec2Config",
    tiny_config=tiny_fsq_config(),
    required=("config.json", HF_WEIGHT_FILES, PREPROCESSOR),
    extra_tiny=feature_extractor_writer("Xcodec2FeatureExtractor"),
    probe=fsq_probe("Xcodec2FeatureExtractor", "sampling_rate"),
)


def build(**settings: Any) -> FsqTokenizer:
    """Build X-Codec2 from suite settings (see module docstring)."""
    return build_fsq(FAMILY, "Xcodec2FeatureExtractor", settings,
                     lambda c: c.sampling_rate, lambda c: c.sampling_rate)


build.availability = FAMILY.availability  # type: ignore[attr-defined]
