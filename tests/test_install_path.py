"""The newcomer's path: `tokbench` is a console script of the installed project, `--help` works
through it and through `python -m bench.cli`, and `nox -s dev` builds the documented `.venv`."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_console_script_entry_point_is_declared_and_installed() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert declared["tokbench"] == "bench.cli:main"
    installed = {ep.name: ep for ep in entry_points(group="console_scripts")}
    assert installed["tokbench"].value == "bench.cli:main"
    from bench.cli import main

    assert installed["tokbench"].load() is main


def test_help_runs_as_a_module_and_as_the_script() -> None:
    out = subprocess.run([sys.executable, "-m", "bench.cli", "--help"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "usage: tokbench" in out.stdout and "exit codes:" in out.stdout
    script = Path(sys.executable).with_name("tokbench")
    assert script.exists(), f"{script} missing: install with pip install -e . into this venv"
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "usage: tokbench" in out.stdout, out.stderr


def test_nox_dev_session_builds_the_documented_venv() -> None:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    sessions = {node.name: ast.unparse(node) for node in tree.body
                if isinstance(node, ast.FunctionDef)
                and any("nox.session" in ast.unparse(d) for d in node.decorator_list)}
    assert "dev" in sessions
    body = sessions["dev"]
    assert "'.venv'" in body and "'constraints.txt'" in body and "'.[all,dev]'" in body
    readme = (ROOT / "README.md").read_text()
    assert "nox -s dev" in readme
    assert "python -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[all,dev]'" \
        in readme
    assert "python3 -m nox -s dev" in (ROOT / ".ci" / "run").read_text()
