"""The allocator setting the runner applies: on glibc it keeps freed pages (once the heap holds
the working set, large allocations fault no fresh pages in), it can be turned off, and
provenance records it."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import resource, torch
from bench.execution.allocator import retain_freed_memory
from bench.provenance import package_versions
setting = retain_freed_memory()
faults = []
for i in range(40):  # large tensors of varying size with small allocations in between
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    big = torch.ones((32 + (i * 7) % 40) * 2**20 // 4)
    other = big + 1
    del big
    small = [str(j) for j in range(1000)]
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(setting)
print(sum(faults[-10:]))  # once the heap has grown to the working set
print(package_versions()["tokbench allocator"])
"""


def _probe(env_value: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "TOKBENCH_ALLOCATOR"}
    if env_value is not None:
        env["TOKBENCH_ALLOCATOR"] = env_value
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, timeout=120, check=True)
    return done.stdout.strip().splitlines()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's")
def test_freed_pages_are_reused_and_recorded() -> None:
    """Measured against glibc's own behaviour on the same machine (the kernel may reclaim idle
    heap pages, so an absolute count depends on the host): at most a quarter of its faults."""
    setting, faults, recorded = _probe(None)
    default_setting, default_faults, default_recorded = _probe("default")
    assert setting == recorded == "glibc heap: mmap off, trim threshold 1 GiB"
    assert default_setting == default_recorded == "default (TOKBENCH_ALLOCATOR=default)"
    assert int(default_faults) > 100_000  # glibc maps and unmaps each large block
    assert int(faults) < int(default_faults) / 4


def test_unknown_setting_is_a_usage_error(tmp_path: Path) -> None:
    """A mistyped value is refused with one line (exit 2), never silently taken as a choice."""
    env = {**os.environ, "TOKBENCH_ALLOCATOR": "jemalloc",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    suite = ROOT / "bench" / "suites" / "gate_tiny.yaml"
    done = subprocess.run([sys.executable, "-m", "bench.cli", "run", str(suite), "--store",
                           str(tmp_path / "store.sqlite")], env=env, capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("tokbench run: error: TOKBENCH_ALLOCATOR='jemalloc': use")
    assert "Traceback" not in done.stderr
