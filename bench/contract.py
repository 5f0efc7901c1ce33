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

Multi-codebook codecs (residual VQ, SNAC's multi-scale streams) emit ``tokens`` [B, K, L] with
``codebooks`` describing the K streams (name, size, frame rate) and ``codebook_lengths`` [B, K]
the real tokens of each stream; ``lengths`` is then the longest stream of each item. Rates count
every emitted id: tokens = Σ_k codebook_lengths, bits = Σ_k codebook_lengths × log2(size_k)::

    tok = load_tokenizer("encodec", checkpoint="facebook/encodec_24khz", bandwidth=1.5)
    batch = tok.encode(wavs, wav_lengths)         # tokens [B, 2, L], codebooks: 2 × 1024 at 75 Hz
    batch.item_token_count(0), batch.item_bits(0) # 150 tokens and 1500 bits per second of audio
"""

from __future__ import annotations

import math
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


@dataclass(frozen=True)
class Codebook:
    """One token stream of a multi-codebook tokenizer: its name, alphabet size and nominal rate.

    ``frame_rate`` (Hz) is descriptive; reported rates are always counted from emitted tokens.
    """

    name: str
    size: int
    frame_rate: float

    @property
    def bits(self) -> float:
        """log2(size): the fixed-length code of one id of this stream."""
        return math.log2(self.size) if self.size > 1 else 0.0


def total_bits(codebooks: tuple[Codebook, ...], counts: list[int]) -> float:
    """Σ_k counts[k] × log2(size_k): the fixed-length cost of ``counts[k]`` ids per stream."""
    if len(codebooks) != len(counts):
        raise ValueError(f"{len(counts)} stream counts for {len(codebooks)} codebooks")
    return float(sum(n * cb.bits for cb, n in zip(codebooks, counts, strict=True)))


@dataclass
class TokenBatch:
    """Padded token ids of a batch, with optional spans and side information.

    tokens:    [B, L] int64, ``PAD_TOKEN`` past ``lengths[b]``; or [B, K, L] for K codebooks
    lengths:   [B] int64, number of real tokens per item (multi-codebook: the longest stream)
    durations: [B, L] int64 or None, underlying frames covered by each token (0 on padding);
               single-stream only
    side_info: named per-utterance tensors that travel with the tokens
    codebooks: the K streams of [B, K, L] tokens (required then, None for [B, L])
    codebook_lengths: [B, K] int64, real tokens of each stream (default: ``lengths`` for all K,
               as in residual VQ); PAD_TOKEN past each stream's own length
    """

    tokens: torch.Tensor
    lengths: torch.Tensor
    durations: torch.Tensor | None = None
    side_info: dict[str, SideInfo] = field(default_factory=dict)
    codebooks: tuple[Codebook, ...] | None = None
    codebook_lengths: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.tokens.dim() == 3:
            self._check_codebooks()
        elif self.tokens.dim() != 2:
            raise ValueError(f"tokens must be [B, L] or [B, K, L], got shape "
                             f"{tuple(self.tokens.shape)}")
        elif self.codebooks is not None or self.codebook_lengths is not None:
            raise ValueError("codebooks / codebook_lengths need tokens of shape [B, K, L]")
        if self.lengths.shape != (self.tokens.shape[0],):
            raise ValueError(
                f"lengths must be [B]={self.tokens.shape[0]}, got {tuple(self.lengths.shape)}"
            )
        if self.durations is not None and self.durations.shape != self.tokens.shape:
            raise ValueError(
                f"durations {tuple(self.durations.shape)} must match tokens "
                f"{tuple(self.tokens.shape)}"
            )

    def _check_codebooks(self) -> None:
        batch, n_streams = int(self.tokens.shape[0]), int(self.tokens.shape[1])
        if self.codebooks is None or len(self.codebooks) != n_streams:
            raise ValueError(f"tokens [B, K={n_streams}, L] need {n_streams} codebooks, got "
                             f"{None if self.codebooks is None else len(self.codebooks)}")
        if self.durations is not None:
            raise ValueError("durations are defined for single-stream [B, L] tokens only")
        self.codebooks = tuple(self.codebooks)
        if self.codebook_lengths is None:
            self.codebook_lengths = self.lengths.view(-1, 1).expand(batch, n_streams).clone()
        if self.codebook_lengths.shape != (batch, n_streams):
            raise ValueError(f"codebook_lengths must be [B, K]=({batch}, {n_streams}), got "
                             f"{tuple(self.codebook_lengths.shape)}")

    @property
    def num_codebooks(self) -> int:
        """K for [B, K, L] tokens, 1 for a single stream."""
        return 1 if self.tokens.dim() == 2 else int(self.tokens.shape[1])

    def item_token_count(self, index: int) -> int:
        """Real tokens emitted for one item, summed over codebooks."""
        if self.codebook_lengths is None:
            return int(self.lengths[index])
        return int(self.codebook_lengths[index].sum())

    def item_bits(self, index: int, vocab_size: int | None = None) -> float:
        """Fixed-length bits of one item's tokens: Σ_k count_k × log2(size_k); a single
        stream needs ``vocab_size`` (count × log2(vocab_size))."""
        if self.codebooks is None or self.codebook_lengths is None:
            if not vocab_size or vocab_size < 1:
                raise ValueError("a single-stream TokenBatch needs vocab_size for its bits")
            return int(self.lengths[index]) * (math.log2(vocab_size) if vocab_size > 1 else 0.0)
        return total_bits(self.codebooks, [int(n) for n in self.codebook_lengths[index]])

    def item_streams(self, index: int) -> list[torch.Tensor]:
        """The real ids of each codebook of one item (one 1-D tensor per stream)."""
        if self.codebook_lengths is None:
            return [self.item_tokens(index)]
        return [self.tokens[index, k, : int(n)]
                for k, n in enumerate(self.codebook_lengths[index])]

    @property
    def batch_size(self) -> int:
        return int(self.tokens.shape[0])

    def to(self, device: torch.device | str) -> TokenBatch:
        return TokenBatch(
            tokens=self.tokens.to(device),
            lengths=self.lengths.to(device),
            durations=None if self.durations is None else self.durations.to(device),
            side_info={k: v.to(device) for k, v in self.side_info.items()},
            codebooks=self.codebooks,
            codebook_lengths=None if self.codebook_lengths is None
            else self.codebook_lengths.to(device),
        )

    def item_tokens(self, index: int) -> torch.Tensor:
        """The real (unpadded) token ids of one item, [L_b]; [K, L_b] for K codebooks (a stream
        shorter than L_b keeps PAD_TOKEN past its own length)."""
        if self.tokens.dim() == 3:
            return self.tokens[index, :, : int(self.lengths[index])]
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
            tokens=self.tokens[index : index + 1, ..., :n],
            lengths=self.lengths[index : index + 1],
            durations=None if self.durations is None else self.durations[index : index + 1, :n],
            side_info={k: v.select(index) for k, v in self.side_info.items()},
            codebooks=self.codebooks,
            codebook_lengths=None if self.codebook_lengths is None
            else self.codebook_lengths[index : index + 1],
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


    @staticmethod
    def from_streams(
        items: list[list[torch.Tensor]],
        codebooks: tuple[Codebook, ...],
        side_info: dict[str, SideInfo] | None = None,
    ) -> TokenBatch:
        """Pad per-item lists of K 1-D id streams (lengths may differ per stream) into
        [B, K, L] tokens."""
        n_streams = len(codebooks)
        if any(len(streams) != n_streams for streams in items):
            raise ValueError(f"every item needs {n_streams} streams (one per codebook)")
        counts = torch.tensor([[int(s.numel()) for s in streams] for streams in items],
                              dtype=torch.long).view(len(items), n_streams)
        lengths = counts.max(dim=1).values if len(items) else torch.zeros(0, dtype=torch.long)
        width = int(lengths.max()) if len(items) else 0
        tokens = torch.full((len(items), n_streams, width), PAD_TOKEN, dtype=torch.long)
        for i, streams in enumerate(items):
            for k, stream in enumerate(streams):
                tokens[i, k, : stream.numel()] = stream.to(torch.long).cpu()
        return TokenBatch(tokens=tokens, lengths=lengths, side_info=side_info or {},
                          codebooks=tuple(codebooks), codebook_lengths=counts)


def split_streams(tokens: torch.Tensor, n_codebooks: int) -> list[torch.Tensor]:
    """One item's stored ids ([K, L] or flattened row-major) back to K real streams."""
    rows = tokens.reshape(n_codebooks, -1)
    return [row[row != PAD_TOKEN] for row in rows]


def count_and_bits(tokens: torch.Tensor, codebooks: tuple[Codebook, ...] | None,
                   vocab_size: int) -> tuple[int, float]:
    """(tokens, fixed-length bits) of one item's real ids: a 1-D single stream costs
    log2(vocab_size) per id, K streams ([K, L] or flattened) Σ_k n_k × log2(size_k)."""
    tokens = torch.as_tensor(tokens)
    if codebooks is None:
        n = int(tokens.numel())
        return n, n * (math.log2(vocab_size) if vocab_size > 1 else 0.0)
    counts = [int(s.numel()) for s in split_streams(tokens, len(codebooks))]
    return sum(counts), total_bits(codebooks, counts)


@runtime_checkable
class Tokenizer(Protocol):
    """What the harness needs from a speech tokenizer.

    name:        variant name as shown in reports
    sample_rate: rate of the audio ``encode`` expects and ``decode`` returns
    vocab_size:  size of the emitted id alphabet (bits/token = log2(vocab_size))
    frame_rate:  rate of the underlying frames in Hz (durations are counted in these frames)

    Optional: ``codebooks`` (tuple of ``Codebook``) on a multi-codebook tokenizer, the streams
    of its [B, K, L] tokens; ``vocab_size`` is then the largest codebook.
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


def check_waveforms(waveforms: torch.Tensor, lengths: torch.Tensor, min_samples: int = 1
                    ) -> None:
    """Reject a batch no tokenizer can encode (wrong shape or dtype, lengths out of range,
    NaN/Inf), with a reason; every family's ``encode`` calls it first."""
    if waveforms.dim() != 2:
        raise ValueError(f"waveforms must be [B, T] mono, got shape {tuple(waveforms.shape)}")
    if lengths.shape != (waveforms.shape[0],):
        raise ValueError(f"lengths must be [B]={waveforms.shape[0]}, got {tuple(lengths.shape)}")
    if not waveforms.is_floating_point():
        raise ValueError(f"waveforms must be floating point, got {waveforms.dtype}")
    if bool((lengths < min_samples).any()) or bool((lengths > waveforms.shape[1]).any()):
        raise ValueError(f"every length must be in [{min_samples}, {waveforms.shape[1]}], got "
                         f"{lengths.tolist()}")
    if not bool(torch.isfinite(waveforms).all()):
        raise ValueError("waveforms contain NaN or inf")
