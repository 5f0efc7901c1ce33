"""tokbench adapter for SNAC: K residual codebooks at different rates (coarse to fine).

The streams are carried as they are, one codebook per scale with its own length, never
interleaved into one sequence: the 24 kHz model emits 3 streams of 4096 ids at 11.7, 23.4 and
46.9 Hz (0.98 kbps). SNAC pads audio to a multiple of ``hop × lcm(stride, attention window)``
before encoding; those padded frames are emitted and counted. Its decoder adds noise, drawn
here from a fixed seed per item so a reconstruction does not depend on the batch.

Settings: ``checkpoint`` (folder with ``config.json`` + ``pytorch_model.bin``, hub id — default
``hubertsiuzdak/snac_24khz`` — or ``tiny``), ``name``, ``device``, ``sample_rate``, ``trained``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from bench.contract import Codebook
from tokenizers_impl.codec_common.base import CodecAdapter
from tokenizers_impl.codec_common.hf_family import check_settings
from tokenizers_impl.codec_common.weights import TINY, CodecWeights, resolve_checkpoint
from tokenizers_impl.codec_common.weights import availability as _availability

FAMILY = "snac"
DEFAULT_CHECKPOINT = "hubertsiuzdak/snac_24khz"
REQUIRED = ("config.json", "pytorch_model.bin")
TINY_CONFIG = {"sampling_rate": 24000, "encoder_dim": 4, "encoder_rates": [2, 4, 8, 8],
               "decoder_dim": 32, "decoder_rates": [8, 8, 4, 2], "attn_window_size": None,
               "codebook_size": 4096, "codebook_dim": 8, "vq_strides": [4, 2, 1],
               "noise": True, "depthwise": True}


def write_tiny(folder: Path, seed: int = 0) -> None:
    """A seeded random SNAC in the layout of the released checkpoints."""
    from snac import SNAC

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SNAC(**TINY_CONFIG)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(TINY_CONFIG, indent=1) + "\n")
    torch.save(model.state_dict(), folder / "pytorch_model.bin")


class SnacTokenizer(CodecAdapter):
    seeded_decode = True

    def encode_item(self, wav: torch.Tensor) -> list[torch.Tensor]:
        return [codes[0] for codes in self.model.encode(wav)]

    def decode_item(self, streams: list[torch.Tensor]) -> torch.Tensor:
        return self.model.decode([s.view(1, -1) for s in streams])


def build(checkpoint: str | None = None, name: str | None = None, device: str = "cpu",
          sample_rate: int | None = None, trained: bool | None = None,
          **unknown: Any) -> SnacTokenizer:
    """Build SNAC from suite settings (see module docstring)."""
    check_settings(FAMILY, unknown)
    from snac import SNAC

    found = _weights(checkpoint)
    config = json.loads((found.folder / "config.json").read_text())
    model = SNAC(**config)
    state = torch.load(found.folder / "pytorch_model.bin", map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    is_trained = found.trained if trained is None else bool(trained)
    from bench.contract import TokenizerInfo

    info = TokenizerInfo(family=FAMILY, checkpoint=found.label, trained=is_trained,
                         notes=f"weights: {found.source}"
                         + ("" if is_trained else "; random weights, untrained"))
    hop = float(model.hop_length)
    codebooks = tuple(Codebook(f"scale{k}", int(model.codebook_size),
                               model.sampling_rate / (hop * stride))
                      for k, stride in enumerate(model.vq_strides))
    tok = SnacTokenizer(model, name=name or f"snac-{model.sampling_rate // 1000}khz", info=info,
                        native_sample_rate=int(model.sampling_rate), codebooks=codebooks,
                        sample_rate=sample_rate)
    return tok.to(device)


def _weights(checkpoint: str | None) -> CodecWeights:
    return resolve_checkpoint(FAMILY, checkpoint, DEFAULT_CHECKPOINT, REQUIRED, write_tiny,
                              repr(sorted(TINY_CONFIG.items())))


def tiny_weights() -> CodecWeights:
    """The cached tiny model folder (``checkpoint: tiny``)."""
    return _weights(TINY)


def availability(checkpoint: str | None = None) -> str | None:
    """Why the checkpoint is not usable here (None when it is); file checks only."""
    return _availability(FAMILY, checkpoint, DEFAULT_CHECKPOINT, REQUIRED)


build.availability = availability  # type: ignore[attr-defined]
