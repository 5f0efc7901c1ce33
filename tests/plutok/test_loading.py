"""Loading: strict key/shape checks with a readable report, fp16→fp32 casting, weights_only,
and the module tree at real size against the official key/shape lists (meta device)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from bench.trust import UntrustedFileError
from tokenizers_impl.plutok.checkpoint import CheckpointMismatchError, module_shapes
from tokenizers_impl.plutok.converter import ConverterConfig, ToneColorConverter
from tokenizers_impl.plutok.tokenizer import load_converter, load_vqvae
from tokenizers_impl.plutok.vqvae import VQVAE


def test_full_size_converter_tree_matches_official_keys(plutok_golden):
    ref = json.loads((plutok_golden / "full_size_converter_state_dict.json").read_text())
    with torch.device("meta"):
        model = ToneColorConverter(ConverterConfig.from_dict(ref["config"]))
    shapes = module_shapes(model)
    assert len(shapes) == ref["num_keys"] == 486
    assert shapes == {k: tuple(v["shape"]) for k, v in ref["keys"].items()}
    assert sum(p.numel() for p in model.state_dict().values()) == ref["num_elements"]


def test_full_size_vqvae_tree_matches_official_keys(plutok_golden):
    ref = json.loads((plutok_golden / "full_size_vqvae_state_dict.json").read_text())
    with torch.device("meta"):
        model = VQVAE(h_dim=ref["h_dim"], num_codes=ref["n_embeddings"])
    assert module_shapes(model) == {k: tuple(v["shape"]) for k, v in ref["keys"].items()}
    assert sum(p.numel() for p in model.state_dict().values()) == ref["num_elements"]


def test_golden_checkpoints_are_fp16_and_load_as_fp32(plutok_golden):
    raw = torch.load(plutok_golden / "converter" / "checkpoint.pth", weights_only=True)
    assert raw["model"]["dec.conv_pre.weight"].dtype == torch.float16
    model = load_converter(plutok_golden)
    assert model.dec.conv_pre.weight.dtype == torch.float32
    torch.testing.assert_close(model.dec.conv_pre.weight,
                               raw["model"]["dec.conv_pre.weight"].float(), rtol=0, atol=0)
    vq = load_vqvae(plutok_golden / "vqvae" / "model.pth")
    assert vq.h_dim == 64 and vq.num_codes == 200


def _copy_converter(src: Path, dst: Path, edit) -> Path:
    (dst / "converter").mkdir(parents=True)
    shutil.copy(src / "converter" / "config.json", dst / "converter" / "config.json")
    raw = torch.load(src / "converter" / "checkpoint.pth", weights_only=True)
    edit(raw["model"])
    torch.save(raw, dst / "converter" / "checkpoint.pth")
    return dst


def test_missing_and_unexpected_keys_are_reported(plutok_golden, tmp_path):
    def edit(sd):
        sd.pop("flow.flows.0.post.bias")
        sd["extra.weight"] = torch.zeros(1)

    root = _copy_converter(plutok_golden, tmp_path, edit)
    with pytest.raises(CheckpointMismatchError) as err:
        load_converter(root)
    msg = str(err.value)
    assert "missing (1): flow.flows.0.post.bias" in msg
    assert "unexpected (1): extra.weight" in msg


def test_shape_mismatch_is_reported(plutok_golden, tmp_path):
    def edit(sd):
        sd["dec.conv_pre.bias"] = torch.zeros(3)

    root = _copy_converter(plutok_golden, tmp_path, edit)
    with pytest.raises(CheckpointMismatchError, match=r"dec\.conv_pre\.bias: checkpoint"):
        load_converter(root)


def test_pickled_objects_are_refused_by_default(tmp_path):
    import argparse

    path = tmp_path / "model.pth"
    torch.save({"encoder.0.conv.weight": argparse.Namespace(x=1)}, path)
    with pytest.raises(UntrustedFileError, match=r"--trust-remote-checkpoints") as err:
        load_vqvae(path)
    assert str(path) in str(err.value) and "weights_only" not in str(err.value)


def test_missing_files_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"config\.json"):
        load_converter(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"model\.pth"):
        load_vqvae(tmp_path / "model.pth")


def test_tts_config_is_rejected(plutok_golden):
    raw = json.loads((plutok_golden / "converter" / "config.json").read_text())
    raw["data"]["n_speakers"] = 10
    with pytest.raises(ValueError, match="n_speakers"):
        ConverterConfig.from_dict(raw)


def test_fp32_checkpoints_load_to_the_same_model(plutok_golden, tmp_path):
    state = torch.load(plutok_golden / "vqvae" / "model.pth", weights_only=True)
    torch.save({k: v.float() for k, v in state.items()}, tmp_path / "model.pth")
    a = load_vqvae(plutok_golden / "vqvae" / "model.pth")
    b = load_vqvae(tmp_path / "model.pth")
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb)
