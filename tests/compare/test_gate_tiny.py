"""The project's own regression gate: the shipped tiny VARSTok and WavTokenizer on the gate_tiny
suite against bench/baselines/gate_tiny.json (committed), plus the gate's known answers:
same checkpoint → 0, decoder weights perturbed → 1 naming the metrics, other dataset → 2."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from bench.cli import main
from bench.runner import run_suite
from bench.suite import SUITES_DIR, MetricSpec, VariantSpec, load_suite

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "bench" / "baselines" / "gate_tiny.json"
TINY = ROOT / "tokenizers_impl" / "varstok" / "pretrained" / "varstok_tiny"


def _run(tmp: Path, name: str, **changes) -> Path:
    """Run the gate_tiny suite (optionally changed) into store ``name``; returns the store."""
    store = tmp / f"{name}.sqlite"
    suite = load_suite(SUITES_DIR / "gate_tiny.yaml",
                       overrides={"store": str(store), "cache_dir": str(tmp / "cache")})
    run_suite(replace(suite, **changes), progress=False)
    return store


def perturbed_checkpoint(folder: Path, scale: float = 0.3) -> Path:
    """The tiny VARSTok with seeded Gaussian noise (scale × each tensor's std) on the decoder
    (backbone and head); encoder and codebook untouched, so the tokens stay the same."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(TINY / "config.yaml", folder / "config.yaml")
    ckpt = torch.load(TINY / "model.ckpt", weights_only=True, map_location="cpu")
    gen = torch.Generator().manual_seed(0)
    for key, value in ckpt["state_dict"].items():
        if key.startswith(("backbone.", "head.")) and value.is_floating_point() and \
                value.numel() > 1:
            value.add_(torch.randn(value.shape, generator=gen) * scale * value.std())
    torch.save(ckpt, folder / "model.ckpt")
    return folder


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gate_tiny")


@pytest.fixture(scope="module")
def shipped_store(work: Path) -> Path:
    return _run(work, "shipped")


def test_shipped_tiny_models_pass_the_committed_baseline(shipped_store: Path, work: Path) -> None:
    """The CI gate: a change that degrades the shipped tiny models fails here."""
    junit, md = work / "junit.xml", work / "summary.md"
    code = main(["gate", "1", "--store", str(shipped_store), "--baseline", str(BASELINE),
                 "--junit", str(junit), "--md", str(md)])
    assert code == 0, md.read_text()
    xml = junit.read_text()
    assert xml.count("<testcase") == 13 and 'failures="0"' in xml  # 7 + 6 (no spans: wavtok)
    assert "no regression" in md.read_text()


def test_perturbed_decoder_regresses(work: Path, shipped_store: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = perturbed_checkpoint(work / "perturbed")
    store = _run(work, "shipped", variants=(VariantSpec(  # run 2 of the shipped store
        name="varstok-fixed", family="varstok",
        settings={"clustering": "fixed", "config": str(ckpt / "config.yaml"),
                  "checkpoint": str(ckpt / "model.ckpt")}),))
    capsys.readouterr()
    code = main(["gate", "2", "--store", str(store), "--baseline", str(BASELINE),
                 "--variant", "varstok-fixed"])
    out = capsys.readouterr().out
    assert code == 1, out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("gate: FAIL, regressed:")
    assert "varstok-fixed/mel_l1" in summary  # 1.38 → 2.68 on the shipped data
    assert "varstok-fixed/bits_per_s" not in summary  # encoder untouched: same tokens
    assert "checkpoint_sha256" in out  # the fingerprint change is reported
    # the same variant in two runs: run 1 (shipped) against run 2 (perturbed)
    assert main(["compare", "1", "2", "--variant", "varstok-fixed", "--store", str(store),
                 "--draws", "2000"]) == 0
    table = capsys.readouterr().out
    assert any(line.startswith("mel_l1 ↓") and line.rstrip().endswith("worse")
               for line in table.splitlines()), table


def test_baseline_from_another_dataset_is_refused(work: Path, shipped_store: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    suite = load_suite(SUITES_DIR / "gate_tiny.yaml")
    other = _run(work, "other", datasets=(replace(
        suite.datasets[0], synth={"languages": ["de"], "per_language": 2,
                                  "sample_rate": 24000, "seed": 0}),),
        variants=suite.variants[:1], metrics=(MetricSpec(id="stoi"),))
    baseline = work / "other_baseline.json"
    assert main(["baseline", "save", "gate_tiny", "--store", str(other), "--out",
                 str(baseline)]) == 0
    capsys.readouterr()
    code = main(["gate", "1", "--store", str(shipped_store), "--baseline",
                 str(baseline)])
    out = capsys.readouterr().out
    assert code == 2
    assert "dataset differs" in out and "not comparable" in out
    assert main(["gate", "1", "--store", str(shipped_store), "--baseline",
                 str(baseline), "--allow-mismatch"]) in (0, 1)
    assert "--allow-mismatch" in capsys.readouterr().out
    # --update-baseline replaces it after an intended change; the next gate passes
    assert main(["gate", "1", "--store", str(shipped_store), "--baseline",
                 str(baseline), "--update-baseline"]) == 0
    assert main(["gate", "1", "--store", str(shipped_store), "--baseline",
                 str(baseline)]) == 0


def test_gate_usage_errors_exit_2(shipped_store: Path, tmp_path: Path) -> None:
    assert main(["gate", "1", "--store", str(shipped_store), "--baseline",
                 str(tmp_path / "none.json")]) == 2
    assert main(["gate", "1", "--store", str(shipped_store), "--baseline",
                 str(BASELINE), "--variant", "nope"]) == 2
    assert main(["gate", "no-such-run", "--store", str(shipped_store), "--baseline",
                 str(BASELINE)]) == 2


def test_compare_two_variants_of_a_run_by_language(shipped_store: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "c.json"
    assert main(["compare", "1", "varstok-fixed", "wavtokenizer", "--store",
                 str(shipped_store), "--by", "language", "--json", str(out_json),
                 "--draws", "2000"]) == 0
    printed = capsys.readouterr().out
    assert "[en]" in printed and "[fr]" in printed
    assert "tokens_per_s: corpus value = total tokens / total seconds" in printed
    import json

    rows = json.loads(out_json.read_text())["rows"]
    tps = [r for r in rows if r["metric"] == "tokens_per_s"]
    assert {r["group"] for r in tps} == {"en", "fr"} and all(r["verdict"] is None for r in tps)
    assert all(r["delta"] > 40 for r in tps)  # 75 Hz fixed rate vs ~23 tokens/s
