"""The codecs suite end to end on tiny models: every family runs through the real runner, its
corpus rates come out of the emitted tokens, and the report draws the family Pareto plot with
the untrained points marked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.report.build import write_report
from bench.runner import run_suite
from bench.store import Store
from bench.suite import SUITES_DIR, load_suite

# bits per token of each family's tiny (= released) codebooks
BITS_PER_TOKEN = {"encodec": 10, "dac": 10, "mimi": 11, "snac": 12, "xcodec": 10,
                  "xcodec2": 16, "neucodec": 16}


def test_real_and_tiny_suites_declare_the_same_comparison() -> None:
    real = yaml.safe_load((SUITES_DIR / "codecs.yaml").read_text())["variants"]
    tiny = yaml.safe_load((SUITES_DIR / "codecs_tiny.yaml").read_text())["variants"]
    assert [v["name"] for v in real] == [v["name"] for v in tiny]
    for r, t in zip(real, tiny, strict=True):
        settings = dict(t.get("settings") or {})
        if t["family"] in BITS_PER_TOKEN:
            assert settings.pop("checkpoint") == "tiny"
        assert settings == (r.get("settings") or {})
    assert set(BITS_PER_TOKEN) <= {v["family"] for v in real}
    assert {"varstok", "wavtokenizer", "plutok"} <= {v["family"] for v in real}


def test_codecs_suite_runs_end_to_end_on_tiny_models(tmp_path: Path, tiny_cache: Path) -> None:
    seen: set[str] = set()
    variants = []  # one variant per family keeps the test short; the YAML has the full sweep
    for v in yaml.safe_load((SUITES_DIR / "codecs_tiny.yaml").read_text())["variants"]:
        if v["family"] not in seen:
            seen.add(v["family"])
            variants.append(v)
    suite = load_suite("codecs_tiny", overrides={
        "variants": variants, "store": str(tmp_path / "codecs.sqlite"),
        "cache_dir": str(tmp_path / "cache"),
        "metrics": ["tokens_per_s", "bits_per_s", "codebook_usage", "stoi", "mel_l1"]})
    summary = run_suite(suite, progress=False, log=lambda _: None)
    assert summary.skipped_variants == {} and summary.utterances_failed == 0
    store = Store(tmp_path / "codecs.sqlite")
    try:
        corpus = {(r["variant"], r["metric"], r["key"]): r["value"]
                  for r in store.table("corpus_results", summary.run_id)}
        families = {r["variant"]: r for r in store.table("variants", summary.run_id)}
        for name, row in families.items():
            tokens = corpus[(name, "tokens_per_s", "corpus")]
            bits = corpus[(name, "bits_per_s", "corpus")]
            if row["family"] in BITS_PER_TOKEN:
                assert row["trained"] == 0  # tiny random weights are labelled
                assert bits == pytest.approx(BITS_PER_TOKEN[row["family"]] * tokens)
        # EnCodec 1.5 kbps: 2 × 75 Hz (whole frames: at most one extra frame per utterance)
        assert 150.0 <= corpus[("encodec-1.5kbps", "tokens_per_s", "corpus")] < 153.0
        assert 100.0 <= corpus[("mimi-1.1kbps", "tokens_per_s", "corpus")] < 110.0
        # per-codebook usage, read back from the stored (flattened [K, L]) token streams
        assert 0.0 < corpus[("encodec-1.5kbps", "codebook_usage", "usage_rvq1")] <= 1.0
        assert 0.0 < corpus[("snac-0.98kbps", "codebook_usage", "usage_scale2")] <= 1.0
        files = write_report(store, summary.run_id, tmp_path / "report")
    finally:
        store.close()
    assert (files.out_dir / "plots" / "synth_families.png").is_file()
    assert "untrained" in files.summary_md.read_text()
