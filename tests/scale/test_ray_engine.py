"""--engine ray on a local Ray instance (2 CPUs): the same rows and values as --engine local
(every metric, the ground-truth row included, computed on the actors),
an actor killed mid-run loses nothing, a batch that kills its worker twice is recorded as failed
with the reason, and resume continues a ray run."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from scale_toys import assert_same_rows, register_scale_toys, store_rows, tone_suite, write_tone_set
from toys import ToyRms

from bench.runner import RunInterrupted, run_suite

ray = pytest.importorskip("ray", reason="the Ray engine needs `pip install tokbench[ray]`")

from bench.engines.ray_engine import RayEngine  # noqa: E402

HERE = Path(__file__).resolve().parent
VARIANTS = [
    {"name": "mulaw8k", "family": "mulaw"},
    {"name": "spans", "family": "mulaw_spans"},
    {"name": "nan-on-loud", "family": "mulaw_nan"},
    {"name": "missing-weights", "family": "broken"},
]


@pytest.fixture(scope="module")
def ray_local():
    """One small local Ray instance for the module; actors import the test toys."""
    path = os.pathsep.join([str(HERE), str(HERE.parent / "runner"),
                            os.environ.get("PYTHONPATH", "")])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             object_store_memory=100 * 1024 * 1024,
             runtime_env={"env_vars": {"PYTHONPATH": path, "OMP_NUM_THREADS": "1"}})
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def tones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tone_set(tmp_path_factory.mktemp("ray") / "data", n=10, corrupt=True)


@pytest.fixture(scope="module")
def local_rows(tones: Path, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("local")
    suite = tone_suite(tmp, tones, VARIANTS, max_items=2)
    summary = run_suite(suite, progress=False, log=lambda _: None)
    return store_rows(tmp / "store.sqlite"), summary, tmp / "store.sqlite"


def engine(**kw) -> RayEngine:
    return RayEngine(actors=2, setup=register_scale_toys, **kw)


def test_ray_equals_local(ray_local, tones: Path, tmp_path: Path, local_rows) -> None:
    suite = tone_suite(tmp_path, tones, VARIANTS, max_items=2)
    calls = ToyRms.calls
    summary = run_suite(suite, progress=False, log=lambda _: None, engine=engine())
    assert ToyRms.calls == calls  # every metric, ground truth included, ran on the actors
    expected, local_summary, local_store = local_rows
    # same batches through the same code: bit-identical, metrics included
    assert_same_rows(store_rows(tmp_path / "store.sqlite"), expected, exact=True)
    assert summary.skipped_variants == local_summary.skipped_variants
    assert "FileNotFoundError" in summary.skipped_variants["missing-weights"]
    assert (summary.utterances_done, summary.utterances_failed) == \
        (local_summary.utterances_done, local_summary.utterances_failed)
    assert summary.utterances_failed > 0  # the corrupt file and the NaN outputs
    # the actors' reference-side values reached the driver's cache
    con = sqlite3.connect(tmp_path / "store.sqlite")
    cached = con.execute("SELECT COUNT(*) FROM reference_cache WHERE metric='toy_rms'").fetchone()
    assert cached == (10,)  # the ten readable tones
    # the actors' reconstructions and references were saved by the driver, byte for byte
    query = ("SELECT dataset, variant, utterance, path, frames, bytes FROM audio_files "
             "ORDER BY 1, 2, 3")
    saved = con.execute(query).fetchall()
    assert saved == sqlite3.connect(local_store).execute(query).fetchall()
    assert len(saved) > 20
    for *_, rel, _frames, _size in saved:
        assert (tmp_path / rel).read_bytes() == (local_store.parent / rel).read_bytes()


def test_killed_actor_loses_nothing(ray_local, tones: Path, tmp_path: Path, local_rows) -> None:
    suite = tone_suite(tmp_path, tones, VARIANTS, max_items=2)
    logs: list[str] = []
    eng = engine(kill_after_results=2)
    run_suite(suite, progress=False, log=logs.append, engine=eng)
    assert eng.replacements >= 1 and any("retrying it once" in line for line in logs)
    assert_same_rows(store_rows(tmp_path / "store.sqlite"), local_rows[0], exact=True)


def test_batch_that_kills_its_worker_twice_is_recorded_failed(ray_local, tones: Path,
                                                                tmp_path: Path) -> None:
    # tone3 lasts 0.5 + 0.25 * 3 s at 8 kHz = 10 000 samples: every worker that sees it exits
    suite = tone_suite(tmp_path, tones, [{"name": "crashy", "family": "mulaw_crash",
                                          "settings": {"crash_samples": 10000}}],
                       metrics=("toy_snr",), max_items=1)
    summary = run_suite(suite, progress=False, log=lambda _: None, engine=engine())
    rows = {r[2]: r for r in store_rows(tmp_path / "store.sqlite")["utterances"]}
    assert rows["tone3"][3] == "failed" and "Ray worker died twice" in rows["tone3"][4]
    assert all(r[3] == "ok" for u, r in rows.items() if u not in ("tone3", "bad"))
    assert len(rows) == 11 and summary.utterances_failed == 2  # tone3 and the corrupt file


def test_resume_a_ray_run(ray_local, tones: Path, tmp_path: Path, local_rows) -> None:
    suite = tone_suite(tmp_path, tones, VARIANTS, max_items=2)
    with pytest.raises(RunInterrupted):
        run_suite(suite, progress=False, log=lambda _: None, engine=engine(),
                  stop_after_batches=6)
    run_suite(suite, resume=True, progress=False, log=lambda _: None, engine=engine())
    assert_same_rows(store_rows(tmp_path / "store.sqlite"), local_rows[0], exact=True)
