"""Known values of the GAN losses and shapes/keys of the discriminators."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.metrics.base import MetricInput
from bench.metrics.mel_l1 import MelL1
from tokenizers_impl.varstok.train.discriminators import (
    MultiPeriodDiscriminator,
    MultiResolutionDiscriminator,
    PeriodDiscriminator,
)
from tokenizers_impl.varstok.train.losses import (
    MelReconstructionLoss,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
)


def test_hinge_losses_known_values() -> None:
    real = [torch.tensor([[2.0, 0.0]]), torch.tensor([[1.0, 1.0]])]
    fake = [torch.tensor([[-2.0, 0.5]]), torch.tensor([[0.0, -1.0]])]
    # disc 1: mean(relu(1-r)) = 0.5, mean(relu(1+g)) = 0.75; disc 2: 0 + 0.5 -> mean 0.875
    assert discriminator_loss(real, fake).item() == pytest.approx(0.875)
    # generator: disc 1 mean(relu(1-g)) = (3 + 0.5) / 2, disc 2 (1 + 2) / 2 -> mean 2.375
    assert generator_adversarial_loss(fake).item() == pytest.approx(1.625)


def test_feature_matching_known_value() -> None:
    real = [[torch.zeros(2, 3), torch.ones(4)], [torch.zeros(5)]]
    fake = [[torch.full((2, 3), 0.5), torch.zeros(4)], [torch.full((5,), 2.0)]]
    # disc 1: 0.5 + 1.0 summed over layers; disc 2: 2.0; averaged over discriminators
    assert feature_matching_loss(real, fake).item() == pytest.approx(1.75)


def test_mel_loss_matches_the_benchmark_metric() -> None:
    rng = np.random.default_rng(0)
    ref = (0.3 * rng.standard_normal(12000)).astype(np.float32)
    hyp = (ref + 0.05 * rng.standard_normal(12000)).astype(np.float32)
    loss = MelReconstructionLoss()(torch.from_numpy(hyp)[None], torch.from_numpy(ref)[None])
    metric = MelL1().compute([MetricInput("x", hyp, 24000, ref, 24000)])[0].value
    assert loss.item() == pytest.approx(metric, rel=1e-5)
    same = MelReconstructionLoss()(torch.from_numpy(ref)[None], torch.from_numpy(ref)[None])
    assert same.item() == 0.0


def test_discriminator_output_shapes_and_feature_maps() -> None:
    torch.manual_seed(0)
    mpd = MultiPeriodDiscriminator(channels=(4, 8, 8, 8, 8), num_embeddings=4)
    mrd = MultiResolutionDiscriminator(channels=8, num_embeddings=4)
    y, y_hat = torch.randn(2, 6401), torch.randn(2, 6401)  # not a multiple of any period
    bw = torch.tensor([1])
    real, fake, maps_r, _ = mpd(y, y_hat, bw)
    assert len(real) == len(fake) == 5
    for period, score, fmap in zip((2, 3, 5, 7, 11), real, maps_r, strict=True):
        rows = -(-6401 // period)
        for _ in range(4):  # four stride-3 convolutions over the folded time axis
            rows = (rows + 2 * 2 - 5) // 3 + 1
        assert score.shape == (2, rows * period)
        assert len(fmap) == 5  # outputs of convs 2..5 and of conv_post
    real, fake, maps_r, _maps_g = mrd(y, y_hat, bw)
    assert len(real) == 3 and all(len(f) == 6 for f in maps_r)
    for (n_fft, hop, _), score in zip(((1024, 256, 1024), (2048, 512, 2048), (512, 128, 512)),
                                      real, strict=True):
        freq, frames = n_fft // 2 + 1, 6401 // hop + 1
        for fs, ts in ((2, 2), (2, 1), (2, 2), (2, 1), (2, 2)):
            freq, frames = (freq - 1) // fs + 1, (frames - 1) // ts + 1
        assert score.shape == (2, freq * frames)
    assert all(torch.isfinite(s).all() for s in real + fake)


def test_discriminator_keys_follow_the_official_layout() -> None:
    mpd = MultiPeriodDiscriminator(channels=(4, 8, 8, 8, 8), num_embeddings=4)
    keys = set(mpd.state_dict())
    assert {"discriminators.0.convs.0.weight_g", "discriminators.0.convs.0.weight_v",
            "discriminators.4.conv_post.bias", "discriminators.2.emb.weight"} <= keys
    official_period = PeriodDiscriminator(2)  # default widths are the official ones
    assert official_period.state_dict()["convs.4.weight_v"].shape == (1024, 1024, 5, 1)
    assert official_period.state_dict()["conv_post.weight_v"].shape == (1, 1024, 3, 1)
    mrd = MultiResolutionDiscriminator(num_embeddings=4)
    assert mrd.state_dict()["discriminators.1.convs.0.weight_v"].shape == (64, 1, 7, 5)
    assert mrd.state_dict()["discriminators.1.emb.weight"].shape == (4, 64)


def test_condition_embedding_starts_neutral_and_then_matters() -> None:
    torch.manual_seed(0)
    mrd = MultiResolutionDiscriminator(channels=8, num_embeddings=4)
    y = torch.randn(1, 4000)
    plain = mrd(y, y, None)[0][0]
    cond = mrd(y, y, torch.tensor([2]))[0][0]
    torch.testing.assert_close(plain, cond)  # zero-initialised embeddings
    with torch.no_grad():
        mrd.discriminators[0].emb.weight.fill_(0.5)
    assert not torch.allclose(mrd(y, y, torch.tensor([2]))[0][0], plain)
