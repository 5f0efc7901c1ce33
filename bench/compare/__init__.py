"""Paired comparison of two variants (``tokbench compare``) and the regression gate's statistics.

    from bench.compare import compare, side_from_score
    result = compare(side_from_score("thres8.json"), side_from_score("thres6.json"))
    result.table  # pandas DataFrame, one row per metric
"""

from bench.compare.engine import BETTER, NO_DIFF, WORSE, Comparison, Pairing, compare, pair
from bench.compare.sides import Side, side_from_score, side_from_store

__all__ = ["BETTER", "NO_DIFF", "WORSE", "Comparison", "Pairing", "Side", "compare", "pair",
           "side_from_score", "side_from_store"]
