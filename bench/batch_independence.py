"""Check that a tokenizer's output for an utterance does not depend on how the work was batched.

The harness may encode an utterance alone, in a batch with others, in a different order, or in a
wider padded batch (engines, shards, resume points and ``batch.max_seconds`` all change this), so
every ``bench.contract.Tokenizer`` must give each item the same result in any of them:

- tokens, durations and side information bit-identical (integers: no tolerance, ever);
- decoded audio bit-identical, or within a tolerance the family states (``audio_atol``, an
  absolute bound on the sample difference, for codecs that decode padded batches on purpose).

``check_batch_independence(tok, waveforms)`` runs every composition below and raises
``AssertionError`` naming the first item and composition that differ; it returns the measured
differences so tests and benchmarks can report them. Use it from any family's tests::

    from bench.batch_independence import check_batch_independence
    report = check_batch_independence(tok, [wav_a, wav_b, wav_c])
    assert report.max_audio_diff == 0.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from bench.contract import TokenBatch, Tokenizer


@dataclass
class BatchIndependenceReport:
    """What was compared and the largest decoded-audio difference seen (0.0 = bit-identical)."""

    compositions: list[str] = field(default_factory=list)
    items: int = 0
    max_audio_diff: float = 0.0


def pad_batch(
    items: list[torch.Tensor], extra: int = 0, filler: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad 1-D waveforms into [B, max + extra]; padding is zeros, or noise when ``filler`` is
    given (a tokenizer must never read past an item's length)."""
    lengths = torch.tensor([int(w.numel()) for w in items], dtype=torch.long)
    width = (int(lengths.max()) if items else 0) + extra
    if filler is None:
        batch = torch.zeros(len(items), width)
    else:
        batch = torch.randn(len(items), width, generator=filler) * 0.3
    for index, wav in enumerate(items):
        batch[index, : wav.numel()] = wav.float()
    return batch, lengths


def compositions(count: int) -> dict[str, list[int]]:
    """Named orders of item indices: all in order, reversed, and each item with its neighbour."""
    orders = {"batch-in-order": list(range(count)), "batch-reversed": list(range(count))[::-1]}
    if count > 2:
        for index in range(count):
            orders[f"pair-{index}-{(index + 1) % count}"] = [index, (index + 1) % count]
    return orders


def _same_item(ref: TokenBatch, ref_index: int, got: TokenBatch, got_index: int,
               where: str) -> None:
    """Tokens, durations and side info of one item must be bit-identical."""
    ref_tokens, got_tokens = ref.item_tokens(ref_index), got.item_tokens(got_index)
    if not torch.equal(ref_tokens, got_tokens):
        differ = (ref_tokens.numel() != got_tokens.numel()
                  or bool((ref_tokens != got_tokens).any()))
        first = (int((ref_tokens != got_tokens).nonzero()[0]) if differ
                 and ref_tokens.numel() == got_tokens.numel() else None)
        raise AssertionError(
            f"{where}: tokens differ from the item encoded alone ({ref_tokens.numel()} vs "
            f"{got_tokens.numel()} tokens, first difference at {first})")
    ref_spans, got_spans = ref.item_durations(ref_index), got.item_durations(got_index)
    if (ref_spans is None) != (got_spans is None) or (
            ref_spans is not None and not torch.equal(ref_spans, got_spans)):
        raise AssertionError(f"{where}: durations differ from the item encoded alone")
    if set(ref.side_info) != set(got.side_info):
        raise AssertionError(f"{where}: side info names differ: {sorted(ref.side_info)} vs "
                             f"{sorted(got.side_info)}")
    for name, info in ref.side_info.items():
        other = got.side_info[name]
        if not torch.equal(info.values[ref_index], other.values[got_index]):
            raise AssertionError(f"{where}: side info {name!r} differs from the item alone")
        if info.bits_per_utterance != other.bits_per_utterance:
            raise AssertionError(f"{where}: side info {name!r} bit cost differs")


def _audio_diff(ref: tuple[torch.Tensor, torch.Tensor], ref_index: int,
                got: tuple[torch.Tensor, torch.Tensor], got_index: int, where: str) -> float:
    """Largest sample difference of one decoded item; lengths must match, padding be zero."""
    ref_audio, ref_lengths = ref
    got_audio, got_lengths = got
    n = int(ref_lengths[ref_index])
    if int(got_lengths[got_index]) != n:
        raise AssertionError(f"{where}: decoded length {int(got_lengths[got_index])} != {n} "
                             f"alone")
    tail = got_audio[got_index, n:]
    if tail.numel() and float(tail.abs().max()) != 0.0:
        raise AssertionError(f"{where}: decoded audio past the item's length is not zero")
    a, b = ref_audio[ref_index, :n], got_audio[got_index, :n]
    if torch.equal(a, b):
        return 0.0
    return float((a.double() - b.double()).abs().max())


def check_batch_independence(
    tokenizer: Tokenizer, waveforms: list[torch.Tensor], audio_atol: float = 0.0,
    decode: bool = True, seed: int = 0,
) -> BatchIndependenceReport:
    """Assert every item's tokens (and decoded audio, within ``audio_atol``) are the same alone,
    in a batch in order and reversed, paired with a neighbour, and in a wider batch whose padding
    is noise. ``waveforms`` are 1-D tensors at ``tokenizer.sample_rate`` (use >= 2 of different
    lengths). Raises ``AssertionError`` at the first difference."""
    if len(waveforms) < 2:
        raise ValueError("give at least two waveforms (of different lengths)")
    report = BatchIndependenceReport(items=len(waveforms))
    alone = [tokenizer.encode(*pad_batch([w])) for w in waveforms]
    alone_audio = [tokenizer.decode(b) for b in alone] if decode else []
    report.compositions.append("alone")
    runs = {name: (order, pad_batch([waveforms[i] for i in order]))
            for name, order in compositions(len(waveforms)).items()}
    everything = list(range(len(waveforms)))
    noise = torch.Generator().manual_seed(seed)
    runs["wider-noise-padded"] = (everything, pad_batch(waveforms, extra=1234, filler=noise))
    for name, (order, (wavs, lengths)) in runs.items():
        encoded = tokenizer.encode(wavs, lengths)
        for position, item in enumerate(order):
            _same_item(alone[item], 0, encoded, position, f"{name}, item {item}")
        if decode:
            decoded = tokenizer.decode(encoded)
            for position, item in enumerate(order):
                diff = _audio_diff(alone_audio[item], 0, decoded, position, f"{name}, item {item}")
                if diff > audio_atol:
                    raise AssertionError(f"{name}, item {item}: decoded audio differs from the "
                                         f"item alone by {diff:.3g} > {audio_atol:.3g}")
                report.max_audio_diff = max(report.max_audio_diff, diff)
        report.compositions.append(name)
    return report
