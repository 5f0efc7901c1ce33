"""ECAPA folders: a hostile hyperparams.yaml runs nothing unless the user trusts it, and the
safe builder gives the same embeddings as SpeechBrain's own loader on a benign folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.metrics.base import MetricInput
from bench.metrics.models.ecapa_safe import read_config
from bench.metrics.spk_sim_ecapa import EcapaSimilarity
from bench.trust import UntrustedFileError, trusted

pytest.importorskip("speechbrain")

BENIGN = """\
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


def _folder(tmp_path: Path, yaml_text: str) -> Path:
    import torch
    from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN

    folder = tmp_path / "ecapa"
    folder.mkdir()
    (folder / "hyperparams.yaml").write_text(yaml_text)
    torch.manual_seed(0)
    model = ECAPA_TDNN(20, channels=[16, 16, 16, 16, 48], kernel_sizes=[5, 3, 3, 3, 1],
                       dilations=[1, 2, 3, 4, 1], attention_channels=8, lin_neurons=12)
    torch.save(model.state_dict(), folder / "embedding_model.ckpt")
    return folder


def _pairs() -> list[MetricInput]:
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(n).astype(np.float32) * 0.1 for n in (8000, 12000))
    return [MetricInput("aa", hypothesis=a, hypothesis_sr=16000, reference=a, reference_sr=16000),
            MetricInput("ab", hypothesis=b, hypothesis_sr=16000, reference=a, reference_sr=16000)]


@pytest.mark.parametrize("payload", [
    "marker: !apply:os.system ['touch {marker}']\n",
    "marker: !new:subprocess.call [['touch', '{marker}']]\n",
    "marker: !name:os.system ['touch {marker}']\n",
    "marker: !!python/object/apply:os.system ['touch {marker}']\n",
])
def test_hostile_yaml_runs_nothing_without_trust(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "PWNED"
    folder = _folder(tmp_path, BENIGN + payload.format(marker=marker))
    metric = EcapaSimilarity(model_dir=str(folder), batch_size=2)
    reason = metric.unavailable_reason()
    assert reason is not None and "--trust-remote-checkpoints" in reason
    assert str(folder / "hyperparams.yaml") in reason and "\n" not in reason
    with pytest.raises(UntrustedFileError, match="--trust-remote-checkpoints"):
        metric.compute(_pairs())
    assert not marker.exists()


def test_safe_builder_matches_speechbrain_loader(tmp_path: Path) -> None:
    """Same embeddings as HyperPyYAML + EncoderClassifier (used only under user trust)."""
    folder = _folder(tmp_path, BENIGN)
    assert read_config(folder / "hyperparams.yaml").embedding["channels"] == [16, 16, 16, 16, 48]
    metric = EcapaSimilarity(model_dir=str(folder), batch_size=2)
    assert metric.unavailable_reason() is None
    safe = [v.value for v in metric.compute(_pairs())]
    with trusted():
        speechbrain = [v.value for v in EcapaSimilarity(model_dir=str(folder),
                                                         batch_size=2).compute(_pairs())]
    assert safe[0] == pytest.approx(1.0, abs=1e-5)
    assert safe == pytest.approx(speechbrain, abs=1e-6)


def test_value_that_is_not_plain_is_refused(tmp_path: Path) -> None:
    text = BENIGN.replace("attention_channels: 8", "attention_channels: !ref <n_mels> // 2")
    folder = _folder(tmp_path, text)
    with pytest.raises(UntrustedFileError, match="attention_channels"):
        read_config(folder / "hyperparams.yaml")


PUBLISHED_LAYOUT = """\
# Layout of speechbrain/spkrec-ecapa-voxceleb's hyperparams.yaml
n_mels: 80
pretrained_path: speechbrain/spkrec-ecapa-voxceleb
out_n_neurons: 7205
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [1024, 1024, 1024, 1024, 3072]
    kernel_sizes: [5, 3, 3, 3, 1]
    dilations: [1, 2, 3, 4, 1]
    attention_channels: 128
    lin_neurons: 192
classifier: !new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 192
    out_neurons: !ref <out_n_neurons>
mean_var_norm_emb: !new:speechbrain.processing.features.InputNormalization
    norm_type: global
    std_norm: False
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
    mean_var_norm_emb: !ref <mean_var_norm_emb>
    classifier: !ref <classifier>
label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
        mean_var_norm_emb: !ref <mean_var_norm_emb>
        classifier: !ref <classifier>
        label_encoder: !ref <label_encoder>
    paths:
        embedding_model: !ref <pretrained_path>/embedding_model.ckpt
        mean_var_norm_emb: !ref <pretrained_path>/mean_var_norm_emb.ckpt
        classifier: !ref <pretrained_path>/classifier.ckpt
        label_encoder: !ref <pretrained_path>/label_encoder.txt
"""


def test_the_published_layout_is_read_without_running_it(tmp_path: Path) -> None:
    from bench.metrics.models.ecapa_safe import DEFAULTS

    path = tmp_path / "hyperparams.yaml"
    path.write_text(PUBLISHED_LAYOUT)
    config = read_config(path)
    assert config.features == DEFAULTS["compute_features"]
    assert config.normalization == DEFAULTS["mean_var_norm"]
    assert config.embedding == DEFAULTS["embedding_model"]
