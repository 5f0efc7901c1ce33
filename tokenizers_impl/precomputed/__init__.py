"""``precomputed``: a folder of decoded audio scored as a variant (see README.md)."""

from tokenizers_impl.precomputed.adapter import PrecomputedReconstructions, build

__all__ = ["PrecomputedReconstructions", "build"]
