"""The synthetic espeak-ng set: deterministic bytes, all languages, sane durations, known text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import soundfile as sf

from bench.audio import load_audio
from bench.data.manifest import read_manifest
from bench.data.synth import INFO_NAME, build_synthetic_set, plan_items

LANGUAGES = ("en", "fr", "de", "es", "zh", "ja")


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = build_synthetic_set(tmp_path_factory.mktemp("synth_a"))
    second = build_synthetic_set(tmp_path_factory.mktemp("synth_b"))
    return first, second


def _files(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def test_two_builds_are_byte_identical(two_builds: tuple[Path, Path]) -> None:
    a, b = (_files(m.parent) for m in two_builds)
    assert len(a) == 24 + 2  # wavs, manifest, synth_info.json
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_rerun_skips_when_fingerprint_matches(two_builds: tuple[Path, Path]) -> None:
    manifest = two_builds[0]
    stamps = {p: p.stat().st_mtime_ns for p in manifest.parent.rglob("*.wav")}
    assert build_synthetic_set(manifest.parent) == manifest
    assert {p: p.stat().st_mtime_ns for p in manifest.parent.rglob("*.wav")} == stamps


def test_rerun_regenerates_a_tampered_file(tmp_path: Path) -> None:
    manifest = build_synthetic_set(tmp_path, languages=("en",), per_language=1)
    wav = manifest.parent / read_manifest(manifest)[0].path
    original = wav.read_bytes()
    wav.write_bytes(original[:100])
    build_synthetic_set(tmp_path, languages=("en",), per_language=1)
    assert wav.read_bytes() == original


def test_languages_texts_and_durations(two_builds: tuple[Path, Path]) -> None:
    manifest = two_builds[0]
    rows = read_manifest(manifest)
    assert len(rows) == 24
    assert sorted({r.language for r in rows}) == sorted(LANGUAGES)
    for lang in LANGUAGES:
        assert sum(r.language == lang for r in rows) == 4
    for row in rows:
        assert row.text and row.text.strip()
        assert 1.0 <= row.duration <= 4.0, (row.id, row.duration)
        info = sf.info(str(manifest.parent / row.path))
        assert info.samplerate == 24000 and info.channels == 1 and info.subtype == "PCM_16"
        assert info.frames / 24000 == pytest.approx(row.duration, abs=1e-5)
    assert len({r.speaker for r in rows if r.language == "en"}) >= 3  # several voices
    zh = [r.text for r in rows if r.language == "zh"]
    assert all(re.search(r"[\u4e00-\u9fff]", t) and not re.search(r"[a-z0-9]", t) for t in zh)
    ja = [r.text for r in rows if r.language == "ja"]
    assert all(re.fullmatch(r"[\u3040-\u30ff、。ー]+", t) for t in ja)


def test_audio_is_speech_like(two_builds: tuple[Path, Path]) -> None:
    manifest = two_builds[0]
    for row in read_manifest(manifest)[:6]:
        audio, decisions = load_audio(manifest.parent / row.path)
        assert decisions.source_sr == 24000 and not decisions.resampled
        peak = float(abs(audio).max())
        assert 0.1 < peak < 1.0
        rms = float((audio**2).mean() ** 0.5)
        assert rms > 0.01


def test_info_records_engine_version(two_builds: tuple[Path, Path]) -> None:
    info = json.loads((two_builds[0].parent / INFO_NAME).read_text(encoding="utf-8"))
    assert info["engine"] == "espeak-ng"
    assert info["engine_version"].startswith("1.52")
    assert info["engine_source"] == "espeakng-loader wheel"
    assert info["native_sample_rate"] == 22050
    assert info["sample_rate"] == 24000


def test_plan_varies_voices_and_speeds_and_follows_seed() -> None:
    items = plan_items(LANGUAGES, 4, seed=0)
    assert len({i.rate_wpm for i in items if i.language == "fr"}) == 4
    assert len({i.voice for i in items if i.language == "fr"}) == 4
    assert next(i.voice for i in items if i.language == "zh").startswith("cmn-latn-pinyin+")
    assert plan_items(LANGUAGES, 4, seed=0) == items
    assert plan_items(LANGUAGES, 4, seed=1) != items


def test_other_sample_rate(tmp_path: Path) -> None:
    manifest = build_synthetic_set(tmp_path, languages=("de",), per_language=1, sample_rate=16000)
    row = read_manifest(manifest)[0]
    assert sf.info(str(manifest.parent / row.path)).samplerate == 16000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"languages": ("xx",)}, "no synthetic sentences"),
        ({"per_language": 0}, "per_language"),
        ({"per_language": 99}, "per_language"),
        ({"sample_rate": 4000}, "too low"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_synthetic_set(tmp_path, **kwargs)
