"""Checkpoint resolution without downloads: clear "put the files here" errors naming the repo
and files, cheap availability checks, and settings refused with the allowed values."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from bench.weights import WeightsNotFound
from field_codecs.conftest import CASES
from tokenizers_impl.codec_common.weights import TINY_MARKER

DEFAULT_REPOS = {"encodec": "facebook/encodec_24khz", "dac": "descript/dac_16khz",
                 "mimi": "kyutai/mimi", "snac": "hubertsiuzdak/snac_24khz",
                 "xcodec": "hf-audio/xcodec-hubert-librispeech",
                 "xcodec2": "HKUSTAudio/xcodec2-hf", "neucodec": "neuphonic/neucodec"}


@pytest.fixture
def offline_empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    import huggingface_hub.constants

    # huggingface_hub reads its cache path once at import: point the live value at tmp
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("TOKBENCH_CACHE_DIR", str(tmp_path / "tokbench"))
    monkeypatch.delenv("TOKBENCH_WEIGHTS_DIR", raising=False)
    return tmp_path


@pytest.mark.parametrize("family", sorted(CASES))
def test_missing_default_weights_name_the_repo_and_files(family: str,
                                                         offline_empty_cache: Path) -> None:
    module = importlib.import_module(f"tokenizers_impl.{family}.adapter")
    reason = module.build.availability()
    assert reason is not None and DEFAULT_REPOS[family] in reason and "config.json" in reason
    assert "HF_HUB_OFFLINE=1" in reason and "TOKBENCH_WEIGHTS_" in reason
    with pytest.raises(WeightsNotFound, match=r"config\.json"):
        module.build()
    assert module.build.availability("tiny") is None


def test_incomplete_local_folder_says_what_is_missing(tmp_path: Path) -> None:
    from tokenizers_impl.encodec.adapter import build

    (tmp_path / "config.json").write_text("{}")
    reason = build.availability(str(tmp_path))
    assert reason is not None and "model.safetensors or pytorch_model.bin" in reason
    with pytest.raises(WeightsNotFound, match=r"lacks model\.safetensors"):
        build(checkpoint=str(tmp_path))


def test_tiny_checkpoint_is_cached_and_labelled_untrained(offline_empty_cache: Path) -> None:
    from tokenizers_impl.snac.adapter import build

    tok = build(checkpoint="tiny")
    assert tok.info.trained is False and "untrained" in tok.info.notes
    folders = list((offline_empty_cache / "tokbench" / "tiny").glob("snac-*"))
    assert len(folders) == 1 and (folders[0] / TINY_MARKER).is_file()
    assert build(checkpoint="tiny").info.checkpoint == tok.info.checkpoint


def test_a_hub_cache_folder_is_found_offline(offline_empty_cache: Path, tiny_folder) -> None:
    """A snapshot in the HF cache layout resolves with HF_HUB_OFFLINE=1 (no network)."""
    import shutil

    repo = offline_empty_cache / "hub" / "models--hubertsiuzdak--snac_24khz"
    snapshot = repo / "snapshots" / ("0" * 40)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    shutil.copytree(tiny_folder("snac"), snapshot)
    from tokenizers_impl.snac.adapter import build

    assert build.availability() is None
    assert build().info.trained is False  # the copied folder still carries the tiny marker


def test_settings_are_checked_with_the_allowed_values(build_tiny, tiny_folder) -> None:
    from tokenizers_impl.encodec.adapter import build as encodec
    from tokenizers_impl.xcodec.adapter import build as xcodec

    with pytest.raises(ValueError, match=r"1.5, 3.0, 6.0, 12.0, 24.0"):
        encodec(checkpoint=str(tiny_folder("encodec")), bandwidth=5)
    with pytest.raises(ValueError, match=r"choose one of \[1, 2, 3, 4, 8\]"):
        xcodec(checkpoint=str(tiny_folder("xcodec")), n_quantizers=5)
    with pytest.raises(TypeError, match="unknown dac settings"):
        importlib.import_module("tokenizers_impl.dac.adapter").build(checkpoint="x", bogus=1)


def test_resampling_in_and_out(build_tiny) -> None:
    """A suite-chosen sample_rate: 16 kHz in and out of the 24 kHz EnCodec, rates unchanged."""
    import torch

    tok = build_tiny("encodec", bandwidth=1.5, sample_rate=16000)
    assert tok.sample_rate == 16000 and tok.native_sample_rate == 24000
    batch = tok.encode(torch.zeros(1, 16000), torch.tensor([16000]))
    assert batch.item_token_count(0) == 150
    audio, lengths = tok.decode(batch)
    assert int(lengths[0]) == 16000 and audio.shape == (1, 16000)
