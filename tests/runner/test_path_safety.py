"""Names and paths from suite files and manifests cannot read or write outside their folders:
unsafe names are refused, reports stay under --out, manifest audio stays in its dataset, and a
FIFO in a manifest is a recorded failure instead of a hang."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from toys import write_tone_set

from bench.audio import AudioError, load_audio
from bench.data.manifest import Utterance
from bench.paths import UnsafePathError, safe_join, set_absolute_paths_allowed
from bench.report.build import write_report
from bench.runner import run_suite
from bench.store import Store
from bench.suite import SuiteError, parse_suite


def _suite(tmp: Path, manifest: Path, name: str = "toy", dataset: str = "tones",
           variant: str = "mulaw8k", **extra):
    return parse_suite({
        "name": name,
        "datasets": [{"name": dataset, "manifest": str(manifest)}],
        "variants": [{"name": variant, "family": "mulaw"}],
        "metrics": ["toy_snr"],
        "batch": {"max_items": 3, "workers": 0},
        "store": str(tmp / "store.sqlite"),
        "report_dir": str(tmp / "reports"),
        **extra,
    }, base_dir=tmp)


@pytest.fixture
def no_absolute_paths():
    set_absolute_paths_allowed(False)
    yield
    set_absolute_paths_allowed(False)


@pytest.mark.parametrize("field,value", [
    ("name", ".."), ("name", "../../x"), ("dataset", "../evil"), ("dataset", "a/b"),
    ("variant", "../v"), ("variant", ".hidden"), ("name", "a b"),
])
def test_unsafe_names_are_refused(tmp_path: Path, field: str, value: str) -> None:
    manifest = write_tone_set(tmp_path / "data", n=1)
    with pytest.raises(SuiteError, match="not a safe name"):
        _suite(tmp_path, manifest, **{field: value})


def test_trust_cannot_come_from_a_suite_file(tmp_path: Path) -> None:
    manifest = write_tone_set(tmp_path / "data", n=1)
    with pytest.raises(SuiteError, match="--trust-remote-checkpoints"):
        parse_suite({"name": "t", "datasets": [{"name": "d", "manifest": str(manifest)}],
                     "variants": [{"name": "v", "family": "mulaw"}],
                     "metrics": [{"id": "utmos", "settings": {"trust_checkpoint": True}}]})
    with pytest.raises(SuiteError, match="unsafe_pickle"):
        parse_suite({"name": "t", "datasets": [{"name": "d", "manifest": str(manifest)}],
                     "variants": [{"name": "v", "family": "varstok",
                                   "settings": {"unsafe_pickle": True}}],
                     "metrics": ["toy_snr"]})


def test_safe_join_refuses_escapes(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "a.csv") == tmp_path / "a.csv"
    for bad in ("../a.csv", "/etc/passwd", "x/../../a"):
        with pytest.raises(UnsafePathError, match="outside the output folder"):
            safe_join(tmp_path / "out", bad)


def test_report_of_a_stored_unsafe_name_stays_in_the_output_folder(tmp_path: Path,
                                                                    monkeypatch) -> None:
    """Stores written before names were checked: a run named '..' cannot overwrite README.md,
    a dataset named '../x' cannot write next to the report folder."""
    work = tmp_path / "cwd"
    work.mkdir()
    (work / "README.md").write_text("mine")
    monkeypatch.chdir(work)
    manifest = write_tone_set(tmp_path / "data", n=2)
    suite = _suite(tmp_path, manifest)
    summary = run_suite(suite, progress=False, log=lambda _: None)
    store_path = tmp_path / "store.sqlite"
    import sqlite3

    con = sqlite3.connect(store_path)
    con.execute("UPDATE runs SET name='..' WHERE id=?", (summary.run_id,))
    for table in ("datasets", "utterances", "results", "corpus_results"):
        with contextlib.suppress(sqlite3.OperationalError):
            con.execute(f"UPDATE {table} SET dataset='../escaped' WHERE run_id=?",
                        (summary.run_id,))
    con.commit()
    con.close()
    with Store(store_path) as store, pytest.raises(UnsafePathError):
        write_report(store, summary.run_id, report_root=".")
    assert (work / "README.md").read_text() == "mine"
    out = tmp_path / "out" / "report"
    with Store(store_path) as store, pytest.raises(UnsafePathError):
        write_report(store, summary.run_id, out_dir=out)
    assert not list((tmp_path / "out").glob("escaped*"))


def test_manifest_paths_stay_in_the_dataset(tmp_path: Path, no_absolute_paths) -> None:
    outside = tmp_path / "secret.wav"
    sf.write(outside, np.zeros(800, np.float32), 8000)
    root = tmp_path / "data"
    root.mkdir()
    for path in ("../secret.wav", str(outside)):
        with pytest.raises(UnsafePathError, match="--allow-absolute-paths"):
            Utterance("x", path).resolved_path(root)
    set_absolute_paths_allowed(True)
    assert Utterance("x", str(outside)).resolved_path(root) == outside


def test_fifo_is_refused_without_hanging(tmp_path: Path, no_absolute_paths) -> None:
    fifo = tmp_path / "data" / "pipe.wav"
    fifo.parent.mkdir()
    os.mkfifo(fifo)

    def hang(*_):
        raise TimeoutError("reading the FIFO blocked")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(10)
    try:
        with pytest.raises(AudioError, match="FIFO"):
            load_audio(fifo)
        with pytest.raises(UnsafePathError, match="FIFO"):
            Utterance("p", "pipe.wav").resolved_path(fifo.parent)
        set_absolute_paths_allowed(True)  # devices stay refused even then
        with pytest.raises(UnsafePathError, match="device"):
            Utterance("z", "/dev/zero").resolved_path(fifo.parent)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_run_records_unsafe_rows_as_failures(tmp_path: Path, no_absolute_paths) -> None:
    manifest = write_tone_set(tmp_path / "data", n=2)
    os.mkfifo(tmp_path / "data" / "pipe.wav")
    sf.write(tmp_path / "outside.wav", np.zeros(8000, np.float32), 8000)
    with manifest.open("a") as f:
        f.write(json.dumps({"id": "fifo", "path": "pipe.wav"}) + "\n")
        f.write(json.dumps({"id": "escape", "path": "../outside.wav"}) + "\n")

    def hang(*_):
        raise TimeoutError("the run blocked on a FIFO")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(60)
    try:
        summary = run_suite(_suite(tmp_path, manifest), progress=False, log=lambda _: None)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert summary.utterances_done >= 2
    import sqlite3

    con = sqlite3.connect(tmp_path / "store.sqlite")
    errors = dict(con.execute("SELECT utterance, reason FROM utterances WHERE run_id=? AND "
                              "status='failed'", (summary.run_id,)).fetchall())
    con.close()
    assert "FIFO" in errors["fifo"]
    assert "outside the dataset folder" in errors["escape"]


def test_data_folder_says_when_run_will_need_the_flag(tmp_path: Path, capsys,
                                                      no_absolute_paths) -> None:
    from bench.cli import main

    audio = tmp_path / "wavs"
    audio.mkdir()
    sf.write(audio / "a.wav", np.full(8000, 0.1, np.float32), 8000)
    assert main(["data", "folder", str(audio), str(tmp_path / "elsewhere" / "m.jsonl")]) == 0
    assert "1 audio path(s) are outside" in capsys.readouterr().out
    assert main(["data", "folder", str(audio), str(audio / "m.jsonl")]) == 0
    assert "outside" not in capsys.readouterr().out


def test_folder_builder_dataset_reads_its_own_folder(tmp_path: Path, no_absolute_paths) -> None:
    """A suite's folder builder writes its manifest into the cache, away from the audio: the
    audio folder it listed is part of the dataset, so nothing is refused."""
    write_tone_set(tmp_path / "wavs", n=2)
    suite = parse_suite({
        "name": "built",
        "datasets": [{"name": "tones", "builder": {"kind": "folder", "audio_dir": "wavs"}}],
        "variants": [{"name": "mulaw8k", "family": "mulaw"}],
        "metrics": ["toy_snr"],
        "batch": {"workers": 0},
        "store": str(tmp_path / "store.sqlite"),
        "cache_dir": str(tmp_path / "cache"),
    }, base_dir=tmp_path)
    summary = run_suite(suite, progress=False, log=lambda _: None)
    assert summary.utterances_failed == 0 and summary.utterances_done >= 2
