"""Vectorised clustering vs the per-frame reference, padding invariance, short inputs, coding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tokenizers_impl.varstok.clustering import ClusteringSettings, TemporalDensityPeakClustering
from tokenizers_impl.varstok.duration import expand_spans, ids_to_spans, spans_to_ids

from .reference_clustering import reference_spans


def _smooth_walk(dim: int, frames: int, generator: torch.Generator) -> torch.Tensor:
    steps = torch.randn(dim, frames, generator=generator)
    return steps.cumsum(1) * 0.3 + torch.randn(dim, frames, generator=generator)


@pytest.mark.parametrize("variant", ["original", "fixed"])
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled-cpu-pass", "tensor-rounds"])
def test_matches_per_frame_reference_on_random_inputs(variant: str, compiled: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Both greedy implementations (compiled CPU loop, GPU-style tensor rounds) are exact."""
    from tokenizers_impl.varstok import clustering as module

    monkeypatch.setattr(module, "COMPILED_GREEDY_ON_CPU", compiled)
    generator = torch.Generator().manual_seed(7)
    multi_frame_spans = 0
    for trial in range(25):
        frames = int(torch.randint(12, 80, (1,), generator=generator))
        dim = int(torch.randint(4, 24, (1,), generator=generator))
        max_span = int(torch.randint(1, 7, (1,), generator=generator))
        k = int(torch.randint(1, 11, (1,), generator=generator))
        threshold = float(torch.rand(1, generator=generator)) * 0.4 + 0.5
        x = _smooth_walk(dim, frames, generator)
        if trial % 4 == 0:
            x[:, 3:8] = x[:, 3:4]  # identical frames: exercises tie-breaking
        expected = reference_spans(x, variant, threshold, max_span, k, 0.2)
        _, spans = TemporalDensityPeakClustering(variant, threshold, max_span, k, 0.2)(x[None])
        assert spans[0].tolist() == expected, (trial, frames, max_span, k)
        assert max(expected) <= max_span and sum(expected) == frames
        multi_frame_spans += sum(s > 1 for s in expected)
    assert multi_frame_spans > 50  # the cases really merge frames


def test_padded_batch_equals_items_alone() -> None:
    generator = torch.Generator().manual_seed(3)
    lengths = [40, 23, 57]
    items = [_smooth_walk(16, n, generator) for n in lengths]
    batch = torch.zeros(3, 16, max(lengths))
    for i, item in enumerate(items):
        batch[i, :, : item.shape[1]] = item
    clustering = TemporalDensityPeakClustering("fixed")
    pooled, spans = clustering(batch, torch.tensor(lengths))
    for i, item in enumerate(items):
        alone_pooled, alone_spans = clustering(item[None])
        count = alone_spans.shape[1]
        assert torch.equal(spans[i, :count], alone_spans[0])
        assert int(spans[i, count:].abs().sum()) == 0
        torch.testing.assert_close(pooled[i, :, :count], alone_pooled[0], rtol=0, atol=0)
        assert float(pooled[i, :, count:].abs().sum()) == 0.0


@pytest.mark.parametrize("frames", [0, 1, 2, 5, 10])
def test_short_inputs_do_not_crash(frames: int) -> None:
    generator = torch.Generator().manual_seed(frames)
    x = _smooth_walk(8, frames, generator)[None] if frames else torch.zeros(1, 8, 0)
    pooled, spans = TemporalDensityPeakClustering("original", k=10)(x)
    assert int(spans.sum()) == frames
    assert spans.shape[1] == int((spans > 0).sum())
    assert pooled.shape == (1, 8, spans.shape[1])
    if frames == 1:
        assert spans.tolist() == [[1]]
    if frames >= 2:
        # same as the reference when k is reduced to the neighbours that exist
        assert spans[0].tolist() == reference_spans(x[0], "original", 0.7, 4, frames - 1, 0.2)


def test_short_item_in_batch_keeps_long_item_exact() -> None:
    generator = torch.Generator().manual_seed(11)
    long_item, short_item = _smooth_walk(8, 30, generator), _smooth_walk(8, 4, generator)
    batch = torch.zeros(2, 8, 30)
    batch[0], batch[1, :, :4] = long_item, short_item
    _, spans = TemporalDensityPeakClustering("fixed")(batch, torch.tensor([30, 4]))
    assert spans[0, : int((spans[0] > 0).sum())].tolist() == reference_spans(
        long_item, "fixed", 0.7, 4, 10, 0.2)
    assert int(spans[1].sum()) == 4


def test_settings_are_validated_and_switchable() -> None:
    with pytest.raises(ValueError, match="clustering must be one of"):
        ClusteringSettings("buggy")
    clustering = TemporalDensityPeakClustering()
    clustering.configure(variant="fixed", threshold=0.8)
    assert clustering.settings == ClusteringSettings("fixed", 0.8, 4, 10, 0.2)


def test_implicit_duration_coding_round_trip() -> None:
    codes = torch.tensor([[5, 4095, 0, -1]])
    spans = torch.tensor([[1, 4, 2, 0]])
    ids = spans_to_ids(codes, spans, 4096)
    assert ids.tolist() == [[5, 4095 + 3 * 4096, 4096, -1]]
    back_codes, back_spans = ids_to_spans(ids, 4096)
    assert back_codes.tolist() == codes.tolist() and back_spans.tolist() == spans.tolist()
    assert int(ids.max()) < 4 * 4096


def test_length_regulator_repeats_by_span() -> None:
    feats = torch.arange(6.0).view(1, 2, 3).repeat(2, 1, 1)
    out, frames = expand_spans(feats, torch.tensor([[1, 2, 3], [2, 1, 0]]))
    assert frames.tolist() == [6, 3]
    assert out[0, 0].tolist() == [0, 1, 1, 2, 2, 2]
    assert out[1, 1].tolist() == [3, 3, 4, 0, 0, 0]


def test_direct_growth_path_for_long_spans(monkeypatch) -> None:
    """max_span above the lookup-table limit uses the direct growth computation."""
    from tokenizers_impl.varstok import clustering as module

    monkeypatch.setattr(module, "MAX_TABLE_REACH", 0)
    monkeypatch.setattr(module, "COMPILED_GREEDY_ON_CPU", False)
    generator = torch.Generator().manual_seed(5)
    for variant in ("original", "fixed"):
        x = _smooth_walk(8, 50, generator)
        _, spans = TemporalDensityPeakClustering(variant, 0.7, 5, 6, 0.2)(x[None])
        assert spans[0].tolist() == reference_spans(x, variant, 0.7, 5, 6, 0.2)


@pytest.mark.parametrize("variant", ["original", "fixed"])
def test_compiled_density_equals_torch_path(variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CPU row-pass kernels (density_cpu) give bit-identical seed scores to the vectorised
    torch expressions, also with padding and tied similarities."""
    import tokenizers_impl.varstok.clustering as clustering

    settings = clustering.ClusteringSettings(variant)
    generator = torch.Generator().manual_seed(5)
    x = torch.randn(3, 90, 16, generator=generator)
    x[:, 10] = x[:, 11]
    lengths = torch.tensor([90, 41, 11])
    valid = torch.arange(90).view(1, -1) < lengths.view(-1, 1)
    sim = clustering.similarity(x)
    compiled = clustering.seed_scores(sim, valid, lengths, settings)
    monkeypatch.setattr(clustering, "COMPILED_DENSITY_ON_CPU", False)
    assert torch.equal(compiled, clustering.seed_scores(sim, valid, lengths, settings))


def _compiled_vs_torch_spans(x: torch.Tensor, lengths: torch.Tensor, variant: str,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    import tokenizers_impl.varstok.clustering as clustering

    module = clustering.TemporalDensityPeakClustering(variant)
    pooled, spans = module(x, lengths)
    with monkeypatch.context() as patch:
        patch.setattr(clustering, "COMPILED_DENSITY_ON_CPU", False)
        patch.setattr(clustering, "COMPILED_GREEDY_ON_CPU", False)
        ref_pooled, ref_spans = module(x, lengths)
    assert torch.equal(spans, ref_spans)
    torch.testing.assert_close(pooled, ref_pooled, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("variant", ["original", "fixed"])
def test_compiled_sweep_paths_equal_torch(variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lane sweep's fallbacks (top list not certain: frames repeating with the lane period;
    delta candidates not conclusive), serial and threaded sweeps, padding: same seed scores and
    spans as the torch path."""
    import tokenizers_impl.varstok.clustering as clustering
    from tokenizers_impl.varstok import density_cpu, density_kernels

    generator = torch.Generator().manual_seed(9)
    period = density_kernels.LANES
    base = _smooth_walk(24, period, generator)
    x = torch.cat([base + 0.05 * torch.randn(24, period, generator=generator)
                   for _ in range(6)], dim=1)  # frame t ~ frame t + LANES: same lane
    walk = _smooth_walk(24, x.shape[1], generator)
    batch = torch.stack([x, walk, walk * 0.5 + x])
    lengths = torch.tensor([x.shape[1], 301, 150])
    valid = torch.arange(batch.shape[2]).view(1, -1) < lengths.view(-1, 1)
    sim = clustering.similarity(batch.transpose(1, 2))
    settings = clustering.ClusteringSettings(variant)
    for parallel_min in (1, 1 << 40):  # threaded and serial sweep
        monkeypatch.setattr(density_cpu, "PARALLEL_MIN", parallel_min)
        compiled = clustering.seed_scores(sim, valid, lengths, settings)
        assert density_cpu.last_stats["top_scanned"] > 0  # the fallbacks really ran
        assert density_cpu.last_stats["delta_swept"] > 0
        with monkeypatch.context() as patch:
            patch.setattr(clustering, "COMPILED_DENSITY_ON_CPU", False)
            assert torch.equal(compiled, clustering.seed_scores(sim, valid, lengths, settings))
        _compiled_vs_torch_spans(batch, lengths, variant, monkeypatch)


def test_compiled_normalize_matches_torch() -> None:
    from tokenizers_impl.varstok import density_kernels

    generator = torch.Generator().manual_seed(2)
    for batch, dim, frames in [(1, 512, 750), (2, 64, 97), (3, 16, 5), (1, 700, 3), (1, 8, 1)]:
        x = torch.randn(batch, dim, frames, generator=generator).cumsum(2)
        x[:, :, 0] = 0  # a silent frame: the norm is clamped to eps
        out = torch.empty_like(x)
        density_kernels.normalize_frames(x.numpy(), np.float32(1e-12), out.numpy())
        expected = torch.nn.functional.normalize(x.transpose(1, 2), dim=-1)
        assert torch.equal(out.transpose(1, 2), expected)
        assert out.transpose(1, 2).stride() == expected.stride()


def test_nan_features_take_the_torch_path(monkeypatch: pytest.MonkeyPatch) -> None:
    generator = torch.Generator().manual_seed(4)
    x = _smooth_walk(16, 120, generator)[None]
    x[0, 3, 40] = float("nan")
    _compiled_vs_torch_spans(x, torch.tensor([120]), "original", monkeypatch)
