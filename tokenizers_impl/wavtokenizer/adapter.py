"""tokbench adapter for WavTokenizer (fixed 75 Hz, one of 4096 codes per frame, no durations).

Settings: ``config``, ``checkpoint`` (file, folder or hub id ``owner/name[:file]``, e.g.
``novateur/WavTokenizer:WavTokenizer_small_320_24k_4096.ckpt``; default: the shipped tiny model in
``tokenizers_impl/varstok/pretrained/wavtokenizer_tiny``), ``name``, ``device``, ``trained``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from bench.contract import TokenBatch, TokenizerInfo
from tokenizers_impl.varstok.adapter import (
    FRAME_RATE,
    PRETRAINED_DIR,
    SAMPLE_RATE,
    check_waveforms,
    checkpoint_was_trained,
    resolve_model_files,
)
from tokenizers_impl.wavtokenizer.model import WavTokenizer


class WavTokenizerTokenizer:
    """WavTokenizer behind the tokbench ``Tokenizer`` protocol."""

    sample_rate = SAMPLE_RATE
    frame_rate = FRAME_RATE

    def __init__(self, model: WavTokenizer, name: str, info: TokenizerInfo, bandwidth_id: int = 0):
        self.model = model
        self.name = name
        self.info = info
        self.bandwidth_id = bandwidth_id
        self.vocab_size = model.bins
        self.device = torch.device("cpu")

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        check_waveforms(waveforms, lengths, min_samples=1)
        wav = waveforms.to(self.device, torch.float32)
        _, codes = self.model.encode_infer(wav, self.bandwidth_id, lengths.to(self.device))
        tokens = codes[0].cpu().long()
        return TokenBatch(tokens=tokens, lengths=(tokens >= 0).sum(dim=1))

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = batch.tokens.to(self.device)
        positions = torch.arange(tokens.shape[1], device=self.device).view(1, -1)
        real = positions < batch.lengths.to(self.device).view(-1, 1)
        if bool((tokens[real] < 0).any()) or bool((tokens[real] >= self.vocab_size).any()):
            raise ValueError(f"token ids must be in [0, {self.vocab_size})")
        features = self.model.codes_to_features(torch.where(real, tokens, -1))
        spans = real.long()
        audio, audio_lengths = self.model.decode_with_lengths(features, spans, self.bandwidth_id)
        return audio.cpu(), audio_lengths.cpu()

    def to(self, device: torch.device | str) -> WavTokenizerTokenizer:
        self.device = torch.device(device)
        self.model.to(self.device)
        return self


def build(
    config: str | Path | None = None,
    checkpoint: str | Path | None = None,
    name: str | None = None,
    device: str = "cpu",
    trained: bool | None = None,
    bandwidth_id: int = 0,
    **unknown: Any,
) -> WavTokenizerTokenizer:
    """Build the WavTokenizer tokenizer from suite settings (see module docstring)."""
    if unknown:
        raise TypeError(f"unknown WavTokenizer settings: {sorted(unknown)}")
    cfg_file, ckpt_file, shipped = resolve_model_files(
        config, checkpoint, PRETRAINED_DIR / "wavtokenizer_tiny")
    model = WavTokenizer.from_pretrained(cfg_file, ckpt_file)
    is_trained = checkpoint_was_trained(ckpt_file) if trained is None else bool(trained)
    info = TokenizerInfo(family="wavtokenizer", checkpoint=str(checkpoint or ckpt_file),
                         trained=is_trained, notes="shipped tiny model" if shipped else "")
    return WavTokenizerTokenizer(model, name or "wavtokenizer-75hz", info, bandwidth_id).to(device)
