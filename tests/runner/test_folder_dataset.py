"""A folder dataset in a suite: its cached manifest follows the folder's listing (added and
deleted files), an unreadable file is one failed utterance (not a dropped dataset), and the
language comes from a sidecar or stays unknown (never a blanket ``en``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import soundfile as sf
from test_runner import rows

from bench.runner import run_suite
from bench.suite import parse_suite


def tone(path: Path, seconds: float) -> None:
    t = np.arange(int(seconds * 8000)) / 8000
    sf.write(path, (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), 8000, subtype="FLOAT")


def run(tmp: Path, audio: Path) -> tuple[int, Path]:
    suite = parse_suite({
        "name": "folder",
        "datasets": [{"name": "mine", "builder": {"kind": "folder", "audio_dir": str(audio)}}],
        "variants": [{"name": "mu", "family": "mulaw"}],
        "metrics": ["toy_snr"],
        "batch": {"workers": 0},
        "store": str(tmp / "store.sqlite"),
        "cache_dir": str(tmp / "cache"),
    }, base_dir=tmp)
    return run_suite(suite, progress=False, log=lambda _: None).run_id, tmp / "store.sqlite"


def utterances(store: Path, run_id: int) -> dict[str, tuple]:
    return {u: (s, r) for u, s, r in rows(
        store, "SELECT utterance, status, reason FROM utterances WHERE run_id=?", run_id)}


def test_folder_listing_and_unreadable_files(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    tone(audio / "a.wav", 1.0)
    tone(audio / "b.wav", 1.5)
    (audio / "b.lang").write_text("zh\n", encoding="utf-8")
    (audio / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnope")
    run_id, store = run(tmp_path, audio)
    utts = utterances(store, run_id)
    assert utts["a"] == ("ok", None) and utts["b"] == ("ok", None)
    assert utts["broken"][0] == "failed" and "broken.wav" in utts["broken"][1]
    assert rows(store, "SELECT n_utterances FROM datasets WHERE run_id=?", run_id) == [(3,)]

    tone(audio / "c.wav", 0.75)  # added: part of the next run
    os.remove(audio / "broken.wav")  # deleted: no longer there, no failure
    run_id, store = run(tmp_path, audio)
    assert set(utterances(store, run_id)) == {"a", "b", "c"}
    assert all(s == "ok" for s, _ in utterances(store, run_id).values())

    manifests = sorted((tmp_path / "cache").glob("folder-*.jsonl"))
    assert len(manifests) == 2  # one per listing
    langs = {row["id"]: row["language"] for row in map(json.loads,
             manifests[0].read_text().splitlines() + manifests[1].read_text().splitlines())}
    assert langs == {"a": None, "b": "zh", "broken": None, "c": None}
