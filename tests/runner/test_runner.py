"""End-to-end runner tests with toy tokenizers: real values in the store, failures recorded,
skips recorded, resume after an interruption, and the reference-side cache."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest
from toys import ToyRms, write_tone_set

from bench.runner import RunInterrupted, run_suite
from bench.store import Store
from bench.suite import GROUND_TRUTH, parse_suite

N_TONES = 6


def make_suite(tmp: Path, manifest: Path, variants: list[dict], metrics=("toy_snr", "toy_rms"),
               workers: int = 0, max_items: int = 3, **extra):
    return parse_suite({
        "name": "toy",
        "datasets": [{"name": "tones", "manifest": str(manifest)}],
        "variants": variants,
        "metrics": list(metrics),
        "batch": {"max_items": max_items, "workers": workers},
        "store": str(tmp / "store.sqlite"),
        "report_dir": str(tmp / "reports"),
        **extra,
    }, base_dir=tmp)


def rows(store_path: Path, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(store_path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


@pytest.fixture
def tones(tmp_path: Path) -> Path:
    return write_tone_set(tmp_path / "data", n=N_TONES, corrupt=True)


def test_end_to_end_values_failures_and_skips(tmp_path: Path, tones: Path) -> None:
    suite = make_suite(tmp_path, tones, [
        {"name": "mulaw8k", "family": "mulaw"},
        {"name": "spans", "family": "mulaw_spans"},
        {"name": "nan-on-loud", "family": "mulaw_nan"},
        {"name": "missing-weights", "family": "broken"},
    ], metrics=("toy_snr", "toy_rms", "no_such_metric"))
    summary = run_suite(suite, progress=False, log=lambda _: None)
    store = tmp_path / "store.sqlite"

    assert "FileNotFoundError" in summary.skipped_variants["missing-weights"]
    assert "no_such_metric" in summary.skipped_metrics
    assert rows(store, "SELECT status, reason FROM variants WHERE variant='missing-weights'") == [
        ("skipped", "FileNotFoundError: weights not found at /nowhere/model.ckpt")]

    # μ-law: one token per sample, so tokens/s is the sample rate exactly.
    rates = rows(store, "SELECT n_tokens / seconds, bits_per_token FROM utterances "
                        "WHERE variant='mulaw8k' AND status='ok'")
    assert len(rates) == N_TONES
    assert all(r == (8000.0, 8.0) for r in rates)
    # Alternating spans of 1 and 2 samples: 2 tokens per 3 samples, spans stored.
    spans = rows(store, "SELECT n_tokens, seconds FROM utterances WHERE variant='spans' "
                        "AND status='ok'")
    for n_tokens, seconds in spans:
        samples = round(seconds * 8000)
        assert n_tokens == 2 * (samples // 3) + samples % 3
    with Store(store) as s:
        streams = list(s.durations(summary.run_id))
    assert len(streams) == N_TONES and all(set(d.tolist()) <= {1, 2} for *_, d in streams)

    # 8-bit μ-law of a sine at 0.2-0.4 full scale: SNR near 38 dB.
    snr = [v for (v,) in rows(store, "SELECT value FROM results WHERE variant='mulaw8k' "
                                     "AND metric='toy_snr' AND value IS NOT NULL")]
    assert len(snr) == N_TONES and all(35.0 < v < 41.0 for v in snr)

    # The corrupt file fails for every variant with its reason; the rest still succeed.
    failed = rows(store, "SELECT variant, reason FROM utterances WHERE utterance='bad'")
    assert {v for v, _ in failed} == {GROUND_TRUTH, "mulaw8k", "spans", "nan-on-loud"}
    assert all("cannot read audio file" in r for _, r in failed)
    bad_values = rows(store, "SELECT value, reason FROM results WHERE utterance='bad' "
                             "AND variant='mulaw8k'")
    assert len(bad_values) == 2 and all(v is None and "utterance failed" in r
                                        for v, r in bad_values)

    # NaN reconstructions (the loud tones 2 and 5) fail alone, batch mates succeed.
    nan_rows = dict(rows(store, "SELECT utterance, status FROM utterances "
                                "WHERE variant='nan-on-loud'"))
    assert nan_rows == {"tone0": "ok", "tone1": "ok", "tone2": "failed", "tone3": "ok",
                        "tone4": "ok", "tone5": "failed", "bad": "failed"}
    reason = rows(store, "SELECT reason FROM utterances WHERE variant='nan-on-loud' "
                         "AND utterance='tone2'")[0][0]
    assert "NaN" in reason

    # Ground truth row: reference-free metric only, equal to the hypothesis level within μ-law.
    gt = dict(rows(store, "SELECT metric, COUNT(value) FROM results WHERE variant=? "
                          "GROUP BY metric", GROUND_TRUTH))
    assert gt == {"toy_rms": N_TONES}
    gt_rms = rows(store, "SELECT value FROM results WHERE variant=? AND utterance='tone0'",
                  GROUND_TRUTH)[0][0]
    assert gt_rms == pytest.approx(20 * math.log10(0.2 / math.sqrt(2)), abs=0.05)

    run = rows(store, "SELECT status, config_hash, seed FROM runs")
    assert run == [("complete", suite.config_hash(), 0)]


def test_resume_after_interruption_has_no_gaps_or_duplicates(tmp_path: Path, tones: Path) -> None:
    variants = [{"name": "mulaw8k", "family": "mulaw"}, {"name": "spans", "family": "mulaw_spans"}]
    metrics = ("toy_snr", "toy_rms", "tokens_per_s")
    suite = make_suite(tmp_path, tones, variants, metrics=metrics, max_items=2)
    with pytest.raises(RunInterrupted):
        run_suite(suite, progress=False, stop_after_batches=5, log=lambda _: None)
    store = tmp_path / "store.sqlite"
    assert rows(store, "SELECT status FROM runs") == [("interrupted",)]
    partial = rows(store, "SELECT COUNT(*) FROM utterances")[0][0]
    assert 0 < partial < 3 * (N_TONES + 1)

    summary = run_suite(suite, progress=False, resume=True, log=lambda _: None)
    assert summary.run_id == 1
    assert rows(store, "SELECT id, status FROM runs") == [(1, "complete")]
    utts = rows(store, "SELECT dataset, variant, utterance FROM utterances")
    assert len(utts) == len(set(utts)) == 3 * (N_TONES + 1)
    results = rows(store, "SELECT variant, utterance, metric FROM results")
    # 2 variants × 7 utterances × 3 metrics + ground truth 7 × 1 reference-free metric
    assert len(results) == len(set(results)) == 2 * 7 * 3 + 7

    # The resumed run's values equal a clean run's.
    clean_dir = tmp_path / "clean"
    clean_dir.mkdir()
    clean = make_suite(clean_dir, tones, variants, metrics=metrics, max_items=2)
    run_suite(clean, progress=False, log=lambda _: None)
    sql = ("SELECT variant, utterance, metric, value, reason FROM results "
           "ORDER BY variant, utterance, metric")
    assert rows(store, sql) == rows(clean_dir / "store.sqlite", sql)
    # Corpus summaries are rebuilt from the store, so the resumed run has them in full.
    corpus_sql = "SELECT variant, metric, key, value FROM corpus_results ORDER BY 1, 2, 3"
    corpus = rows(store, corpus_sql)
    assert corpus == rows(clean_dir / "store.sqlite", corpus_sql)
    assert ("mulaw8k", "tokens_per_s", "corpus", 8000.0) in corpus


def test_reference_values_are_cached_across_runs(tmp_path: Path, tones: Path) -> None:
    suite = make_suite(tmp_path, tones, [{"name": "mulaw8k", "family": "mulaw"}],
                       metrics=("toy_rms",))
    ToyRms.calls = 0
    run_suite(suite, progress=False, log=lambda _: None)
    first_calls = ToyRms.calls
    assert first_calls == 2 * N_TONES  # ground truth + reconstructions
    run_suite(suite, progress=False, log=lambda _: None)  # a new run, same audio
    assert ToyRms.calls - first_calls == N_TONES  # only the reconstructions again
    store = tmp_path / "store.sqlite"
    per_run = rows(store, "SELECT run_id, COUNT(value) FROM results WHERE variant=? "
                          "GROUP BY run_id", GROUND_TRUTH)
    assert per_run == [(1, N_TONES), (2, N_TONES)]
    assert rows(store, "SELECT COUNT(*) FROM reference_cache")[0][0] == N_TONES


def test_metric_pool_matches_inline(tmp_path: Path, tones: Path) -> None:
    variants = [{"name": "mulaw8k", "family": "mulaw"}]
    inline_dir, pool_dir = tmp_path / "inline", tmp_path / "pool"
    inline_dir.mkdir()
    pool_dir.mkdir()
    run_suite(make_suite(inline_dir, tones, variants, workers=0), progress=False,
              log=lambda _: None)
    run_suite(make_suite(pool_dir, tones, variants, workers=1), progress=False,
              log=lambda _: None)
    sql = "SELECT variant, utterance, metric, value FROM results ORDER BY 1, 2, 3"
    assert rows(pool_dir / "store.sqlite", sql) == rows(inline_dir / "store.sqlite", sql)
    assert len(rows(pool_dir / "store.sqlite", sql)) == 7 * 2 + 7


def test_object_without_the_contract_is_skipped(tmp_path: Path, tones: Path) -> None:
    suite = make_suite(tmp_path, tones, [{"name": "junk", "family": "not_a_tokenizer"},
                                         {"name": "unknown", "family": "no_such_family"}],
                       metrics=("toy_snr",))
    summary = run_suite(suite, progress=False, log=lambda _: None)
    assert "does not implement the Tokenizer contract" in summary.skipped_variants["junk"]
    assert "unknown tokenizer family 'no_such_family'" in summary.skipped_variants["unknown"]
    assert rows(tmp_path / "store.sqlite", "SELECT status FROM runs") == [("complete",)]


def test_several_datasets_and_a_missing_one(tmp_path: Path, tones: Path) -> None:
    wide = write_tone_set(tmp_path / "wide", sample_rate=16000, n=2)
    suite = parse_suite({
        "name": "multi",
        "datasets": [{"name": "tones", "manifest": str(tones), "limit": 3},
                     {"name": "wide", "manifest": str(wide)},
                     {"name": "gone", "manifest": str(tmp_path / "nowhere.jsonl")}],
        "variants": [{"name": "mulaw8k", "family": "mulaw"},
                     {"name": "spans", "family": "mulaw_spans"}],
        "metrics": ["toy_snr", "tokens_per_s"],
        "batch": {"workers": 0},
        "store": str(tmp_path / "store.sqlite"),
    })
    run_suite(suite, progress=False, log=lambda _: None)
    store = tmp_path / "store.sqlite"
    counts = rows(store, "SELECT dataset, variant, COUNT(*) FROM utterances "
                         "GROUP BY dataset, variant ORDER BY 1, 2")
    assert counts == [("tones", "mulaw8k", 3), ("tones", "spans", 3),
                      ("wide", "mulaw8k", 2), ("wide", "spans", 2)]
    gone = rows(store, "SELECT manifest, n_utterances FROM datasets WHERE dataset='gone'")
    assert gone[0][0].startswith("unavailable: FileNotFoundError") and gone[0][1] == 0
    # 16 kHz audio through an 8 kHz codec: 8000 tokens per input second, per dataset corpus.
    corpus = rows(store, "SELECT dataset, value FROM corpus_results WHERE variant='mulaw8k' "
                         "AND metric='tokens_per_s' AND key='corpus' ORDER BY 1")
    assert corpus == [("tones", 8000.0), ("wide", 8000.0)]


def test_corpus_summaries_from_transcripts_for_ground_truth_and_variants(
        tmp_path: Path, tones: Path) -> None:
    """Corpus values that need the transcripts (like corpus WER) are computed from the manifest
    and the store for the ground-truth row and every variant, without keeping audio."""
    suite = make_suite(tmp_path, tones, [{"name": "mulaw8k", "family": "mulaw"}],
                       metrics=("toy_text_length",))
    run_suite(suite, progress=False, log=lambda _: None)
    corpus = rows(tmp_path / "store.sqlite",
                  "SELECT variant, value FROM corpus_results WHERE metric='toy_text_length' "
                  "AND key='total_chars' ORDER BY 1")
    # Six readable tones transcribed "a tone" (6 characters); the corrupt file has no row.
    assert corpus == [(GROUND_TRUTH, 36.0), ("mulaw8k", 36.0)]
