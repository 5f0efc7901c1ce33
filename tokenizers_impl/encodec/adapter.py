"""tokbench adapter for EnCodec: residual VQ, ``bandwidth`` kbps chooses how many codebooks.

Settings: ``checkpoint`` (save_pretrained folder, hub id such as ``facebook/encodec_24khz`` —
the default — or ``tiny``), ``bandwidth`` (kbps, one of the checkpoint's target bandwidths:
1.5/3/6/12/24 for the 24 kHz model), ``name``, ``device``, ``sample_rate`` (resample in and out;
default the native rate), ``trained``.

    tok = build(checkpoint="facebook/encodec_24khz", bandwidth=1.5)
    batch = tok.encode(wavs, lengths)   # tokens [B, 2, L]: 2 codebooks of 1024 at 75 Hz
"""

from __future__ import annotations

from typing import Any

import torch

from bench.contract import Codebook
from tokenizers_impl.codec_common.base import CodecAdapter
from tokenizers_impl.codec_common.hf_family import CodecFamily, check_settings, probe_noise

FAMILY = CodecFamily(
    name="encodec",
    default_checkpoint="facebook/encodec_24khz",
    model_class="EncodecModel",
    config_class="EncodecConfig",
    tiny_config={"hidden_size": 16, "num_filters": 4, "num_lstm_layers": 1,
                 "num_residual_layers": 1, "codebook_dim": 16},
    probe=lambda m: m.encode(probe_noise(0.5, m.config.sampling_rate),
                             bandwidth=max(m.config.target_bandwidths)),
)


class EncodecTokenizer(CodecAdapter):
    """EnCodec at one bandwidth: K = bandwidth / (frame rate × log2 codebook size) codebooks."""

    def __init__(self, model: Any, bandwidth: float, **kwargs: Any) -> None:
        self.bandwidth = float(bandwidth)
        super().__init__(model, **kwargs)

    def encode_item(self, wav: torch.Tensor) -> list[torch.Tensor]:
        out = self.model.encode(wav, bandwidth=self.bandwidth, return_dict=True)
        codes = out.audio_codes  # [chunks=1, 1, K, L]
        return list(codes[0, 0])

    def decode_item(self, streams: list[torch.Tensor]) -> torch.Tensor:
        codes = torch.stack(streams).view(1, 1, len(streams), -1)
        audio = self.model.decode(codes, [None], return_dict=True).audio_values
        return audio.reshape(-1)


def build(checkpoint: str | None = None, bandwidth: float | None = None,
          name: str | None = None, device: str = "cpu", sample_rate: int | None = None,
          trained: bool | None = None, **unknown: Any) -> EncodecTokenizer:
    """Build EnCodec from suite settings (see module docstring)."""
    check_settings("encodec", unknown)
    model, _, info = FAMILY.load(checkpoint, trained)
    config = model.config
    if config.chunk_length is not None or config.normalize:
        raise ValueError("this adapter supports un-chunked, un-normalised EnCodec checkpoints "
                         "(the 24 kHz model); chunked 48 kHz checkpoints carry per-chunk scales "
                         "as side information, which is not implemented")
    bandwidths = [float(b) for b in config.target_bandwidths]
    bw = float(bandwidth) if bandwidth is not None else bandwidths[0]
    if bw not in bandwidths:
        raise ValueError(f"encodec bandwidth {bw} kbps not offered by this checkpoint; "
                         f"choose one of {bandwidths}")
    n_q = model.quantizer.get_num_quantizers_for_bandwidth(bw)
    rate = config.sampling_rate / config.hop_length
    codebooks = tuple(Codebook(f"rvq{k}", int(config.codebook_size), rate) for k in range(n_q))
    tok = EncodecTokenizer(model, bw, name=name or f"encodec-{bw:g}kbps", info=info,
                           native_sample_rate=int(config.sampling_rate), codebooks=codebooks,
                           sample_rate=sample_rate)
    return tok.to(device)


build.availability = FAMILY.availability  # type: ignore[attr-defined]
