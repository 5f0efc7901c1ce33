"""tokbench adapter for WavTokenizer (fixed 75 Hz, one of 4096 codes per frame, no durations).

Settings: ``chunk_seconds`` / ``context_seconds`` (long files in chunks, as for VARSTok),
``config``, ``checkpoint`` (file, folder or hub id ``owner/name[:file]``, e.g.
``novateur/WavTokenizer:WavTokenizer_small_320_24k_4096.ckpt``; default: the shipped tiny model in
``tokenizers_impl/varstok/pretrained/wavtokenizer_tiny``), ``name``, ``device``, ``trained``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from bench.contract import TokenBatch, TokenizerInfo, check_waveforms
from tokenizers_impl.varstok.adapter import (
    DEFAULT_CHUNK_SECONDS,
    DEFAULT_CONTEXT_SECONDS,
    PRETRAINED_DIR,
    CodecTokenizer,
    checkpoint_was_trained,
    resolve_model_files,
    set_chunking,
)
from tokenizers_impl.wavtokenizer.model import WavTokenizer


class WavTokenizerTokenizer(CodecTokenizer):
    """WavTokenizer behind the tokbench ``Tokenizer`` protocol."""

    def __init__(self, model: WavTokenizer, name: str, info: TokenizerInfo, bandwidth_id: int = 0):
        super().__init__(model, name, info, model.bins, bandwidth_id)

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        check_waveforms(waveforms, lengths, min_samples=1)
        wav = waveforms.to(self.device, torch.float32)
        _, codes = self.model.encode_infer(wav, self.bandwidth_id, lengths.to(self.device))
        tokens = codes[0].cpu().long()
        return TokenBatch(tokens=tokens, lengths=(tokens >= 0).sum(dim=1))

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        ids, real = self.checked_ids(batch)
        features = self.model.codes_to_features(ids)
        audio, audio_lengths = self.model.decode_with_lengths(
            features, real.long(), self.bandwidth_id)
        return audio.cpu(), audio_lengths.cpu()


def build(
    config: str | Path | None = None,
    checkpoint: str | Path | None = None,
    name: str | None = None,
    device: str = "cpu",
    trained: bool | None = None,
    bandwidth_id: int = 0,
    chunk_seconds: float | None = DEFAULT_CHUNK_SECONDS,
    context_seconds: float = DEFAULT_CONTEXT_SECONDS,
    **unknown: Any,
) -> WavTokenizerTokenizer:
    """Build the WavTokenizer tokenizer from suite settings (see module docstring)."""
    if unknown:
        raise TypeError(f"unknown WavTokenizer settings: {sorted(unknown)}")
    cfg_file, ckpt_file, shipped = resolve_model_files(
        config, checkpoint, PRETRAINED_DIR / "wavtokenizer_tiny")
    model = WavTokenizer.from_pretrained(cfg_file, ckpt_file)
    is_trained = checkpoint_was_trained(ckpt_file) if trained is None else bool(trained)
    notes = set_chunking(model, chunk_seconds, context_seconds)
    if shipped:
        notes += "; shipped tiny model"
    info = TokenizerInfo(family="wavtokenizer", checkpoint=str(checkpoint or ckpt_file),
                         trained=is_trained, notes=notes)
    return WavTokenizerTokenizer(model, name or "wavtokenizer-75hz", info, bandwidth_id).to(device)
