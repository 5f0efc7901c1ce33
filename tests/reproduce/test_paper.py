"""Paper-table YAML: the shipped tables parse with the numbers as printed; wrong keys and bad
cells are refused with a message naming them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bench.reproduce.paper import PAPERS_DIR, PaperError, load_paper, parse_paper

VARSTOK = PAPERS_DIR / "varstok_table1.yaml"


def _raw() -> dict:
    return yaml.safe_load(VARSTOK.read_text(encoding="utf-8"))


def test_varstok_table1_holds_the_printed_numbers() -> None:
    paper = load_paper(VARSTOK)
    assert paper.citation.arxiv == "2509.04685" and paper.citation.table == "1"
    assert (paper.dataset.corpus, paper.dataset.split) == ("LibriTTS", "test-clean")
    assert [c.key for c in paper.columns] == ["token_rate", "kbps", "utmos", "pesq", "stoi",
                                              "vuv_f1"]
    rows = {r.label: {k: p.text for k, p in r.published.items()} for r in paper.rows}
    assert rows["Ground truth"] == {"utmos": "4.1185"}
    assert rows["WavTokenizer 75 Hz"] == {"token_rate": "75.00", "kbps": "0.90",
                                          "utmos": "4.0247", "pesq": "2.4543",
                                          "stoi": "0.9188", "vuv_f1": "0.9339"}
    assert rows["WavTokenizer 40 Hz"]["pesq"] == "1.7075"
    assert rows["BigCodec 40 Hz"] == {"token_rate": "40.00", "kbps": "0.52", "utmos": "3.9802",
                                      "pesq": "1.8796", "stoi": "0.8653", "vuv_f1": "0.9133"}
    assert rows["VARSTok τ=0.8, S_max=4"]["utmos"] == "4.0000"
    assert rows["VARSTok τ=0.7, S_max=4"]["kbps"] == "0.43"
    assert rows["VARSTok τ=0.6, S_max=4"] == {"token_rate": "26.29", "kbps": "0.37",
                                              "utmos": "3.8304", "pesq": "1.5855",
                                              "stoi": "0.8411", "vuv_f1": "0.8985"}
    varstok = next(r for r in paper.rows if r.label.startswith("VARSTok τ=0.8"))
    assert varstok.variant["settings"]["clustering"] == "original"
    assert varstok.published["utmos"].decimals == 4
    assert varstok.published["token_rate"].decimals == 2


def test_declared_kbps_of_the_paper_follow_rate_times_bits() -> None:
    """kbps = rate x log2(vocab) with VARSTok 14, WavTokenizer 12, BigCodec 13 bits/token."""
    paper = load_paper(VARSTOK)
    for row in paper.rows:
        if row.precomputed is None:
            continue
        kbps = row.precomputed["token_rate"] * row.precomputed["bits_per_token"] / 1000
        assert round(kbps, 2) == row.published["kbps"].value, row.label


def test_vuv_f1_column_records_the_nan_rule_and_protocol() -> None:
    vuv = load_paper(VARSTOK).column("vuv_f1")
    assert vuv.aggregation == "mean_excluding_nan" and "NaN" in vuv.nan_rule
    assert vuv.sample_rate == 16000 and vuv.settings == {"capacity": "full"}
    assert load_paper(VARSTOK).column("token_rate").aggregation == "corpus"


def test_plutok_rate_claims_parse() -> None:
    paper = load_paper(PAPERS_DIR / "plutok_rates.yaml")
    assert paper.rows[0].published["token_rate"].text == "27"
    assert {c.language for c in paper.columns} >= {None, "en", "zh"}
    assert paper.column("side_bits").metric == "side_bits_per_s"


def test_a_shipped_name_is_found_without_a_path() -> None:
    assert load_paper("varstok_table1").name == "varstok_table1"


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r.update(colums=r.pop("columns")), "unknown key 'colums'"),
    (lambda r: r["columns"][3].update(agregation="mean"), "columns[3]: unknown key 'agregation'"),
    (lambda r: r["rows"][1].update(publised={}), "unknown key 'publised'"),
    (lambda r: r["rows"][1]["published"].update(pesqq="2.0"), "unknown column 'pesqq'"),
    (lambda r: r["rows"][1]["published"].update(pesq=2.4543), "quote the printed number"),
    (lambda r: r["rows"][1]["published"].update(pesq="2.4x"), "not a number"),
    (lambda r: r["columns"][0].update(aggregation="median"), "aggregation: one of"),
    (lambda r: r["columns"][0].pop("tolerance"), "tolerance: a number"),
    (lambda r: r["citation"].pop("arxiv"), "citation.arxiv: required"),
    (lambda r: r["rows"][1]["precomputed"].update(folderr="x"), "unknown key 'folderr'"),
    (lambda r: r["rows"][1].pop("precomputed") and r["rows"][1].pop("variant"),
     "give ground_truth: true, a variant, or a precomputed folder"),
    (lambda r: r["dataset"]["builders"].append({"kind": "zip"}), "kind must be"),
])
def test_wrong_keys_and_cells_are_refused_with_their_name(edit, message) -> None:
    raw = _raw()
    edit(raw)
    with pytest.raises(PaperError) as err:
        parse_paper(raw, source="t.yaml")
    assert message in str(err.value)


def test_every_problem_is_reported_at_once() -> None:
    raw = _raw()
    raw["bogus"] = 1
    raw["columns"][0]["tolerance"] = -1
    with pytest.raises(PaperError) as err:
        parse_paper(raw)
    assert "unknown key 'bogus'" in str(err.value) and "tolerance" in str(err.value)


def test_yaml_tags_are_not_executed(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("citation: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(PaperError, match="not valid YAML"):
        load_paper(path)
