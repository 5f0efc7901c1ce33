"""Single-codebook FSQ codecs with a w2v-BERT semantic branch (X-Codec2, NeuCodec): their
transformers models take a waveform plus the mel features of their own feature extractor, and
emit one stream of prod(quantization_levels) ids (65536 = 16 bits) at 50 Hz."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from bench.contract import Codebook
from tokenizers_impl.codec_common.base import CodecAdapter
from tokenizers_impl.codec_common.hf_family import CodecFamily, probe_noise, split_settings

PREPROCESSOR = "preprocessor_config.json"


def tiny_fsq_config(**extra: Any) -> dict[str, Any]:
    """A small config of either family: 32-wide transformer, 1-layer w2v-BERT, the released
    quantiser levels and hop, so rates match the real models."""
    return {
        "hidden_size": 32, "intermediate_size": 32, "num_hidden_layers": 1,
        "num_attention_heads": 2, "num_key_value_heads": 2, "head_dim": 16,
        "encoder_hidden_size": 4, "quantization_dim": 48,
        "semantic_model_config": {"hidden_size": 16, "num_hidden_layers": 1,
                                  "num_attention_heads": 2, "intermediate_size": 32,
                                  "output_hidden_size": 16, "conv_depthwise_kernel_size": 3,
                                  "num_adapter_layers": 1},
        **extra,
    }


def feature_extractor_writer(class_name: str) -> Any:
    """``extra_tiny`` hook: save the family's default feature extractor next to the model."""
    def write(folder: Path, config: Any) -> None:
        import transformers

        getattr(transformers, class_name)().save_pretrained(folder)
    return write


def fsq_probe(feature_class: str, rate_field: str) -> Any:
    """``CodecFamily.probe``: one encode of seeded noise through the family's features."""
    def probe(model: Any) -> None:
        import transformers

        rate = int(getattr(model.config, rate_field))
        wav = probe_noise(0.5, rate).reshape(-1).numpy()
        inputs = getattr(transformers, feature_class)()(wav, sampling_rate=rate,
                                                        return_tensors="pt")
        model.encode(inputs["input_values"], inputs["input_features"],
                     padding_mask=inputs.get("padding_mask"),
                     input_features_mask=inputs.get("input_features_mask"))
    return probe


class FsqTokenizer(CodecAdapter):
    """One FSQ stream; ``features`` is the family's feature extractor (mel features for the
    semantic branch, hop padding for the acoustic one)."""

    def __init__(self, model: Any, features: Any, **kwargs: Any) -> None:
        self.features = features
        super().__init__(model, **kwargs)

    def encode_item(self, wav: torch.Tensor) -> list[torch.Tensor]:
        inputs = self.features(wav.reshape(-1).cpu().numpy(), sampling_rate=self.native_sample_rate,
                               return_tensors="pt")
        inputs = {k: v.to(self.device) for k, v in inputs.items()}
        out = self.model.encode(inputs["input_values"], inputs["input_features"],
                                padding_mask=inputs.get("padding_mask"),
                                input_features_mask=inputs.get("input_features_mask"))
        codes = out.audio_codes[0, 0]
        if out.audio_codes_mask is not None:  # the frames the model marks valid
            codes = codes[: int(out.audio_codes_mask[0].sum())]
        return [codes]

    def decode_item(self, streams: list[torch.Tensor]) -> torch.Tensor:
        return self.model.decode(audio_codes=streams[0].view(1, 1, -1)).audio_values


def build_fsq(family: CodecFamily, feature_class: str, settings: dict[str, Any],
              input_rate: Any, output_rate: Any) -> FsqTokenizer:
    """Shared ``build``: settings ``checkpoint``, ``name``, ``device``, ``sample_rate``,
    ``trained``."""
    import transformers

    given = split_settings(family.name, settings)
    model, found, info = family.load(given["checkpoint"], given["trained"])
    config = model.config
    features = getattr(transformers, feature_class).from_pretrained(str(found.folder))
    size = math.prod(int(level) for level in config.quantization_levels)
    rate_in = int(input_rate(config))
    hop = float(math.prod(config.downsampling_ratios))
    codebooks = (Codebook("fsq", size, rate_in / hop),)
    tok = FsqTokenizer(model, features, name=given["name"] or family.name, info=info,
                       native_sample_rate=rate_in, codebooks=codebooks,
                       sample_rate=given["sample_rate"],
                       decoded_sample_rate=int(output_rate(config)))
    return tok.to(given["device"])
