"""Residual-VQ codecs whose transformers model takes ``n_quantizers``-style arguments (DAC,
Mimi): one shared ``build`` body, so each family is a declaration plus two calls."""

from __future__ import annotations

from typing import Any

import torch

from bench.contract import Codebook
from tokenizers_impl.codec_common.base import CodecAdapter
from tokenizers_impl.codec_common.hf_family import CodecFamily, split_settings


class RvqTokenizer(CodecAdapter):
    """A residual-VQ codec using its first ``n_quantizers`` codebooks."""

    def __init__(self, model: Any, n_quantizers: int, **kwargs: Any) -> None:
        self.n_quantizers = int(n_quantizers)
        super().__init__(model, **kwargs)


def rvq_codebooks(n_quantizers: int, size: int, frame_rate: float) -> tuple[Codebook, ...]:
    return tuple(Codebook(f"rvq{k}", int(size), float(frame_rate)) for k in range(n_quantizers))


def checked_n_quantizers(family: str, requested: int | None, available: int,
                         minimum: int = 1) -> int:
    """The suite's ``n_quantizers`` (default: all of the checkpoint's codebooks)."""
    n_q = available if requested is None else int(requested)
    if not minimum <= n_q <= available:
        raise ValueError(f"{family} n_quantizers must be in [{minimum}, {available}] for this "
                         f"checkpoint, got {requested}")
    return n_q


def build_rvq(cls: type[RvqTokenizer], family: CodecFamily, settings: dict[str, Any],
              n_available: Any, frame_rate: Any, minimum: int = 1) -> RvqTokenizer:
    """Shared ``build``: settings ``checkpoint``, ``n_quantizers``, ``name``, ``device``,
    ``sample_rate``, ``trained``; ``n_available(config)`` and ``frame_rate(config)`` read the
    checkpoint's config."""
    given = split_settings(family.name, settings, extra=("n_quantizers",))
    model, _, info = family.load(given["checkpoint"], given["trained"])
    config = model.config
    n_q = checked_n_quantizers(family.name, given["n_quantizers"], int(n_available(config)),
                               minimum)
    codebooks = rvq_codebooks(n_q, config.codebook_size, frame_rate(config))
    tok = cls(model, n_q, name=given["name"] or f"{family.name}-{n_q}q", info=info,
              native_sample_rate=int(config.sampling_rate), codebooks=codebooks,
              sample_rate=given["sample_rate"])
    return tok.to(given["device"])


def stacked(streams: list[torch.Tensor]) -> torch.Tensor:
    """K equal-length streams -> codes [1, K, L]."""
    return torch.stack(streams).unsqueeze(0)
