"""Rate accounting on a manifest built from the golden inputs: rates are the golden counts
divided by the durations, and side-info bits follow the embedding width."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import soundfile as sf

from bench.data.manifest import Utterance, write_manifest
from tokenizers_impl.plutok.rates import format_table, main, rate_report
from tokenizers_impl.plutok.side_info import cosine_error, quantize_se, se_bits_per_utterance


def test_rate_report_matches_golden_counts(plutok_model, plutok_golden, tmp_path):
    rows = []
    for case, lang in (("chirp_2s", "xx"), ("bursts_1p1s", "yy")):
        wav = np.load(plutok_golden / f"{case}.input.npy")
        sf.write(tmp_path / f"{case}.wav", wav, 22050, subtype="FLOAT")
        rows.append(Utterance(id=case, path=f"{case}.wav", language=lang))
    write_manifest(tmp_path / "m.jsonl", rows)
    report = rate_report(plutok_model, tmp_path / "m.jsonl")
    assert set(report) == {"all", "xx", "yy"}
    chirp = report["xx"]
    assert chirp["vq_ids_per_s"] == pytest.approx(86 / 2.0)
    assert chirp["bpe_tokens_per_s"] == pytest.approx(39 / 2.0)
    assert chirp["bpe_compression_ratio"] == pytest.approx(86 / 39)
    assert chirp["bpe_bits_per_s"] == pytest.approx(39 * math.log2(600) / 2.0)
    assert chirp["se32_bits_per_utterance"] == 64 * 32
    assert chirp["se8_bits_per_utterance"] == 64 * 8 + 16
    assert chirp["se32_bits_per_s"] == pytest.approx(2048 / 2.0)
    assert chirp["se32_cosine_error_max"] < 1e-12
    assert 0 < chirp["se8_cosine_error_mean"] < 1e-3
    both = report["all"]
    assert both["bpe_compression_ratio"] == pytest.approx((86 + 48) / (39 + 19))
    assert "xx" in format_table(report)

    out = tmp_path / "rates.json"
    assert main(["--manifest", str(tmp_path / "m.jsonl"), "--ov-ckpt", str(plutok_golden),
                 "--vqvae-ckpt", str(plutok_golden / "vqvae" / "model.pth"),
                 "--tokenizer-file", str(plutok_golden / "tokenizer" / "tokenizer.json"),
                 "--encode-noise", "0", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["xx"]["bpe_tokens_per_s"] == pytest.approx(39 / 2.0)


def test_se_quantisers():
    se = np.random.default_rng(1).standard_normal((5, 256)).astype(np.float32) * 0.2
    import torch

    se_t = torch.from_numpy(se)
    assert se_bits_per_utterance(256, 32) == 8192
    assert se_bits_per_utterance(256, 16) == 4096
    assert se_bits_per_utterance(256, 8) == 2064
    err16, err8 = cosine_error(se_t, 16), cosine_error(se_t, 8)
    assert float(err16.max()) < 1e-6 < float(err8.min())
    assert float(err8.max()) < 1e-3
    q8 = quantize_se(se_t, 8)
    steps = q8 / (q8.abs().amax(dim=-1, keepdim=True) / 127)
    assert torch.allclose(steps, steps.round(), atol=1e-2)  # 255 levels per vector
