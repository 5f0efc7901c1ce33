"""Sessions: `tests` (fast default suite), `slow`, `lint`, `demo` (the main job), `benchmarks`,
`gpu` (end-to-end throughput on a test-clean-sized workload),
`dev` (a `.venv` with tokbench installed editable, so `tokbench` is on your PATH once activated).

Every session installs the project with the pinned versions in constraints.txt, so a fresh
machine reproduces the tested environment (torch 2.11.0 + torchaudio 2.11.0 from PyPI).
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


def install_project(session: nox.Session, extras: str = "all,dev") -> None:
    """Install tokbench in editable mode with the pinned dependency set."""
    session.install("--upgrade", "pip")
    session.install("-c", "constraints.txt", "-e", f".[{extras}]")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Fast default test suite (what CI runs): lint first, then pytest."""
    install_project(session)
    session.install("--no-deps", "./examples/tokbench_plugin_example")  # a third-party plugin
    session.run("ruff", "check", ".")
    session.run("pytest", "-q", "-ra", *session.posargs, env={"OMP_NUM_THREADS": "2"})


@nox.session(python=PYTHON)
def slow(session: nox.Session) -> None:
    """Long-running tests (real-model sweeps, full-size checks)."""
    install_project(session)
    session.run("pytest", "-q", "-ra", "-m", "slow", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the whole tree."""
    session.install("-c", "constraints.txt", "ruff")
    session.run("ruff", "check", ".")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job: synthetic espeak set -> every tokenizer with weights -> metrics -> report."""
    install_project(session)
    session.run("tokbench", "demo", *session.posargs)


@nox.session(python=PYTHON)
def benchmarks(session: nox.Session) -> None:
    """Speed figures of tests/benchmarks (printed, not gated). The clustering comparison needs
    the official code: set OFFICIAL_VARSTOK_REPO to a checkout of FunAudioLLM/FunResearch."""
    install_project(session)
    session.run("python", "tests/benchmarks/bench_varstok_batched.py", "--repeats", "2")
    session.run("python", "tests/benchmarks/bench_plutok_speed.py",
                "--golden", "../shared/golden/plutok")
    session.run("python", "tests/benchmarks/bench_runner.py")
    session.run("python", "tests/benchmarks/bench_vs_plain_loop.py")
    session.run("python", "tests/benchmarks/bench_neural_metrics.py")
    session.run("python", "tests/benchmarks/bench_compare.py")
    session.run("python", "tests/benchmarks/bench_long_audio.py")
    session.run("python", "tests/benchmarks/bench_cli_list.py")
    if os.path.exists(".tokbench_cache/demo.sqlite"):  # after `nox -s demo`
        session.run("python", "tests/benchmarks/bench_report.py", "--store",
                    ".tokbench_cache/demo.sqlite", "--run", "demo", "--out", "reports/demo")
    else:
        session.log("skipping the report benchmark: run `nox -s demo` first")
    official = os.environ.get("OFFICIAL_VARSTOK_REPO")
    if official:
        session.run("python", "tests/benchmarks/bench_varstok_clustering.py",
                    "--official-repo", official, "--frames", "750", "2250", "6750")
    else:
        session.log("skipping the clustering comparison: OFFICIAL_VARSTOK_REPO is not set")


@nox.session(python=PYTHON)
def gpu(session: nox.Session) -> None:
    """Throughput on a LibriTTS-test-clean-sized synthetic workload (4 837 utterances, 8.6 h):
    per-stage audio seconds per second and peak GPU memory. Arguments go to the script, e.g.
    `nox -s gpu -- --fraction 0.1` or, without a GPU, `nox -s gpu -- --device cpu --fraction
    0.002`."""
    install_project(session)
    args = session.posargs or ["--device", "cuda"]
    session.run("python", "tests/benchmarks/bench_throughput.py", *args)


@nox.session(python=PYTHON)
def dev(session: nox.Session) -> None:
    """Create ./.venv with tokbench editable and the pinned dependencies (same as
    `python -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[all,dev]'`)."""
    venv = Path(".venv")
    session.run("python", "-m", "venv", str(venv))
    python = str(venv / "bin" / "python")
    session.run(python, "-m", "pip", "install", "--upgrade", "pip", external=True)
    session.run(python, "-m", "pip", "install", "-c", "constraints.txt", "-e", ".[all,dev]",
                external=True)
    session.run(str(venv / "bin" / "tokbench"), "--help", external=True, silent=True)
    session.log("ready: `source .venv/bin/activate` puts `tokbench` on your PATH "
                "(or call .venv/bin/tokbench)")
