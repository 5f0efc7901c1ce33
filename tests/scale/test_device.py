"""--device / --autocast plumbing and CUDA out-of-memory splitting, checked on CPU: a fake
tokenizer raising torch.cuda.OutOfMemoryError for large batches gives the results of an unsplit
run; autocast reaches the tokenizer's matmuls; a CUDA device this machine lacks is a one-line
usage error (exit 2); metric models follow the run device; provenance names the GPU."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scale_toys import (
    AutocastProbeTokenizer,
    OomAboveTokenizer,
    assert_same_rows,
    store_rows,
    tone_suite,
    write_tone_set,
)
from toys import MuLawTokenizer

from bench.cli import main
from bench.execution.codec import encode_decode
from bench.metrics.models import common
from bench.provenance import describe_device
from bench.runner import run_suite


@pytest.fixture(scope="module")
def tones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tone_set(tmp_path_factory.mktemp("dev") / "data", n=7)


def test_encode_decode_splits_on_out_of_memory() -> None:
    rng = np.random.default_rng(0)
    wavs = [rng.uniform(-0.5, 0.5, n).astype(np.float32) for n in (800, 1000, 1200, 1500, 1700)]
    OomAboveTokenizer.calls.clear()
    split = encode_decode(OomAboveTokenizer(max_batch=2), wavs, torch.device("cpu"))
    assert OomAboveTokenizer.calls == [5, 3, 2, 1, 2]  # 5 -> (3 -> 2 + 1) + 2
    whole = encode_decode(MuLawTokenizer(8000), wavs, torch.device("cpu"))
    singles = [encode_decode(MuLawTokenizer(8000), [w], torch.device("cpu"))[0] for w in wavs]
    for a, b, c in zip(split, whole, singles, strict=True):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[0], c[0])  # tokens exact
        assert np.allclose(a[3], b[3], rtol=0, atol=1e-7)  # reconstructions
    # one item that does not fit even alone is that item's error, the others still come back
    lone = encode_decode(OomAboveTokenizer(max_batch=0), wavs[:2], torch.device("cpu"))
    assert all(isinstance(x, torch.cuda.OutOfMemoryError) for x in lone)


def test_oom_run_equals_unsplit_run(tones: Path, tmp_path: Path) -> None:
    oom = tone_suite(tmp_path, tones, [{"name": "codec", "family": "mulaw_oom",
                                        "settings": {"max_batch": 1}}],
                     max_items=4, store="oom.sqlite")
    plain = tone_suite(tmp_path, tones, [{"name": "codec", "family": "mulaw"}], max_items=4,
                       store="plain.sqlite")
    singles = tone_suite(tmp_path, tones, [{"name": "codec", "family": "mulaw"}], max_items=1,
                         store="single.sqlite")
    for suite in (oom, plain, singles):
        summary = run_suite(suite, progress=False, log=lambda _: None)
        assert summary.utterances_failed == 0
    got, want_plain, want_single = (store_rows(tmp_path / f"{name}.sqlite")
                                    for name in ("oom", "plain", "single"))
    for rows in (got, want_plain, want_single):
        rows.pop("variants")  # the variants' settings differ (family, max_batch)
    assert_same_rows(got, want_single, exact=True)  # split to singles: bit-identical
    assert_same_rows(got, want_plain)  # vs the unsplit batches: tokens exact, floats 1e-9


@pytest.mark.parametrize(("mode", "dtype"), [("bf16", torch.bfloat16), ("off", None)])
def test_autocast_reaches_the_tokenizer(tones: Path, tmp_path: Path, mode: str,
                                        dtype: torch.dtype | None) -> None:
    suite = tone_suite(tmp_path, tones, [{"name": "probe", "family": "mulaw_autocast"}],
                       metrics=("toy_snr",), batch={"device": "cpu", "autocast": mode})
    AutocastProbeTokenizer.seen.clear()
    run_suite(suite, progress=False, log=lambda _: None)
    assert AutocastProbeTokenizer.seen
    for enabled, autocast_dtype, out_dtype in AutocastProbeTokenizer.seen:
        assert enabled == (dtype is not None)
        assert out_dtype == (dtype or torch.float32)
        if dtype is not None:
            assert autocast_dtype == dtype
    plain = tone_suite(tmp_path, tones, [{"name": "probe", "family": "mulaw_autocast"}],
                       metrics=("toy_snr",), batch={"device": "cpu"})
    assert (suite.config_hash() == plain.config_hash()) == (mode == "off")


def write_suite(tmp_path: Path, manifest: Path) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text("name: dev\n"
                    f"datasets: [{{name: tones, manifest: {manifest}}}]\n"
                    "variants: [{name: m, family: mulaw}]\nmetrics: [toy_snr]\n"
                    f"store: {tmp_path / 's.sqlite'}\nreport_dir: {tmp_path / 'r'}\n")
    return path


@pytest.mark.parametrize(("flags", "needle"), [
    (["--device", "cuda"], "torch sees no CUDA device"),
    (["--device", "cuda:1"], "torch sees no CUDA device"),
    (["--device", "tpu"], "use cpu, cuda or cuda:K"),
    (["--address", "auto"], "need --engine ray"),
    (["--engine", "ray", "--device", "cuda"], "use --device auto"),
    (["--engine", "ray", "--actors", "0"], "positive number of actors"),
    (["--shard", "1/1"], "need 0 <= i < N"),
    (["--shard", "x"], "expected i/N"),
])
def test_cli_usage_errors_exit_2_with_one_line(tmp_path: Path, tones: Path, monkeypatch,
                                               capsys, flags: list[str], needle: str) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(write_suite(tmp_path, tones)), *flags])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err, err
    assert not (tmp_path / "s.sqlite").exists()


def test_cli_device_and_autocast_reach_the_run(tmp_path: Path, tones: Path) -> None:
    assert main(["run", str(write_suite(tmp_path, tones)), "--device", "cpu", "--autocast",
                 "bf16", "--no-report", "--no-progress"]) == 0
    import json
    import sqlite3

    (config, device), = sqlite3.connect(tmp_path / "s.sqlite").execute(
        "SELECT config_json, device FROM runs").fetchall()
    assert json.loads(config)["batch"]["device"] == "cpu"
    assert json.loads(config)["batch"]["autocast"] == "bf16"
    assert device.startswith("cpu:")


def test_metric_models_follow_the_run_device(monkeypatch) -> None:
    monkeypatch.setattr(common, "_RUN_DEVICE", None)
    common.set_run_device(torch.device("cuda:1"))
    assert common.pick_device() == torch.device("cuda:1")
    assert common.pick_device("cpu") == torch.device("cpu")  # an explicit setting wins
    ort = pytest.importorskip("onnxruntime")
    assert common.onnx_providers(torch.device("cpu")) == ["CPUExecutionProvider"]
    monkeypatch.setattr(ort, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert common.onnx_providers(torch.device("cuda:1")) == [
        ("CUDAExecutionProvider", {"device_id": 1}), "CPUExecutionProvider"]


def test_provenance_names_the_gpu(monkeypatch) -> None:
    props = SimpleNamespace(name="NVIDIA H200", total_memory=141 * 2**30, major=9, minor=0)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: props)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    text = describe_device(torch.device("cuda", 0))
    assert text.startswith("cuda:0 NVIDIA H200 (141 GiB, compute 9.0, CUDA ")
