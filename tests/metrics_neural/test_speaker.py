"""Speaker similarity: Resemblyzer on real LibriTTS speakers (same speaker above different
speaker), and the WavLM-SV code path on a tiny random model saved as a local folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.metrics.base import MetricInput
from bench.metrics.spk_sim_ecapa import EcapaSimilarity
from bench.metrics.spk_sim_resemblyzer import ResemblyzerSimilarity
from bench.metrics.spk_sim_wavlm import WavlmSimilarity

UTT_1089_A = "1089_134686_000003_000000"
UTT_1089_B = "1089_134691_000042_000001"
UTT_1284 = "1284_1181_000040_000005"
UTT_8455 = "8455_210777_000040_000000"


def pair(ref: np.ndarray, hyp: np.ndarray, name: str = "x") -> MetricInput:
    return MetricInput(name, hypothesis=hyp, hypothesis_sr=16000, reference=ref,
                       reference_sr=16000)


def test_resemblyzer_same_speaker_above_different_speaker(demo_audio) -> None:
    a, b = demo_audio("gt", UTT_1089_A), demo_audio("gt", UTT_1089_B)
    other1, other2 = demo_audio("gt", UTT_1284), demo_audio("gt", UTT_8455)
    recon = demo_audio("xcodec2", UTT_1089_A)
    values = ResemblyzerSimilarity().compute(
        [pair(a, a), pair(a, recon), pair(a, b), pair(a, other1), pair(a, other2)])
    same_clip, reconstruction, same_speaker, diff1, diff2 = (v.value for v in values)
    assert same_clip == pytest.approx(1.0, abs=1e-5)
    assert 0.7 < reconstruction < 1.0
    assert same_speaker > max(diff1, diff2)
    assert reconstruction > max(diff1, diff2)
    assert min(diff1, diff2) >= -1.0 and max(diff1, diff2) < 0.8


def test_resemblyzer_matches_its_own_embed_utterance(demo_audio) -> None:
    from resemblyzer import VoiceEncoder, preprocess_wav

    a, recon = demo_audio("gt", UTT_1089_A), demo_audio("wavtokenizer_40", UTT_1089_A)
    n = min(len(a), len(recon))
    encoder = VoiceEncoder("cpu", verbose=False)
    expected = float(encoder.embed_utterance(preprocess_wav(a[:n]))
                     @ encoder.embed_utterance(preprocess_wav(recon[:n])))
    got = ResemblyzerSimilarity(batch_size=3).compute([pair(a, recon)])[0].value
    assert got == pytest.approx(expected, abs=1e-5)


@pytest.fixture(scope="module")
def tiny_wavlm_dir(tmp_path_factory) -> Path:
    import torch
    from transformers import Wav2Vec2FeatureExtractor, WavLMConfig, WavLMForXVector

    torch.manual_seed(0)
    config = WavLMConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=(32, 32), conv_stride=(5, 4), conv_kernel=(10, 4), num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2, tdnn_dim=(32, 32), tdnn_kernel=(3, 1),
        tdnn_dilation=(1, 1), xvector_output_dim=16, num_buckets=32, max_bucket_distance=100,
    )
    folder = tmp_path_factory.mktemp("wavlm_sv")
    WavLMForXVector(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                             do_normalize=True, return_attention_mask=True).save_pretrained(folder)
    return folder


def test_wavlm_path_from_local_folder_is_batch_invariant(tiny_wavlm_dir: Path) -> None:
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(n).astype(np.float32) * 0.1 for n in (8000, 12000, 9000))
    metric = WavlmSimilarity(model_dir=str(tiny_wavlm_dir), batch_size=4)
    assert metric.unavailable_reason() is None
    batch = metric.compute([pair(a, a), pair(a, b), pair(c, b)])
    alone = [WavlmSimilarity(model_dir=str(tiny_wavlm_dir), batch_size=1).compute([p])[0].value
             for p in (pair(a, b), pair(c, b))]
    assert batch[0].value == pytest.approx(1.0, abs=1e-5)
    assert [v.value for v in batch[1:]] == pytest.approx(alone, abs=1e-6)


def test_speaker_metrics_name_their_models_and_reject_bad_input(no_model_caches: Path) -> None:
    assert "resemblyzer" in ResemblyzerSimilarity.info.model.lower()
    assert "ecapa" in EcapaSimilarity.info.model.lower()
    assert "wavlm-base-plus-sv" in WavlmSimilarity.info.model
    assert "TOKBENCH_ECAPA_DIR" in EcapaSimilarity().unavailable_reason()
    ok = np.ones(16000, np.float32) * 0.1
    values = ResemblyzerSimilarity().compute([
        MetricInput("noref", hypothesis=ok, hypothesis_sr=16000),
        pair(ok, np.full(16000, np.nan, np.float32)),
        pair(ok[:800], ok[:800]),
    ])
    assert [v.reason for v in values] == ["no reference audio",
                                          "hypothesis audio contains NaN or Inf",
                                          "audio shorter than 0.1 s"]


TINY_ECAPA_YAML = """\
n_mels: 20
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [16, 16, 16, 16, 48]
    kernel_sizes: [5, 3, 3, 3, 1]
    dilations: [1, 2, 3, 4, 1]
    attention_channels: 8
    lin_neurons: 12
classifier: !new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 12
    out_neurons: 3
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
    classifier: !ref <classifier>
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
"""


def test_ecapa_path_from_local_folder(tmp_path: Path) -> None:
    """A tiny random ECAPA in the spkrec-ecapa-voxceleb folder layout loads offline, in place."""
    import torch
    from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN

    torch.manual_seed(0)
    (tmp_path / "hyperparams.yaml").write_text(TINY_ECAPA_YAML)
    model = ECAPA_TDNN(20, channels=[16, 16, 16, 16, 48], kernel_sizes=[5, 3, 3, 3, 1],
                       dilations=[1, 2, 3, 4, 1], attention_channels=8, lin_neurons=12)
    torch.save(model.state_dict(), tmp_path / "embedding_model.ckpt")
    metric = EcapaSimilarity(model_dir=str(tmp_path), batch_size=4)
    assert metric.unavailable_reason() is None
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(n).astype(np.float32) * 0.1 for n in (8000, 12000))
    values = metric.compute([pair(a, a), pair(a, b)])
    assert values[0].value == pytest.approx(1.0, abs=1e-5)
    assert -1.0 <= values[1].value < 1.0 - 1e-6
    alone = EcapaSimilarity(model_dir=str(tmp_path), batch_size=1).compute([pair(a, b)])[0]
    assert alone.value == pytest.approx(values[1].value, abs=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["embedding_model.ckpt",
                                                          "hyperparams.yaml"]
