"""Saved reconstructions: one 16-bit FLAC per ok utterance and variant (plus the reference) at
the tokenizer's rate, recorded in the store, within the size budget, and exact under resume."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import torch
from toys import MuLawTokenizer, write_tone_set

from bench.audio import load_audio
from bench.execution.audio_out import safe_component
from bench.report.build import write_report
from bench.runner import RunInterrupted, run_suite
from bench.store import Store
from bench.suite import parse_suite


@pytest.fixture(scope="module")
def tones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tone_set(tmp_path_factory.mktemp("tones"), n=5, corrupt=True)


def _suite(tmp: Path, manifest: Path, **batch: Any):
    return parse_suite({
        "name": "audio",
        "datasets": [{"name": "tones", "manifest": str(manifest)}],
        "variants": [{"name": "mulaw+8k", "family": "mulaw"},
                     {"name": "spans", "family": "mulaw_spans",
                      "settings": {"sample_rate": 16000}}],
        "metrics": ["toy_snr"],
        "batch": {"workers": 0, "max_items": 2, **batch},
        "store": str(tmp / "store.sqlite"),
    }, base_dir=tmp)


def _rows(tmp: Path, store: str = "store.sqlite") -> list[tuple]:
    con = sqlite3.connect(tmp / store)
    rows = con.execute("SELECT dataset, variant, utterance, path, sample_rate, frames, bytes "
                       "FROM audio_files ORDER BY variant, utterance").fetchall()
    con.close()
    return rows


def test_every_ok_utterance_is_saved_as_16_bit_flac(tmp_path: Path, tones: Path) -> None:
    run_suite(_suite(tmp_path, tones), progress=False, log=lambda _: None)
    rows = _rows(tmp_path)
    # 5 good tones × (2 variants + the reference); the corrupt file has no audio
    assert len(rows) == 15
    assert {r[1] for r in rows} == {"ground truth", "mulaw+8k", "spans"}
    for _, variant, _, path, sr, frames, size in rows:
        file = tmp_path / path
        assert file.is_file() and file.stat().st_size == size
        assert file.resolve().is_relative_to((tmp_path / "tokbench_audio" / "run1").resolve())
        info = sf.info(str(file))
        assert info.format == "FLAC" and info.subtype == "PCM_16"
        assert info.samplerate == sr == {"ground truth": 8000, "mulaw+8k": 8000,
                                         "spans": 16000}[variant]
        assert info.frames == frames
    assert "/mulaw_8k-" in next(r[3] for r in rows if r[1] == "mulaw+8k")  # path-safe
    # the saved reconstruction is the tokenizer's output, to 16-bit precision
    ref, _ = load_audio(tones.parent / "tone2.wav")
    tok = MuLawTokenizer()
    x = torch.from_numpy(ref)[None]
    recon = tok.decode(tok.encode(x, torch.tensor([len(ref)])))[0][0].numpy()
    saved, sr = sf.read(str(tmp_path / next(r[3] for r in rows
                                            if r[1] == "mulaw+8k" and r[2] == "tone2")))
    assert sr == 8000 and len(saved) == len(recon)
    assert np.max(np.abs(saved - recon)) <= 1 / 32768 + 1e-7


def test_budget_and_off_switch(tmp_path: Path, tones: Path) -> None:
    messages: list[str] = []
    run_suite(_suite(tmp_path / "small", tones, save_audio_mb=0.012), progress=False,
              log=messages.append)
    rows = _rows(tmp_path / "small")
    assert 0 < len(rows) < 15
    assert sum(r[6] for r in rows) <= 12_000
    assert sum("audio budget" in m for m in messages) == 1  # said once, not per file
    run_suite(_suite(tmp_path / "off", tones, save_audio_mb=0), progress=False,
              log=lambda _: None)
    assert _rows(tmp_path / "off") == []
    assert not (tmp_path / "off" / "tokbench_audio").exists()


def test_resume_neither_duplicates_nor_loses_files(tmp_path: Path, tones: Path) -> None:
    full = tmp_path / "full"
    run_suite(_suite(full, tones), progress=False, log=lambda _: None)
    part = tmp_path / "part"
    with pytest.raises(RunInterrupted):
        run_suite(_suite(part, tones), progress=False, stop_after_batches=2, log=lambda _: None)
    assert 0 < len(_rows(part)) < 15
    run_suite(_suite(part, tones), resume=True, progress=False, log=lambda _: None)
    assert [r[:3] + r[4:] for r in _rows(part)] == [r[:3] + r[4:] for r in _rows(full)]
    files = sorted(p.relative_to(part) for p in (part / "tokbench_audio").rglob("*") if p.is_file())
    assert files == sorted(Path(r[3]) for r in _rows(part))  # no strays, no .part leftovers
    for a, b in zip(_rows(part), _rows(full), strict=True):
        assert (part / a[3]).read_bytes() == (full / b[3]).read_bytes()


def test_report_copies_audio_into_its_own_folder(tmp_path: Path, tones: Path) -> None:
    summary = run_suite(_suite(tmp_path, tones), progress=False, log=lambda _: None)
    stale = tmp_path / "report" / "audio" / "tones" / "gone" / "old.flac"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"from an earlier build")
    with Store(tmp_path / "store.sqlite") as store:
        files = write_report(store, summary.run_id, out_dir=tmp_path / "report")
    assert not stale.exists()
    html = files.index_html.read_text()
    copied = sorted((files.out_dir / "audio").rglob("*.flac"))
    assert len(copied) == 15
    for flac in copied:
        assert f'src="{flac.relative_to(files.out_dir).as_posix()}"' in html


def test_old_store_gains_the_audio_table(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "old.sqlite")
    con.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, "
                "config_hash TEXT NOT NULL, config_json TEXT NOT NULL, git_commit TEXT, "
                "packages_json TEXT, device TEXT, seed INTEGER, started_at TEXT NOT NULL, "
                "ended_at TEXT, status TEXT NOT NULL)")
    con.commit()
    con.close()
    with Store(tmp_path / "old.sqlite") as store:
        assert store.table("audio_files", 1) == []


def test_safe_component_keeps_ids_distinct_and_inside() -> None:
    names = ["../etc/passwd", "a/b", "a_b", "spk 1/ü.wav", ".hidden", "plain-id_1.2"]
    safe = [safe_component(n) for n in names]
    assert len(set(safe)) == len(names)
    assert safe[-1] == "plain-id_1.2"
    for s in safe:
        assert "/" not in s and "\\" not in s and not s.startswith(".") and s not in ("", "..")


def test_audio_budget_does_not_change_the_config_hash(tmp_path: Path, tones: Path) -> None:
    hashes = {_suite(tmp_path, tones, save_audio_mb=mb).config_hash() for mb in (0, 1, 500)}
    assert len(hashes) == 1
    with pytest.raises(ValueError, match="save_audio_mb"):
        _suite(tmp_path, tones, save_audio_mb=-1)


def test_cli_switches(tmp_path: Path, tones: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli import main

    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: clia\ndatasets: [{{name: tones, manifest: {tones}}}]\n"
                     "variants: [{name: m, family: mulaw}]\nmetrics: [toy_snr]\n"
                     "batch: {workers: 0}\n")
    # exit 1: the tone set holds one corrupt file on purpose (recorded as failed)
    assert main(["run", str(suite), "--store", str(tmp_path / "a" / "s.sqlite"), "--no-audio",
                 "--no-report", "--no-progress"]) == 1
    assert _rows(tmp_path / "a", "s.sqlite") == []
    assert main(["run", str(suite), "--store", str(tmp_path / "b" / "s.sqlite"),
                 "--audio-budget-mb", "5", "--no-report", "--no-progress"]) == 1
    assert len(_rows(tmp_path / "b", "s.sqlite")) == 10
    assert main(["run", str(suite), "--store", str(tmp_path / "c" / "s.sqlite"),
                 "--audio-budget-mb", "-1", "--no-progress"]) == 2
    assert "--audio-budget-mb must be >= 0" in capsys.readouterr().err


def test_worker_sends_only_the_references_the_driver_lacks(tmp_path: Path) -> None:
    """An engine worker's capture encodes a reference only when the driver has not saved it
    yet; what it sends, the driver saves exactly as its own ``add`` would."""
    from bench.execution.audio_out import AudioOut, CapturingAudioOut
    from bench.suite import GROUND_TRUTH

    store = Store(tmp_path / "store.sqlite")
    try:
        run_id = store.create_run("audio", "h", {}, "c", {}, "cpu", 0)
        driver = AudioOut(store, run_id, budget_mb=10)
        worker = CapturingAudioOut(enabled=True)
        wave = np.sin(np.arange(8000) / 9.0).astype(np.float32) * 0.3
        ids = ["u1", "u2"]
        for variant in ("a", "b"):
            worker.expect("d", driver.saved_references("d", ids))
            for utt in ids:
                worker.add("d", variant, utt, wave, 8000, wave, 16000)
            sent = worker.take()
            references = sorted(i.key[2] for i in sent if i.key[1] == GROUND_TRUTH)
            assert references == (ids if variant == "a" else [])  # b: the driver has both
            for item in sent:
                driver.add_encoded(item)
            driver.flush()
        rows = store.table("audio_files", run_id)
        assert sorted((r["variant"], r["utterance"]) for r in rows) == [
            ("a", "u1"), ("a", "u2"), ("b", "u1"), ("b", "u2"),
            (GROUND_TRUTH, "u1"), (GROUND_TRUTH, "u2")]
        ref = next(r for r in rows if r["variant"] == GROUND_TRUTH)
        assert (ref["sample_rate"], ref["frames"]) == (16000, 8000)
        # a reference whose file went missing is asked for again
        (tmp_path / ref["path"]).unlink()
        assert driver.saved_references("d", ids) == {"u1", "u2"} - {ref["utterance"]}
    finally:
        store.close()
