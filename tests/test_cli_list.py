"""``tokbench list`` answers from files and imports (no torch, no model) and agrees with the
metrics' own ``unavailable_reason``; ``--check`` loads them for real."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from bench.cli_list import BUILTIN_NEEDS, METRIC_GROUP, quick_metric_reason


def test_quick_list_imports_no_torch_and_builds_nothing() -> None:
    code = ("import sys; from bench.cli import main; rc = main(['list']); "
            "assert 'torch' not in sys.modules, 'torch was imported'; "
            "assert not any(m.startswith('tokenizers_impl.') for m in sys.modules); "
            "raise SystemExit(rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "tokenizers:" in out.stdout and "varstok" in out.stdout
    assert "pesq_wb" in out.stdout and "--check" in out.stdout


def test_every_builtin_metric_has_a_quick_check() -> None:
    registered = {ep.name for ep in entry_points(group=METRIC_GROUP)
                  if ep.value.startswith("bench.")}
    assert registered <= set(BUILTIN_NEEDS)


@pytest.mark.parametrize("name", sorted(BUILTIN_NEEDS))
def test_quick_check_agrees_with_loading_the_metric(name: str) -> None:
    from bench.registry import load_metric

    metric = load_metric(name)
    assert (quick_metric_reason(name) is None) == (metric.unavailable_reason() is None)


@pytest.mark.slow
def test_check_loads_every_model(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli import main

    assert main(["list", "--check"]) == 0
    out = capsys.readouterr().out
    assert "Hz frames" in out  # a tokenizer was built and described
    assert "--check" not in out.splitlines()[-1]  # not the quick listing's footer
