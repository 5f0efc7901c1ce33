"""Configurable widths (tiny model) and the differentiable training forward."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from tokenizers_impl.varstok.model import VARSTok


@pytest.fixture()
def tiny_config(varstok_golden: Path, tmp_path: Path) -> Path:
    config = yaml.safe_load((varstok_golden / "config.yaml").read_text())
    init = config["model"]["init_args"]
    init["feature_extractor"]["init_args"].update(
        n_filters=4, dimension=32, lstm_layers=1, seanet_decoder=False, vq_kmeans=3)
    init["backbone"]["init_args"].update(input_channels=32, dim=32, intermediate_dim=64,
                                         num_layers=1)
    init["head"]["init_args"]["dim"] = 32
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_tiny_config_builds_small_model(tiny_config: Path) -> None:
    model = VARSTok.from_hparams(tiny_config)
    assert model.feature_extractor.encodec.decoder is None
    state = model.state_dict()
    assert not any(".decoder." in k for k in state)
    assert state["feature_extractor.encodec.quantizer.vq.layers.0._codebook.embed"].shape == (
        4096, 32)
    size_mb = sum(v.numel() * 4 for v in state.values()) / 2**20
    assert size_mb < 25, size_mb


def test_training_forward_updates_codebook_and_backpropagates(tiny_config: Path) -> None:
    torch.manual_seed(0)
    model = VARSTok.from_hparams(tiny_config, clustering="fixed").train()
    book = model.feature_extractor.encodec.quantizer.codebook
    assert float(book.inited) == 0.0
    wav = torch.randn(2, 9600) * 0.1
    lengths = torch.tensor([9600, 6400])
    audio, encoded = model.reconstruct(wav, 0, lengths)
    assert float(book.inited) == 1.0 and float(book.cluster_size.sum()) > 0
    assert audio.shape == (2, 30 * 320)
    assert encoded.frame_lengths.tolist() == [30, 20]
    assert encoded.spans.sum(dim=1).tolist() == [30, 20]
    # first batch: k-means on fewer vectors than codes puts a code on every vector -> loss 0
    assert float(encoded.commit_loss.detach()) < 1e-6
    audio, encoded = model.reconstruct(torch.randn(2, 9600) * 0.3, 0, lengths)
    assert float(encoded.commit_loss.detach()) > 0
    loss = audio.abs().mean() + encoded.commit_loss
    loss.backward()
    first_conv = model.feature_extractor.encodec.encoder.model[0].conv.conv
    assert first_conv.weight_v.grad is not None and float(first_conv.weight_v.grad.abs().sum()) > 0
    assert model.backbone.embed.weight.grad is not None
    assert book.embed.grad is None  # EMA-trained buffer, not a parameter
