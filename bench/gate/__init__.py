"""Regression gate for CI: ``tokbench baseline save`` and ``tokbench gate`` (see README)."""

from bench.gate.baseline import build_baseline, read_baseline, write_baseline
from bench.gate.config import GateConfig, load_gate_config
from bench.gate.run import GateOutcome, run_gate

__all__ = ["GateConfig", "GateOutcome", "build_baseline", "load_gate_config", "read_baseline",
           "run_gate", "write_baseline"]
