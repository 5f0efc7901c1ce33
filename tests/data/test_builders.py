"""Manifest builders on small corpus trees laid out like LibriTTS / LibriSpeech, and a folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.data.builders import (
    DatasetError,
    build_folder,
    build_librispeech,
    build_libritts,
)
from bench.data.manifest import read_manifest


def tone(path: Path, seconds: float, sr: int = 24000, fmt: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr, format=fmt)


@pytest.fixture
def libritts(tmp_path: Path) -> Path:
    chapter = tmp_path / "LibriTTS" / "test-clean" / "1089" / "134686"
    tone(chapter / "1089_134686_000001_000000.wav", 1.5)
    (chapter / "1089_134686_000001_000000.normalized.txt").write_text(
        "He hoped there would be stew for dinner.\n", encoding="utf-8")
    (chapter / "1089_134686_000001_000000.original.txt").write_text("ignored", encoding="utf-8")
    tone(chapter / "1089_134686_000002_000000.wav", 0.5)  # no transcript
    tone(tmp_path / "LibriTTS" / "test-clean" / "121" / "127105" / "121_127105_000003_000000.wav",
         2.0)
    return tmp_path


def test_libritts(libritts: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "libritts.jsonl"
    for root in (libritts, libritts / "LibriTTS", libritts / "LibriTTS" / "test-clean"):
        rows = read_manifest(build_libritts(root, "test-clean", out))
        assert [r.id for r in rows] == ["1089_134686_000001_000000", "1089_134686_000002_000000",
                                        "121_127105_000003_000000"]
    assert rows[0].text == "He hoped there would be stew for dinner."
    assert rows[1].text is None  # no transcript: None, never an empty guess
    assert [r.speaker for r in rows] == ["1089", "1089", "121"]
    assert [r.duration for r in rows] == [1.5, 0.5, 2.0]
    assert all(r.language == "en" for r in rows)
    assert Path(rows[0].path).is_absolute() and Path(rows[0].path).exists()


def test_libritts_missing_subset(libritts: Path, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"test-other.*datasets/README\.md"):
        build_libritts(libritts, "test-other", tmp_path / "m.jsonl")


def test_librispeech(tmp_path: Path) -> None:
    chapter = tmp_path / "LibriSpeech" / "test-clean" / "1089" / "134686"
    tone(chapter / "1089-134686-0000.flac", 1.0, sr=16000, fmt="FLAC")
    tone(chapter / "1089-134686-0001.flac", 2.0, sr=16000, fmt="FLAC")
    (chapter / "1089-134686.trans.txt").write_text(
        "1089-134686-0000 HE HOPED THERE WOULD BE STEW FOR DINNER\n"
        "1089-134686-0001 STUFF IT INTO YOU HIS BELLY COUNSELLED HIM\n", encoding="utf-8")
    rows = read_manifest(build_librispeech(tmp_path, "test-clean", tmp_path / "ls.jsonl"))
    assert [(r.id, r.speaker, r.duration) for r in rows] == [
        ("1089-134686-0000", "1089", 1.0), ("1089-134686-0001", "1089", 2.0)]
    assert rows[1].text == "STUFF IT INTO YOU HIS BELLY COUNSELLED HIM"
    # manifest inside the corpus folder: relative paths, so the folder can move
    inside = build_librispeech(tmp_path, "test-clean", tmp_path / "LibriSpeech" / "m.jsonl")
    first = read_manifest(inside)[0]
    assert first.path == "test-clean/1089/134686/1089-134686-0000.flac"
    assert first.resolved_path(inside.parent).exists()


def test_folder_with_transcript_formats(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    tone(audio / "a.wav", 1.0)
    tone(audio / "sub" / "b.flac", 1.25, fmt="FLAC")
    tone(audio / "c.wav", 0.75)
    listing = tmp_path / "texts.txt"
    listing.write_text("a\thello there\nsub/b bonjour à tous\n", encoding="utf-8")
    rows = read_manifest(build_folder(audio, tmp_path / "m.jsonl", listing, language="fr"))
    assert [(r.id, r.text, r.duration) for r in rows] == [
        ("a", "hello there", 1.0), ("c", None, 0.75), ("sub/b", "bonjour à tous", 1.25)]
    assert all(r.language == "fr" for r in rows)
    jsonl = tmp_path / "texts.jsonl"
    jsonl.write_text(json.dumps({"id": "c", "text": "ciao"}) + "\n", encoding="utf-8")
    rows = read_manifest(build_folder(audio, tmp_path / "m.jsonl", jsonl))
    assert {r.id: r.text for r in rows} == {"a": None, "c": "ciao", "sub/b": None}
    mapping = tmp_path / "texts.json"
    mapping.write_text(json.dumps({"a": "hi", "sub/b": "ho"}), encoding="utf-8")
    rows = read_manifest(build_folder(audio, tmp_path / "m.jsonl", mapping))
    assert {r.id: r.text for r in rows} == {"a": "hi", "c": None, "sub/b": "ho"}
    sidecars = tmp_path / "txt"
    (sidecars / "sub").mkdir(parents=True)
    (sidecars / "sub" / "b.txt").write_text("  spaced \n out ", encoding="utf-8")
    rows = read_manifest(build_folder(audio, tmp_path / "m.jsonl", sidecars))
    assert {r.id: r.text for r in rows}["sub/b"] == "spaced out"


def test_folder_errors(tmp_path: Path) -> None:
    audio = tmp_path / "audio"
    tone(audio / "a.wav", 1.0)
    (audio / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnope")
    # kept without a duration: the run records it as failed and scores the others
    rows = read_manifest(build_folder(audio, tmp_path / "m.jsonl"))
    assert [(r.id, r.duration) for r in rows] == [("a", 1.0), ("broken", None)]
    (audio / "broken.wav").unlink()
    stray = tmp_path / "t.txt"
    stray.write_text("zzz text for nothing\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no audio file"):
        build_folder(audio, tmp_path / "m.jsonl", stray)
    bad = tmp_path / "bad.txt"
    bad.write_text("a\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="expected"):
        build_folder(audio, tmp_path / "m.jsonl", bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=r"no .* audio files"):
        build_folder(tmp_path / "empty", tmp_path / "m.jsonl")
    with pytest.raises(DatasetError, match="not a folder"):
        build_folder(tmp_path / "missing", tmp_path / "m.jsonl")


@pytest.mark.needs_shared
def test_folder_on_real_libritts_demo(libritts_demo: Path, tmp_path: Path) -> None:
    rows = read_manifest(build_folder(libritts_demo / "gt", tmp_path / "m.jsonl", language="en"))
    assert len(rows) == 8
    for row in rows:
        info = sf.info(row.path)
        assert info.samplerate == 24000
        assert row.duration == pytest.approx(info.frames / 24000, abs=1e-6)
        assert 1.0 < row.duration < 13.0
