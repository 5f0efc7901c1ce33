"""The HTML page's parts: best value marked per directed column, no arrow for descriptive
metrics, small values keep their digits, corpus tables split by concern with integer counts and
no duplicated columns, per-language n, plug-in sections, and settings printed as used."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from toys import write_tone_set

from bench.data.manifest import Utterance, read_manifest, write_manifest
from bench.report.breakdown import (
    concern_of,
    corpus_tables,
    coverage_notes,
    language_table,
    manifest_info,
)
from bench.report.build import write_report
from bench.report.page import ExtraSection, headline_tables
from bench.report.sections import SECTION_PROVIDERS, register_section_provider
from bench.report.tables import arrow, corpus_table, format_value, load_run, summary_table
from bench.runner import run_suite
from bench.store import Store
from bench.suite import parse_suite


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    tmp = tmp_path_factory.mktemp("page")
    manifest = write_tone_set(tmp / "data", n=4)
    # two languages, so the per-language table and the coverage note have something to show
    utts = [Utterance(**{**u.__dict__, "language": "en" if i % 2 else "fr",
                         "speaker": f"s{i % 2}"})
            for i, u in enumerate(read_manifest(manifest))]
    write_manifest(manifest, utts)
    suite = parse_suite({
        "name": "page",
        "datasets": [{"name": "tones", "manifest": str(manifest)}],
        "variants": [{"name": "mulaw8k", "family": "mulaw"},
                     {"name": "spans", "family": "mulaw_spans"}],
        "metrics": ["toy_snr", "toy_rms", "tokens_per_s", "mean_span", "codebook_usage"],
        "batch": {"workers": 0, "max_items": 4},
        "store": str(tmp / "store.sqlite"),
    }, base_dir=tmp)
    summary = run_suite(suite, progress=False, log=lambda _: None)
    return tmp, summary.run_id


def test_headline_marks_the_best_variant_and_only_directed_arrows(run: tuple[Path, int]) -> None:
    tmp, run_id = run
    with Store(tmp / "store.sqlite") as store:
        data = load_run(store, run_id)
    summary = summary_table(data, "tones")
    quality, rates = headline_tables(summary, data, "tones")
    snr = quality.headers.index("toy_snr ↑")
    best = [row[0].text for row in quality.rows if row[snr].best]
    means = summary.set_index("variant")["toy_snr_mean"]
    assert best == [means.drop("ground truth").idxmax()] == ["mulaw8k"]
    assert "mean_span" in rates.headers  # descriptive: listed without an arrow, never marked
    span = rates.headers.index("mean_span")
    assert not any(row[span].best for row in rates.rows)
    assert arrow(data.metric_info("mean_span")) == ""
    assert arrow(data.metric_info("codebook_usage")) == " ↑"


def test_small_values_keep_significant_digits() -> None:
    assert format_value(0.00734) == "0.00734"
    assert format_value(0.5) == "0.500"
    assert format_value(0.0011, like=0.0073) == "0.00110"
    assert format_value(float("nan")) == "—"


def test_corpus_tables_split_by_concern(run: tuple[Path, int]) -> None:
    tmp, run_id = run
    with Store(tmp / "store.sqlite") as store:
        data = load_run(store, run_id)
    wide = corpus_table(data, "tones")
    assert "tokens_per_s" in wide  # the metric's own corpus value duplicates the store's rate
    tables = dict(corpus_tables(wide, data))
    rate = tables["Corpus level, rate (totals over utterances, not means)"]
    assert "tokens_per_s" not in rate and "corpus_tokens_per_s" in rate
    assert rate["utterances"].tolist() == ["4", "4"]  # counts as integers
    assert rate["codebook_usage.used_codes"].str.fullmatch(r"\d+").all()
    assert "ground truth" not in rate["variant"].tolist()  # no empty ground-truth row
    # the toy quality metrics store no corpus summaries: no empty quality table either
    assert list(tables) == ["Corpus level, rate (totals over utterances, not means)"]
    assert concern_of("wer", data) == "intelligibility"
    assert concern_of("spk_sim_resemblyzer", data) == "speaker"
    assert concern_of("pesq_wb", data) == "quality"
    for table in tables.values():
        assert len(set(table.columns)) == len(table.columns)


def test_per_language_table_and_coverage(run: tuple[Path, int]) -> None:
    tmp, run_id = run
    with Store(tmp / "store.sqlite") as store:
        data = load_run(store, run_id)
    languages = {u: lang for u, (lang, _) in manifest_info(data, "tones").items()}
    assert sorted(set(languages.values())) == ["en", "fr"]
    table = language_table(data, "tones", languages)
    row = table[(table["metric"] == "toy_snr") & (table["variant"] == "mulaw8k")].iloc[0]
    assert row["en"].endswith("(n=2/2)") and row["fr"].endswith("(n=2/2)")
    # a metric missing on a whole language is called out with n per language and the reason
    res = data.results
    mask = (res["metric"] == "toy_snr") & res["utterance"].map(languages).eq("fr")
    data.results = res.assign(value=res["value"].mask(mask),
                              reason=res["reason"].mask(mask, "English-only model"))
    notes = coverage_notes(data, "tones", languages)
    assert len(notes) == 1 and "toy_snr" in notes[0]
    assert "per language: en 2/2, fr 0/2)" in notes[0]  # per utterance, same for both variants
    assert "English-only model" in notes[0]


def test_plugin_sections_and_provenance(run: tuple[Path, int]) -> None:
    tmp, run_id = run

    def provider(store: Store, rid: int, data, out: Path) -> list[ExtraSection]:
        return [ExtraSection("Variant comparison", "<p id='cmp'>paired deltas here</p>", "cmp")]

    def broken(store: Store, rid: int, data, out: Path) -> list[ExtraSection]:
        raise RuntimeError("compare failed")

    register_section_provider(provider)
    register_section_provider(broken)
    try:
        with Store(tmp / "store.sqlite") as store:
            files = write_report(store, run_id, out_dir=tmp / "out",
                                 extra_sections=[ExtraSection("Reproduce", "<p>cells</p>")])
    finally:
        SECTION_PROVIDERS.remove(provider)
        SECTION_PROVIDERS.remove(broken)
    html = files.index_html.read_text()
    assert "<p id='cmp'>paired deltas here</p>" in html and "<h2>Reproduce</h2>" in html
    assert "compare failed" in html  # a broken plug-in says why, the report still builds
    assert "config hash" in html and 'id="provenance"' in html
    assert "Per language" in html


def test_crepe_metrics_print_the_capacity_they_use() -> None:
    pytest.importorskip("torchcrepe")
    from bench.metrics.pitch_rmse import PitchRmse

    metric = PitchRmse(capacity="tiny")
    assert "tiny" in metric.info.model and "full" not in metric.info.model
    assert metric.info.protocol.startswith("torchcrepe tiny")
    assert "full" in PitchRmse.info.model  # the class default is untouched


def test_english_only_asr_says_so() -> None:
    from bench.metrics.wer import WordErrorRate

    assert "English-only" in WordErrorRate.info.notes
    metric = WordErrorRate(model="tiny.en")
    assert "English-only" in metric.info.notes and "per language" in metric.info.notes
    assert WordErrorRate(model="large-v3", backend="openai-whisper").info.notes == ""


def test_manifest_info_survives_a_missing_manifest(run: tuple[Path, int]) -> None:
    tmp, run_id = run
    with Store(tmp / "store.sqlite") as store:
        data = load_run(store, run_id)
    data.datasets = [{**d, "manifest": str(tmp / "nowhere.jsonl")} for d in data.datasets]
    assert manifest_info(data, "tones") == {}
    assert isinstance(language_table(data, "tones", {}), pd.DataFrame)
