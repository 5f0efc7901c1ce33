"""Official key layout, checkpoint formats and file resolution (local, folder, hub id)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from tokenizers_impl.varstok.checkpoint import CheckpointNotFoundError, resolve_file
from tokenizers_impl.varstok.model import VARSTok


def test_full_size_model_has_official_keys_and_shapes(varstok_golden: Path) -> None:
    expected = json.loads((varstok_golden / "full_config_state_dict.json").read_text())
    with torch.device("meta"):
        model = VARSTok.from_hparams(varstok_golden / "official_config.yaml")
    state = model.state_dict()
    assert set(state) == set(expected)
    for key, info in expected.items():
        assert list(state[key].shape) == info["shape"], key
    assert len(state) == 289
    assert sum(v.numel() for v in state.values()) == sum(
        math.prod(i["shape"]) for i in expected.values())


def _golden_state(varstok_golden: Path) -> dict:
    return torch.load(varstok_golden / "model.ckpt", map_location="cpu", weights_only=True)


def test_fp32_checkpoint_without_decoder_loads(varstok_golden: Path, tmp_path: Path,
                                               golden_model: VARSTok) -> None:
    ckpt = _golden_state(varstok_golden)
    state = {k: v.float() for k, v in ckpt["state_dict"].items()
             if not k.startswith("feature_extractor.encodec.decoder.")}
    torch.save({"state_dict": state}, tmp_path / "model.ckpt")
    model = VARSTok.from_pretrained(varstok_golden / "config.yaml", tmp_path)
    assert model.feature_extractor.encodec.decoder is None
    assert golden_model.feature_extractor.encodec.decoder is not None
    wav = torch.sin(torch.arange(9600) / 7.0)[None] * 0.3
    torch.testing.assert_close(model.encode_infer(wav, 0)[1], golden_model.encode_infer(wav, 0)[1])


def test_missing_weights_are_an_error(varstok_golden: Path, tmp_path: Path) -> None:
    ckpt = _golden_state(varstok_golden)
    state = dict(ckpt["state_dict"])
    state.pop("backbone.embed.weight")
    torch.save({"state_dict": state}, tmp_path / "model.ckpt")
    with pytest.raises(RuntimeError, match=r"backbone\.embed\.weight"):
        VARSTok.from_pretrained(varstok_golden / "config.yaml", tmp_path / "model.ckpt")


def test_missing_checkpoint_message_says_what_to_put_where(tmp_path: Path) -> None:
    with pytest.raises(CheckpointNotFoundError, match=r"model\.ckpt"):
        resolve_file(tmp_path, "model.ckpt", "checkpoint")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        resolve_file(tmp_path / "nope.ckpt", "model.ckpt", "checkpoint")


def test_hub_id_offline_uses_cache_and_explains(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(CheckpointNotFoundError, match="huggingface-cli download novateur/x"):
        resolve_file("novateur/x:model.ckpt", "model.ckpt", "checkpoint", cache_dir=str(tmp_path))
    # a file already in the hub cache layout resolves offline
    snapshot = tmp_path / "models--owner--repo" / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "model.ckpt").write_bytes(b"x")
    (tmp_path / "models--owner--repo" / "refs").mkdir()
    (tmp_path / "models--owner--repo" / "refs" / "main").write_text("0" * 40)
    found = resolve_file("owner/repo", "model.ckpt", "checkpoint", cache_dir=str(tmp_path))
    assert found.read_bytes() == b"x"


def test_folder_resolution(varstok_golden: Path) -> None:
    assert resolve_file(varstok_golden, "model.ckpt", "checkpoint") == varstok_golden / "model.ckpt"
