"""After ``kill -9`` of a run, its metric worker processes (and multiprocessing's resource
tracker) are gone within seconds: workers die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_kill_resume import CHILD, HERE, PROJECT, count
from toys import write_tone_set


def descendants(pid: int) -> set[int]:
    """Every live (non-zombie) process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_a_killed_run(tmp_path: Path) -> None:
    manifest = write_tone_set(tmp_path / "data", n=12)
    suite_path = tmp_path / "suite.yaml"
    suite_path.write_text(textwrap.dedent(f"""
        name: orphans
        datasets: [{{name: tones, manifest: {manifest}}}]
        variants: [{{name: slow, family: mulaw_slow}}]
        metrics: [toy_snr]
        batch: {{max_items: 1, workers: 2}}
        store: {tmp_path / "store.sqlite"}
    """))
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(here=str(HERE), suite=str(suite_path)))
    store = tmp_path / "store.sqlite"
    proc = subprocess.Popen([sys.executable, str(script)], cwd=PROJECT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 90
    workers: set[int] = set()
    try:
        while count(store, "SELECT COUNT(*) FROM results WHERE value IS NOT NULL") < 1:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.time() < deadline, "child made no progress"
            time.sleep(0.05)
        workers = descendants(proc.pid)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(workers) >= 2  # two metric workers (and the resource tracker)
    gone_by = time.time() + 5
    while any(alive(p) for p in workers) and time.time() < gone_by:
        time.sleep(0.1)
    assert not [p for p in workers if alive(p)], "metric workers outlived the killed run"
