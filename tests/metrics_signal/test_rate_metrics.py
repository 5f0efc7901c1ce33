"""Token-rate metrics on hand-made token arrays with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.contract import PAD_TOKEN
from bench.metrics.base import MetricInput
from bench.metrics.mean_span import FIXED_RATE_REASON, span_histogram
from bench.registry import load_metric

RATE_IDS = ["tokens_per_s", "bits_per_s", "entropy_bits_per_s", "side_bits_per_s",
            "codebook_usage", "mean_span"]


def utt(tokens, seconds: float, vocab: int | None = 16384, durations=None, side_bits: float = 0.0,
        frame_rate: float | None = 75.0, sr: int = 16000) -> MetricInput:
    return MetricInput(
        "u",
        hypothesis=np.zeros(int(seconds * sr), np.float32), hypothesis_sr=sr,
        reference=np.zeros(int(seconds * sr), np.float32), reference_sr=sr,
        tokens=None if tokens is None else np.asarray(tokens, dtype=np.int64),
        durations=None if durations is None else np.asarray(durations, dtype=np.int64),
        vocab_size=vocab, frame_rate=frame_rate, side_bits=side_bits,
    )


def values(metric_id: str, items: list[MetricInput]) -> list[float | None]:
    return [v.value for v in load_metric(metric_id).compute(items)]


def test_registry_declares_token_metrics() -> None:
    for metric_id in RATE_IDS:
        metric = load_metric(metric_id)
        assert metric.info.needs_tokens and not metric.info.needs_reference


def test_tokens_per_second_and_corpus_rate() -> None:
    items = [utt(np.arange(30), 2.0), utt(np.arange(10), 3.0)]
    metric = load_metric("tokens_per_s")
    per_utt = metric.compute(items)
    assert [v.value for v in per_utt] == pytest.approx([15.0, 10 / 3])
    # corpus = total tokens / total seconds = 40 / 5, not the mean of rates (9.17)
    assert metric.corpus(items, per_utt)["corpus"].value == pytest.approx(8.0)


def test_padding_is_not_counted() -> None:
    padded = np.concatenate([np.arange(30), np.full(10, PAD_TOKEN)])
    assert values("tokens_per_s", [utt(padded, 2.0)]) == [pytest.approx(15.0)]


def test_bits_per_second_uses_log2_vocab() -> None:
    items = [utt(np.arange(30), 2.0, vocab=16384), utt(np.arange(10), 3.0, vocab=16384)]
    metric = load_metric("bits_per_s")
    per_utt = metric.compute(items)
    assert per_utt[0].value == pytest.approx(15 * 14)  # 14 bits per token
    assert metric.corpus(items, per_utt)["corpus"].value == pytest.approx(40 * 14 / 5)
    assert values("bits_per_s", [utt(np.arange(75), 1.0, vocab=4096)]) == [pytest.approx(900.0)]


def test_entropy_of_uniform_four_symbol_stream_is_two_bits() -> None:
    item = utt(np.tile([0, 1, 2, 3], 10), 2.0)  # 40 tokens in 2 s, H = 2 bits
    metric = load_metric("entropy_bits_per_s")
    assert metric.compute([item])[0].value == pytest.approx(2 * 20.0)
    corpus = metric.corpus([item], [])
    assert corpus["entropy_bits_per_token"].value == pytest.approx(2.0)
    assert corpus["corpus"].value == pytest.approx(40.0)


def test_entropy_corpus_uses_pooled_distribution() -> None:
    items = [utt(np.zeros(10), 1.0), utt(np.ones(10), 1.0)]  # each alone: 0 bits
    metric = load_metric("entropy_bits_per_s")
    assert [v.value for v in metric.compute(items)] == [0.0, 0.0]
    corpus = metric.corpus(items, [])
    assert corpus["entropy_bits_per_token"].value == pytest.approx(1.0)
    assert corpus["corpus"].value == pytest.approx(1.0 * 20 / 2)


def test_side_bits_per_second() -> None:
    items = [utt(np.arange(5), 2.0, side_bits=8192.0), utt(np.arange(5), 2.0, side_bits=0.0)]
    metric = load_metric("side_bits_per_s")
    assert [v.value for v in metric.compute(items)] == pytest.approx([4096.0, 0.0])
    assert metric.corpus(items, [])["corpus"].value == pytest.approx(8192 / 4)


def test_codebook_usage_and_perplexity() -> None:
    items = [utt([0, 1, 2, 3], 1.0, vocab=16), utt([0, 1, 0, 1], 1.0, vocab=16)]
    metric = load_metric("codebook_usage")
    assert [v.value for v in metric.compute(items)] == pytest.approx([4 / 16, 2 / 16])
    corpus = metric.corpus(items, [])
    assert corpus["corpus"].value == pytest.approx(4 / 16)
    assert corpus["used_codes"].value == 4
    # pooled counts 3,3,1,1 of 8
    entropy = -(2 * 3 / 8 * math.log2(3 / 8) + 2 * 1 / 8 * math.log2(1 / 8))
    assert corpus["perplexity"].value == pytest.approx(2**entropy)
    uniform = metric.corpus([utt(np.tile(np.arange(4), 5), 1.0, vocab=16)], [])
    assert uniform["perplexity"].value == pytest.approx(4.0)


def test_mean_span_and_histogram() -> None:
    items = [utt([5, 6, 7, 8], 1.0, durations=[1, 2, 3, 2]), utt([1, 2], 1.0, durations=[4, 4])]
    metric = load_metric("mean_span")
    assert [v.value for v in metric.compute(items)] == pytest.approx([2.0, 4.0])
    corpus = metric.corpus(items, [])
    assert corpus["corpus"].value == pytest.approx(16 / 6)
    assert corpus["mean_span_ms"].value == pytest.approx(1000 * 16 / 6 / 75)
    assert corpus["share_span_2"].value == pytest.approx(2 / 6)
    assert span_histogram(items) == {1: 1, 2: 2, 3: 1, 4: 2}


def test_mean_span_missing_for_fixed_rate_tokenizers() -> None:
    items = [utt(np.arange(10), 1.0)]
    metric = load_metric("mean_span")
    value = metric.compute(items)[0]
    assert value.value is None and value.reason == FIXED_RATE_REASON
    assert metric.corpus(items, [])["corpus"].reason == FIXED_RATE_REASON


@pytest.mark.parametrize("metric_id", RATE_IDS)
def test_missing_tokens_or_duration_is_missing_with_reason(metric_id: str) -> None:
    no_tokens = utt(None, 1.0, durations=None)
    no_audio = MetricInput("u", tokens=np.arange(5), durations=np.ones(5, np.int64),
                           vocab_size=16)
    metric = load_metric(metric_id)
    first, second = metric.compute([no_tokens, no_audio])
    assert first.value is None and "no tokens" in first.reason
    if metric_id == "codebook_usage":  # does not depend on time: 5 distinct ids of 16
        assert second.value == pytest.approx(5 / 16)
    elif metric_id == "mean_span":  # nor does the mean span
        assert second.value == pytest.approx(1.0)
    else:
        assert second.value is None and "duration" in second.reason
    assert metric.corpus([no_tokens], [])["corpus"].value is None


def test_vocab_problems() -> None:
    assert values("bits_per_s", [utt(np.arange(5), 1.0, vocab=None)]) == [None]
    value = load_metric("codebook_usage").compute([utt([0, 99], 1.0, vocab=16)])[0]
    assert value.value is None and "vocab_size" in value.reason
    value = load_metric("mean_span").compute([utt([0, 1], 1.0, durations=[1, 0])])[0]
    assert value.value is None and "zero" in value.reason
