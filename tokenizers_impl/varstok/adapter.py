"""tokbench adapter for VARSTok: ``build(**settings) -> Tokenizer``.

Tokens are the implicit-duration ids ``code + (span - 1) * 4096`` (vocabulary ``4096 * max_span``);
``TokenBatch.durations`` holds each token's span in 75 Hz frames. Settings (from a suite variant):
``config`` (YAML; default: ``config.yaml`` beside the checkpoint), ``checkpoint`` (file, folder or
hub id ``owner/name[:file]``; default: the shipped tiny model in ``pretrained/varstok_tiny``),
``clustering`` (original/fixed), ``threshold``, ``max_span``, ``k``, ``beta``, ``name``,
``device``, ``trained`` (None = infer from the checkpoint's ``global_step``), ``chunk_seconds``
(files longer than this are encoded/decoded in chunks with ``context_seconds`` of context on
each side, so memory stays bounded; None = one pass; see ``tokenizers_impl/varstok/chunking.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from bench.contract import TokenBatch, TokenizerInfo, check_waveforms
from bench.trust import safe_torch_load
from tokenizers_impl.varstok.checkpoint import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, resolve_file
from tokenizers_impl.varstok.chunking import DEFAULT_CHUNK_FRAMES, DEFAULT_CONTEXT_FRAMES
from tokenizers_impl.varstok.model import VARSTok

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
SAMPLE_RATE = 24000
FRAME_RATE = 75.0
DEFAULT_CHUNK_SECONDS = DEFAULT_CHUNK_FRAMES / FRAME_RATE  # 30 s
DEFAULT_CONTEXT_SECONDS = DEFAULT_CONTEXT_FRAMES / FRAME_RATE  # 1 s


def resolve_model_files(
    config: str | Path | None, checkpoint: str | Path | None, default_dir: Path
) -> tuple[Path, Path, bool]:
    """(config file, checkpoint file, shipped default?) with a clear error when absent."""
    shipped = checkpoint is None
    if shipped:
        ckpt_file = default_dir / DEFAULT_CHECKPOINT
        cfg_file = Path(config) if config is not None else default_dir / DEFAULT_CONFIG
        missing = [str(p) for p in (cfg_file, ckpt_file) if not p.is_file()]
        if missing:
            raise FileNotFoundError(
                f"no checkpoint given and the default tiny model is missing "
                f"({', '.join(missing)}). "
                f"Put the trained model's LightningCLI YAML at {default_dir / DEFAULT_CONFIG} and "
                f"its Lightning checkpoint at {default_dir / DEFAULT_CHECKPOINT}, or pass "
                f"checkpoint=<file|folder|owner/name[:file]> and config=<yaml>.")
        return cfg_file, ckpt_file, True
    ckpt_file = resolve_file(checkpoint, DEFAULT_CHECKPOINT, "checkpoint")
    if config is None:
        config = Path(str(checkpoint)) if Path(str(checkpoint)).is_dir() else ckpt_file.parent
    cfg_file = resolve_file(config, DEFAULT_CONFIG, "config")
    return cfg_file, ckpt_file, False


def checkpoint_was_trained(path: Path) -> bool:
    """False for checkpoints that record ``global_step == 0`` (random/parity weights)."""
    try:
        raw = safe_torch_load(path, mmap=True)
    except RuntimeError:  # legacy (non-zip) serialisation cannot be memory-mapped
        raw = safe_torch_load(path)
    step = raw.get("global_step") if isinstance(raw, dict) else None
    return step is None or int(step) > 0


def set_chunking(model: torch.nn.Module, chunk_seconds: float | None,
                 context_seconds: float) -> str:
    """Apply the long-file chunk settings to a loaded model; returns them for the notes."""
    fe = model.feature_extractor
    if chunk_seconds is None:
        fe.chunk_frames = None
        return "chunking off"
    if chunk_seconds <= 0 or context_seconds < 0:
        raise ValueError(f"chunk_seconds must be > 0 and context_seconds >= 0, got "
                         f"{chunk_seconds}, {context_seconds}")
    fe.chunk_frames = max(1, round(chunk_seconds * FRAME_RATE))
    fe.context_frames = round(context_seconds * FRAME_RATE)
    return f"chunks of {chunk_seconds} s (+{context_seconds} s context) past {chunk_seconds} s"


class CodecTokenizer:
    """Shared body of the 75 Hz VARSTok/WavTokenizer adapters: device handling and the
    validation of padded token ids before decoding."""

    sample_rate = SAMPLE_RATE
    frame_rate = FRAME_RATE

    def __init__(self, model: torch.nn.Module, name: str, info: TokenizerInfo,
                 vocab_size: int, bandwidth_id: int = 0):
        self.model = model
        self.name = name
        self.info = info
        self.vocab_size = vocab_size
        self.bandwidth_id = bandwidth_id
        self.device = torch.device("cpu")

    def checked_ids(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """(ids with padding set to -1, mask of real positions), after a range check."""
        tokens = batch.tokens.to(self.device)
        positions = torch.arange(tokens.shape[1], device=self.device).view(1, -1)
        real = positions < batch.lengths.to(self.device).view(-1, 1)
        if bool((tokens[real] < 0).any()) or bool((tokens[real] >= self.vocab_size).any()):
            raise ValueError(f"token ids must be in [0, {self.vocab_size})")
        return torch.where(real, tokens, torch.full_like(tokens, -1)), real

    def to(self, device: torch.device | str) -> CodecTokenizer:
        self.device = torch.device(device)
        self.model.to(self.device)
        return self


class VarstokTokenizer(CodecTokenizer):
    """VARSTok behind the tokbench ``Tokenizer`` protocol."""

    def __init__(self, model: VARSTok, name: str, info: TokenizerInfo, bandwidth_id: int = 0):
        settings = model.clustering
        assert settings is not None
        super().__init__(model, name, info, model.bins * settings.max_span, bandwidth_id)

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        check_waveforms(waveforms, lengths, min_samples=1)
        wav = waveforms.to(self.device, torch.float32)
        _, ids, spans = self.model.encode_infer(wav, self.bandwidth_id, lengths.to(self.device))
        tokens = ids[0].cpu().long()
        spans = spans.cpu().long()
        return TokenBatch(tokens=tokens, lengths=(spans > 0).sum(dim=1), durations=spans)

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        ids, real = self.checked_ids(batch)
        features, spans = self.model.codes_to_features(ids)
        if batch.durations is not None and not torch.equal(
                spans.cpu(), torch.where(real.cpu(), batch.durations, 0)):
            raise ValueError("durations disagree with the spans coded in the token ids")
        audio, audio_lengths = self.model.decode_with_lengths(features, spans, self.bandwidth_id)
        return audio.cpu(), audio_lengths.cpu()


def build(
    config: str | Path | None = None,
    checkpoint: str | Path | None = None,
    clustering: str = "original",
    threshold: float = 0.7,
    max_span: int = 4,
    k: int = 10,
    beta: float = 0.2,
    name: str | None = None,
    device: str = "cpu",
    trained: bool | None = None,
    bandwidth_id: int = 0,
    chunk_seconds: float | None = DEFAULT_CHUNK_SECONDS,
    context_seconds: float = DEFAULT_CONTEXT_SECONDS,
    **unknown: Any,
) -> VarstokTokenizer:
    """Build the VARSTok tokenizer from suite settings (see module docstring)."""
    if unknown:
        raise TypeError(f"unknown VARSTok settings: {sorted(unknown)}")
    cfg_file, ckpt_file, shipped = resolve_model_files(
        config, checkpoint, PRETRAINED_DIR / "varstok_tiny")
    model = VARSTok.from_pretrained(cfg_file, ckpt_file, clustering=clustering,
                                   threshold=threshold, max_span=max_span, k=k, beta=beta)
    is_trained = checkpoint_was_trained(ckpt_file) if trained is None else bool(trained)
    notes = f"clustering={clustering} threshold={threshold} max_span={max_span} k={k} beta={beta}"
    notes += "; " + set_chunking(model, chunk_seconds, context_seconds)
    if shipped:
        notes += "; shipped tiny model"
    info = TokenizerInfo(family="varstok", checkpoint=str(checkpoint or ckpt_file),
                         trained=is_trained, notes=notes)
    label = name or f"varstok-{clustering}-t{threshold}"
    return VarstokTokenizer(model, label, info, bandwidth_id).to(device)
