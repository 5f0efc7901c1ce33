"""The ``precomputed`` family through the real runner: a missing file fails that utterance with
its reason, a file at another rate is resampled by the metrics and recorded, extra files are
ignored and reported; values equal ``tokbench score`` on the same pairs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.audio import resample
from bench.registry import load_tokenizer
from bench.runner import run_suite
from bench.score import score_directories
from bench.suite import parse_suite
from tokenizers_impl.precomputed.adapter import PrecomputedError, PrecomputedReconstructions

SR = 24000


def _voice(seconds: float, f0: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(round(SR * seconds)) / SR
    tone = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 8))
    return (0.2 * tone * (0.5 + 0.5 * np.sin(2 * np.pi * 2.5 * t))
            + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """refs a, b, c (24 kHz); hyps: a (24 kHz, noisier), b at 16 kHz as flac, no c, extra z."""
    ref_dir, hyp_dir = tmp_path / "ref", tmp_path / "hyp"
    ref_dir.mkdir()
    hyp_dir.mkdir()
    rng = np.random.default_rng(9)
    for i, name in enumerate("abc"):
        ref = _voice(1.5 + 0.25 * i, 120 + 30 * i, i)
        sf.write(ref_dir / f"{name}.wav", ref, SR)
        hyp = (ref + 0.02 * rng.standard_normal(ref.size)).astype(np.float32)
        if name == "a":
            sf.write(hyp_dir / "a.wav", hyp, SR)
        elif name == "b":
            sf.write(hyp_dir / "b.flac", resample(hyp, SR, 16000), 16000)
    sf.write(hyp_dir / "z_extra.wav", _voice(1.0, 200, 7), SR)
    return ref_dir, hyp_dir


def _run(tmp_path: Path, ref_dir: Path, hyp_dir: Path) -> sqlite3.Connection:
    suite = parse_suite({
        "name": "pre",
        "datasets": [{"name": "d", "builder": {"kind": "folder", "audio_dir": str(ref_dir)}}],
        "variants": [{"name": "pub", "family": "precomputed",
                      "settings": {"folder": str(hyp_dir), "token_rate": 40,
                                   "bits_per_token": 12}}],
        "metrics": ["pesq_wb", "stoi", "tokens_per_s"],
        "batch": {"workers": 0},
        "store": str(tmp_path / "s.sqlite"), "cache_dir": str(tmp_path / "cache")})
    run_suite(suite, progress=False, log=lambda _: None)
    return sqlite3.connect(tmp_path / "s.sqlite")


def test_runner_scores_precomputed_files_like_tokbench_score(tmp_path: Path, folders) -> None:
    ref_dir, hyp_dir = folders
    db = _run(tmp_path, ref_dir, hyp_dir)
    status = dict(db.execute("SELECT utterance, status FROM utterances WHERE variant='pub'"))
    assert status == {"a": "ok", "b": "ok", "c": "failed"}
    (reason,) = db.execute("SELECT reason FROM utterances WHERE utterance='c'").fetchone()
    assert "no reconstruction for utterance 'c'" in reason and str(hyp_dir) in reason
    stored = {(u, m): v for u, m, v in db.execute(
        "SELECT utterance, metric, value FROM results WHERE variant='pub'")}
    scored = score_directories(ref_dir, hyp_dir, ["pesq_wb", "stoi"])
    for metric in ("pesq_wb", "stoi"):
        for utt in ("a", "b"):
            assert stored[(utt, metric)] == scored["metrics"][metric]["per_utterance"][utt]
        assert stored[("c", metric)] is None
    assert scored["unmatched"]["hypothesis_only"] == ["z_extra"]


def test_a_file_at_another_rate_is_resampled_and_recorded(tmp_path: Path, folders) -> None:
    ref_dir, hyp_dir = folders
    db = _run(tmp_path, ref_dir, hyp_dir)
    decisions = {u: json.loads(d) for u, d in db.execute(
        "SELECT utterance, decisions FROM utterances WHERE variant='pub' AND status='ok'")}
    assert decisions["b"]["hypothesis_sr"] == 16000
    assert "16000 Hz file vs 24000 Hz reference" in decisions["b"]["hypothesis_resampled"]
    assert decisions["b"]["hypothesis_file"].endswith("b.flac")
    assert decisions["a"]["hypothesis_sr"] == SR and "hypothesis_resampled" not in decisions["a"]
    (pesq_b,) = db.execute("SELECT value FROM results WHERE utterance='b' AND "
                           "metric='pesq_wb'").fetchone()
    assert 2.5 < pesq_b < 4.6  # a lightly noisy copy scores high: the resampled file was used


def test_rates_are_declared_not_measured(tmp_path: Path, folders) -> None:
    ref_dir, hyp_dir = folders
    db = _run(tmp_path, ref_dir, hyp_dir)
    (value, reason) = db.execute("SELECT value, reason FROM corpus_results WHERE variant='pub' "
                                 "AND metric='tokens_per_s'").fetchone()
    assert value is None and reason == "precomputed: 40 tok/s, 0.48 kbps (declared, not measured)"
    notes = db.execute("SELECT notes FROM variants WHERE variant='pub'").fetchone()[0]
    assert "declared rate 40 tok/s (declared, not measured)" in notes


def test_extra_files_are_ignored_and_reported(folders) -> None:
    _, hyp_dir = folders
    tok = load_tokenizer("precomputed", folder=str(hyp_dir))
    assert isinstance(tok, PrecomputedReconstructions)
    from bench.data.manifest import Utterance

    for name in "ab":
        tok.reconstruct(Utterance(id=name, path=f"{name}.wav"), SR)
    assert tok.unused_files() == ["z_extra"]
    assert tok.sample_rate == SR  # the most common file rate


def test_match_by_relative_path_and_clear_errors(tmp_path: Path) -> None:
    from bench.data.manifest import Utterance

    (tmp_path / "h" / "spk1").mkdir(parents=True)
    sf.write(tmp_path / "h" / "spk1" / "u1.wav", _voice(0.5, 150, 0), SR)
    tok = load_tokenizer("precomputed", folder=str(tmp_path / "h"))
    assert tok.find(Utterance(id="x", path="spk1/u1.flac")).name == "u1.wav"
    assert tok.find(Utterance(id="u1", path="elsewhere/u1.wav")).name == "u1.wav"
    with pytest.raises(PrecomputedError, match="no reconstruction"):
        tok.find(Utterance(id="u2", path="u2.wav"))
    with pytest.raises(PrecomputedError, match="not found"):
        load_tokenizer("precomputed", folder=str(tmp_path / "nope"))
    with pytest.raises(PrecomputedError, match=r"settings\.folder"):
        load_tokenizer("precomputed")
    with pytest.raises(TypeError, match="unknown precomputed settings"):
        load_tokenizer("precomputed", folder=str(tmp_path / "h"), rate=3)
    with pytest.raises(PrecomputedError, match="no encoder"):
        tok.encode(None, None)
