"""Execution engines for ``tokbench run --engine``: ``local`` is the runner itself
(bench/runner.py); ``ray`` (bench/engines/ray_engine.py) evaluates variants on Ray actors
that run the same per-batch code (bench/engines/worker.py) and stream records back."""
