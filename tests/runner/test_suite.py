"""Suite YAML parsing: valid files load, every problem of an invalid file is reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.suite import SuiteError, load_suite, parse_suite

VALID = """
name: ablation
seed: 3
datasets:
  - {name: tones, manifest: data/manifest.jsonl, limit: 2}
  - {name: synth, synth: {languages: [en], per_language: 1}}
  - {name: mine, builder: {kind: folder, audio_dir: wavs}}
variants:
  - {name: v-orig, family: varstok, settings: {clustering: original, threshold: 0.7}}
  - {name: v-fixed, family: varstok, settings: {clustering: fixed, threshold: 0.7}}
metrics: [pesq_wb, {id: wer, settings: {model: tiny.en}}]
batch: {max_items: 4, workers: 0}
"""


def test_valid_suite_loads_with_paths_relative_to_the_yaml(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(VALID)
    suite = load_suite(path)
    assert suite.name == "ablation" and suite.seed == 3
    assert [v.name for v in suite.variants] == ["v-orig", "v-fixed"]
    assert suite.variants[1].settings == {"clustering": "fixed", "threshold": 0.7}
    assert suite.metrics[1].id == "wer" and suite.metrics[1].settings == {"model": "tiny.en"}
    assert suite.batch.max_items == 4 and suite.batch.workers == 0
    assert suite.datasets[0].limit == 2
    assert suite.resolve(suite.datasets[0].manifest) == tmp_path / "data" / "manifest.jsonl"


def test_config_hash_ignores_outputs_but_not_settings(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(VALID)
    base = load_suite(path)
    moved = load_suite(path, overrides={"store": "elsewhere.sqlite", "report_dir": "r2"})
    assert moved.config_hash() == base.config_hash()
    changed = load_suite(path, overrides={"seed": 4})
    assert changed.config_hash() != base.config_hash()


def test_every_problem_is_listed() -> None:
    raw = {
        "name": "bad",
        "datasets": [{"name": "a", "manifest": "x.jsonl", "synth": {}}, {"manifest": "y"}],
        "variants": [{"name": "v", "family": "varstok"}, {"name": "v", "family": "varstok"},
                     {"name": "w"}],
        "metrics": [],
        "batch": {"workers": -1, "bogus": 1},
        "colour": "blue",
    }
    with pytest.raises(SuiteError) as err:
        parse_suite(raw)
    text = str(err.value)
    for expected in ("unknown top-level key 'colour'", "exactly one of manifest, synth, builder",
                     "datasets[1]: needs a 'name'", "duplicate name 'v'",
                     "variants[2]: needs a 'family'", "metrics: must be a non-empty list",
                     "batch.workers: invalid value -1", "batch: unknown keys ['bogus']"):
        assert expected in text, expected


def test_missing_file_and_packaged_demo() -> None:
    with pytest.raises(SuiteError, match="not found"):
        load_suite("no/such/suite.yaml")
    demo = load_suite("demo")
    assert demo.name == "demo"
    assert {v.family for v in demo.variants} == {"varstok", "wavtokenizer", "plutok"}
    assert demo.datasets[0].synth is not None


def test_packaged_ablation_suite_declares_the_variants() -> None:
    suite = load_suite("varstok_ablation")
    grid = {(v.settings["clustering"], v.settings["threshold"]) for v in suite.variants}
    assert {(c, t) for c in ("original", "fixed") for t in (0.6, 0.7, 0.8)} <= grid
    assert any("checkpoint" in v.settings for v in suite.variants)
