"""A run killed with SIGKILL mid-way resumes with nothing lost or duplicated."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from toys import write_tone_set

from bench.runner import run_suite
from bench.suite import load_suite

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]

CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {here!r})
    from toys import SlowMuLawTokenizer, ToySnr
    from bench import registry
    from bench.runner import run_suite
    from bench.suite import load_suite
    registry.register_tokenizer("mulaw_slow", lambda: SlowMuLawTokenizer())
    registry.register_metric("toy_snr", ToySnr)
    if __name__ == "__main__":
        run_suite(load_suite({suite!r}), progress=False)
""")


def count(store: Path, sql: str) -> int:
    if not store.exists():
        return 0
    con = sqlite3.connect(store, timeout=5)
    try:
        return int(con.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    finally:
        con.close()


def test_sigkill_then_resume(tmp_path: Path) -> None:
    manifest = write_tone_set(tmp_path / "data", n=8)
    suite_path = tmp_path / "suite.yaml"
    suite_path.write_text(textwrap.dedent(f"""
        name: killme
        datasets: [{{name: tones, manifest: {manifest}}}]
        variants: [{{name: slow, family: mulaw_slow}}]
        metrics: [toy_snr]
        batch: {{max_items: 1, workers: 0}}
        store: {tmp_path / "store.sqlite"}
    """))
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(here=str(HERE), suite=str(suite_path)))
    store = tmp_path / "store.sqlite"
    proc = subprocess.Popen([sys.executable, str(script)], cwd=PROJECT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    try:
        while count(store, "SELECT COUNT(*) FROM utterances") < 2:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.time() < deadline, "child made no progress"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    done_before = count(store, "SELECT COUNT(*) FROM utterances")
    assert 2 <= done_before < 8
    assert count(store, "SELECT COUNT(*) FROM runs WHERE status='running'") == 1

    summary = run_suite(load_suite(suite_path), resume=True, progress=False, log=lambda _: None)
    assert summary.run_id == 1
    assert summary.utterances_done == 8  # the whole run, not just the resumed part
    assert count(store, "SELECT COUNT(*) FROM utterances") == 8
    assert count(store, "SELECT COUNT(DISTINCT utterance) FROM results") == 8
    assert count(store, "SELECT COUNT(*) FROM results") == 8
    assert count(store, "SELECT COUNT(*) FROM results WHERE value IS NULL") == 0
    assert count(store, "SELECT COUNT(*) FROM runs WHERE status='complete'") == 1
