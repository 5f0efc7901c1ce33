"""Build SpeechBrain's ECAPA-TDNN speaker encoder without running the folder's YAML.

A ``spkrec-ecapa-voxceleb`` folder ships ``hyperparams.yaml`` for HyperPyYAML, whose tags
(``!apply:``, ``!name:``, ``!new:<any callable>``) run code on load. Here the YAML is parsed with
a safe loader that records tags instead of executing them; only the known classes of that model
may appear, and only plain scalars (or ``!ref <key>`` to a plain scalar) are read for the values
needed. The modules are then built from known classes and ``embedding_model.ckpt`` is read as
tensors only. Anything else is refused unless the user passed ``--trust-remote-checkpoints``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml

from bench.trust import refusal, safe_torch_load

KNOWN_CLASSES = {
    "compute_features": "speechbrain.lobes.features.Fbank",
    "mean_var_norm": "speechbrain.processing.features.InputNormalization",
    "embedding_model": "speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN",
}
HARMLESS_CLASSES = frozenset({
    "speechbrain.lobes.models.ECAPA_TDNN.Classifier",
    "speechbrain.dataio.encoder.CategoricalEncoder",
    "speechbrain.utils.parameter_transfer.Pretrainer",
})
"""Classes the published yaml names for parts tokbench does not build (never instantiated)."""

DEFAULTS: dict[str, dict[str, Any]] = {
    # speechbrain/spkrec-ecapa-voxceleb hyperparams.yaml
    "compute_features": {"n_mels": 80},
    "mean_var_norm": {"norm_type": "sentence", "std_norm": False},
    "embedding_model": {"input_size": 80, "channels": [1024, 1024, 1024, 1024, 3072],
                        "kernel_sizes": [5, 3, 3, 3, 1], "dilations": [1, 2, 3, 4, 1],
                        "attention_channels": 128, "lin_neurons": 192},
}
ALLOWED_KEYS: dict[str, frozenset[str]] = {
    "compute_features": frozenset({"n_mels", "sample_rate", "n_fft", "win_length", "hop_length",
                                   "f_min", "f_max", "deltas", "context", "left_frames",
                                   "right_frames"}),
    "mean_var_norm": frozenset({"norm_type", "std_norm", "avoid_padding_norm"}),
    "embedding_model": frozenset({"input_size", "channels", "kernel_sizes", "dilations",
                                  "attention_channels", "lin_neurons", "res2net_scale",
                                  "se_channels", "global_context", "groups"}),
}
_REF = re.compile(r"^<([A-Za-z_][\w.]*)>$")


@dataclass
class _Tagged:
    """A HyperPyYAML tag kept as data: ``!new:cls`` -> kind 'new', target 'cls'."""

    kind: str
    target: str
    value: Any
    line: int


@dataclass
class EcapaConfig:
    """Keyword arguments of the three modules ``encode_batch`` uses."""

    features: dict[str, Any] = field(default_factory=dict)
    normalization: dict[str, Any] = field(default_factory=dict)
    embedding: dict[str, Any] = field(default_factory=dict)


class _RecordingLoader(yaml.SafeLoader):
    """SafeLoader that turns every ``!tag`` into a ``_Tagged`` record (nothing is called)."""


def _construct_tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> _Tagged:
    kind, _, target = suffix.partition(":")
    if isinstance(node, yaml.MappingNode):
        value: Any = loader.construct_mapping(node, deep=True)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_scalar(node)
    return _Tagged(kind, target, value, node.start_mark.line + 1)


_RecordingLoader.add_multi_constructor("!", _construct_tagged)


def _walk(value: Any) -> list[_Tagged]:
    found: list[_Tagged] = []
    if isinstance(value, _Tagged):
        found.append(value)
        found.extend(_walk(value.value))
    elif isinstance(value, dict):
        for item in value.values():
            found.extend(_walk(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_walk(item))
    return found


def _plain(value: Any, top: dict[str, Any], where: str, path: Path) -> Any:
    """A plain scalar / list of scalars, following ``!ref <key>`` to a top-level plain value."""
    if isinstance(value, _Tagged) and value.kind == "ref" and isinstance(value.value, str):
        match = _REF.match(value.value.strip())
        target = top.get(match.group(1)) if match else None
        if match is None or isinstance(target, (_Tagged, dict)) or target is None:
            raise refusal(path, f"{where}: !ref {value.value} is not a reference to a plain "
                                "value")
        value = target
    scalars = (int, float, bool, str)
    if isinstance(value, scalars) or (isinstance(value, list)
                                      and all(isinstance(v, scalars) for v in value)):
        return value
    raise refusal(path, f"{where} must be a plain number, string or list, got {value!r}")


def read_config(path: Path) -> EcapaConfig:
    """The module settings from ``hyperparams.yaml``, or ``UntrustedFileError`` naming the
    first tag that would run code (line number included)."""
    try:
        top = yaml.load(path.read_text(encoding="utf-8"), Loader=_RecordingLoader)  # SafeLoader
    except yaml.YAMLError as err:
        raise refusal(path, f"not plain YAML a safe loader can read ({err.__class__.__name__}: "
                            f"{str(err).splitlines()[0]})") from err
    if not isinstance(top, dict):
        raise refusal(path, "not a mapping of hyperparameters")
    for tag in _walk(top):
        allowed = tag.kind in {"ref", "copy"} or (
            tag.kind == "new" and (tag.target in KNOWN_CLASSES.values()
                                   or tag.target in HARMLESS_CLASSES))
        if not allowed:
            raise refusal(path, f"line {tag.line}: tag !{tag.kind}:{tag.target} would run code "
                                "when loaded (tokbench builds ECAPA-TDNN from known classes)")
    sections: dict[str, dict[str, Any]] = {}
    for key, cls in KNOWN_CLASSES.items():
        entry = top.get(key)
        settings = dict(DEFAULTS[key])
        if entry is not None:
            if not (isinstance(entry, _Tagged) and entry.kind == "new" and entry.target == cls):
                raise refusal(path, f"{key} must be !new:{cls}")
            given = entry.value if isinstance(entry.value, dict) else {}
            unknown = sorted(set(given) - ALLOWED_KEYS[key])
            if unknown:
                raise refusal(path, f"{key}: unsupported settings {unknown}")
            settings.update({k: _plain(v, top, f"{key}.{k}", path) for k, v in given.items()})
        sections[key] = settings
    return EcapaConfig(sections["compute_features"], sections["mean_var_norm"],
                       sections["embedding_model"])


class SafeEcapaEncoder(torch.nn.Module):
    """Fbank -> sentence mean normalisation -> ECAPA-TDNN, as ``EncoderClassifier.encode_batch``
    (``normalize=False``) computes them; output ``[B, 1, D]``."""

    def __init__(self, config: EcapaConfig) -> None:
        super().__init__()
        from speechbrain.lobes.features import Fbank
        from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN
        from speechbrain.processing.features import InputNormalization

        self.compute_features = Fbank(**config.features)
        self.mean_var_norm = InputNormalization(**config.normalization)
        self.embedding_model = ECAPA_TDNN(**config.embedding)

    def forward(self, wavs: torch.Tensor, relative_lengths: torch.Tensor) -> torch.Tensor:
        feats = self.compute_features(wavs.float())
        feats = self.mean_var_norm(feats, relative_lengths)
        return self.embedding_model(feats, relative_lengths)

    def encode_batch(self, wavs: torch.Tensor, relative_lengths: torch.Tensor) -> torch.Tensor:
        return self(wavs, relative_lengths)


def load_safe_encoder(folder: Path, device: torch.device) -> SafeEcapaEncoder:
    """Build from ``hyperparams.yaml`` values and load ``embedding_model.ckpt`` tensors only."""
    model = SafeEcapaEncoder(read_config(folder / "hyperparams.yaml"))
    state = safe_torch_load(folder / "embedding_model.ckpt")
    model.embedding_model.load_state_dict(state, strict=True)
    return model.to(device).eval()
