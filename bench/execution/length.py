"""Length of a reconstruction against its reference: recorded for every pair, and beyond a
tolerance the reference-based metrics leave the pair out with the reason instead of scoring the
truncated overlap as if it were complete (a decoder returning half its audio scored better).

Under the ``pad`` length policy such pairs are scored with the shorter signal zero-padded.
"""

from __future__ import annotations

from bench.metrics.base import LENGTH_MISMATCH, MetricInput

DEFAULT_LENGTH_TOLERANCE = 0.02
"""|reconstruction / reference − 1| beyond which a pair counts as a length mismatch (2 %)."""


def length_ratio(item: MetricInput) -> float | None:
    """Reconstruction seconds ÷ reference seconds, or None when either is unknown or empty."""
    ref, hyp = item.reference_seconds, item.hypothesis_seconds
    if not ref or hyp is None:
        return None
    return hyp / ref


def mismatch_reason(ratio: float, tolerance: float) -> str:
    return (f"length mismatch: reconstruction is {ratio:.1%} of the reference length "
            f"(tolerance ±{tolerance:.0%}); not scored (length_policy pad scores it zero-padded)")


def mark_length(item: MetricInput, tolerance: float = DEFAULT_LENGTH_TOLERANCE,
                policy: str = "truncate") -> float | None:
    """Record the pair's length ratio; outside ``tolerance`` under ``truncate`` mark the item so
    every reference-based metric leaves it out with the reason. Returns the ratio."""
    ratio = length_ratio(item)
    if ratio is not None and policy != "pad" and abs(ratio - 1.0) > tolerance:
        item.extra[LENGTH_MISMATCH] = mismatch_reason(ratio, tolerance)
    return ratio


class InputTooShort(ValueError):
    """An input shorter than ``batch.min_input_seconds``: left out of every metric and rate."""


def check_input_seconds(seconds: float, minimum: float) -> None:
    """Raise ``InputTooShort`` for an input below the configured minimum duration."""
    if seconds < minimum:
        raise InputTooShort(f"input is {seconds:.3f} s, shorter than the minimum {minimum:g} s "
                            "(batch.min_input_seconds)")
