"""The tokenizer contract: what every codec plugged into tokbench must provide.

Shapes are written once here and used everywhere:
    B  batch size
    T  audio samples (padded to the longest item; ``lengths`` says how many are real)
    L  tokens (padded; ``TokenBatch.lengths`` says how many are real)

Variable-rate tokenizers (VARSTok) report how many underlying frames each token covers in
``durations``; they never smuggle spans in as a fake codebook. Information that travels
outside the token stream (Plutok's speaker embedding) is a named ``SideInfo`` with its bit cost,
so bitrates stay honest.

Example (any registered tokenizer)::

    tok = load_tokenizer("varstok", clustering="fixed")
    batch = tok.encode(wavs, wav_lengths)         # wavs [B, T] float32 at tok.sample_rate
    batch.tokens.shape                            # [B, L] int64, padded with PAD_TOKEN
    recon, recon_lengths = tok.decode(batch)      # [B, T'] float32, [B]
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

import torch

PAD_TOKEN = -1
"""Value used to pad ``TokenBatch.tokens`` past each item's length (never a valid id)."""


@dataclass
class SideInfo:
    """Per-utterance information carried outside the token stream.

    ``values`` is ``[B, ...]``. ``bits_per_utterance`` is what storing one item's values costs
    (for example 256 float32 values = 8192 bits); it enters the side-info bitrate.
    """

    values: torch.Tensor
    bits_per_utterance: float
    description: str = ""

    def to(self, device: torch.device | str) -> SideInfo:
        return replace(self, values=self.values.to(device))

    def select(self, index: int) -> SideInfo:
        return replace(self, values=self.values[index : index + 1])


@dataclass
class TokenBatch:
    """Padded token ids of a batch, with optional spans and side information.

    tokens:    [B, L] int64, ``PAD_TOKEN`` past ``lengths[b]``
    lengths:   [B] int64, number of real tokens per item
    durations: [B, L] int64 or None, underlying frames covered by each token (0 on padding)
    side_info: named per-utterance tensors that travel with the tokens
    """

    tokens: torch.Tensor
    lengths: torch.Tensor
    durations: torch.Tensor | None = None
    side_info: dict[str, SideInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.tokens.dim() != 2:
            raise ValueError(f"tokens must be [B, L], got shape {tuple(self.tokens.shape)}")
        if self.lengths.shape != (self.tokens.shape[0],):
            raise ValueError(
                f"lengths must be [B]={self.tokens.shape[0]}, got {tuple(self.lengths.shape)}"
            )
        if self.durations is not None and self.durations.shape != self.tokens.shape:
            raise ValueError(
                f"durations {tuple(self.durations.shape)} must match tokens "
                f"{tuple(self.tokens.shape)}"
            )

    @property
    def batch_size(self) -> int:
        return int(self.tokens.shape[0])

    def to(self, device: torch.device | str) -> TokenBatch:
        return TokenBatch(
            tokens=self.tokens.to(device),
            lengths=self.lengths.to(device),
            durations=None if self.durations is None else self.durations.to(device),
            side_info={k: v.to(device) for k, v in self.side_info.items()},
        )

    def item_tokens(self, index: int) -> torch.Tensor:
        """The real (unpadded) token ids of one item, [L_b]."""
        return self.tokens[index, : int(self.lengths[index])]

    def item_durations(self, index: int) -> torch.Tensor | None:
        """The real spans of one item, [L_b], or None for fixed-rate tokenizers."""
        if self.durations is None:
            return None
        return self.durations[index, : int(self.lengths[index])]

    def side_bits(self) -> float:
        """Bits of side information carried per utterance (sum over all named entries)."""
        return float(sum(s.bits_per_utterance for s in self.side_info.values()))

    def select(self, index: int) -> TokenBatch:
        """A batch of one holding item ``index``, trimmed to its own length."""
        n = int(self.lengths[index])
        return TokenBatch(
            tokens=self.tokens[index : index + 1, :n],
            lengths=self.lengths[index : index + 1],
            durations=None if self.durations is None else self.durations[index : index + 1, :n],
            side_info={k: v.select(index) for k, v in self.side_info.items()},
        )

    @staticmethod
    def from_sequences(
        sequences: list[torch.Tensor],
        durations: list[torch.Tensor] | None = None,
        side_info: dict[str, SideInfo] | None = None,
    ) -> TokenBatch:
        """Pad a list of 1-D id tensors (and optional matching spans) into a batch."""
        lengths = torch.tensor([int(s.numel()) for s in sequences], dtype=torch.long)
        width = int(lengths.max()) if len(sequences) else 0
        tokens = torch.full((len(sequences), width), PAD_TOKEN, dtype=torch.long)
        spans = None if durations is None else torch.zeros_like(tokens)
        for i, seq in enumerate(sequences):
            tokens[i, : seq.numel()] = seq.to(torch.long).cpu()
            if spans is not None and durations is not None:
                spans[i, : seq.numel()] = durations[i].to(torch.long).cpu()
        return TokenBatch(
            tokens=tokens, lengths=lengths, durations=spans, side_info=side_info or {}
        )


@runtime_checkable
class Tokenizer(Protocol):
    """What the harness needs from a speech tokenizer.

    name:        variant name as shown in reports
    sample_rate: rate of the audio ``encode`` expects and ``decode`` returns
    vocab_size:  size of the emitted id alphabet (bits/token = log2(vocab_size))
    frame_rate:  rate of the underlying frames in Hz (durations are counted in these frames)
    """

    name: str
    sample_rate: int
    vocab_size: int
    frame_rate: float

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        """waveforms [B, T] float32 at ``sample_rate``, lengths [B] -> TokenBatch."""
        ...

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """TokenBatch -> (waveforms [B, T'] float32 at ``sample_rate``, lengths [B])."""
        ...

    def to(self, device: torch.device | str) -> Tokenizer:
        """Move weights to ``device`` and return self."""
        ...


@dataclass(frozen=True)
class TokenizerInfo:
    """Provenance of a tokenizer instance, stored with every result row."""

    family: str
    checkpoint: str | None = None
    trained: bool = True
    notes: str = ""
