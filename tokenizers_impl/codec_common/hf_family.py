"""The part every transformers-backed codec family shares: a declaration (name, default hub id,
model class, tiny config) that resolves weights, builds the model and writes tiny models."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from bench.contract import TokenizerInfo
from tokenizers_impl.codec_common.weights import (
    HF_WEIGHT_FILES,
    CodecWeights,
    availability,
    resolve_checkpoint,
)


@dataclass(frozen=True)
class CodecFamily:
    """One codec family: ``model_class`` is imported lazily (transformers is an optional extra).

    ``tiny_config`` are keyword arguments of the family's config class for the random tiny
    model; ``required`` the files a checkpoint folder must hold.
    """

    name: str
    default_checkpoint: str
    model_class: str
    config_class: str
    tiny_config: dict[str, Any]
    required: tuple[str, ...] = ("config.json", HF_WEIGHT_FILES)
    extra_tiny: Callable[[Path, Any], None] | None = field(default=None, compare=False)
    probe: Callable[[Any], None] | None = field(default=None, compare=False)

    def classes(self) -> tuple[type, type]:
        import transformers

        transformers.utils.logging.disable_progress_bar()  # no per-load bars in run logs
        return getattr(transformers, self.model_class), getattr(transformers, self.config_class)

    def write_tiny(self, folder: Path, seed: int = 0) -> None:
        """Save a seeded random tiny model with ``save_pretrained`` (plus any preprocessor)."""
        model_cls, config_cls = self.classes()
        config = config_cls(**self.tiny_config)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = model_cls(config).eval()
            if self.probe is not None:
                calibrate(model, self.probe)
        model.save_pretrained(folder)
        if self.extra_tiny is not None:
            self.extra_tiny(folder, config)

    def weights(self, checkpoint: str | os.PathLike[str] | None) -> CodecWeights:
        return resolve_checkpoint(self.name, checkpoint, self.default_checkpoint, self.required,
                                  self.write_tiny, repr(sorted(self.tiny_config.items())))

    def availability(self, checkpoint: str | None = None) -> str | None:
        """Why the checkpoint is not usable here (None when it is); file checks only."""
        return availability(self.name, checkpoint, self.default_checkpoint, self.required)

    def load(self, checkpoint: str | os.PathLike[str] | None, trained: bool | None = None
             ) -> tuple[Any, CodecWeights, TokenizerInfo]:
        """(model in eval mode, where its weights came from, provenance record)."""
        found = self.weights(checkpoint)
        model_cls, _ = self.classes()
        model = model_cls.from_pretrained(str(found.folder)).eval()
        is_trained = found.trained if trained is None else bool(trained)
        notes = f"weights: {found.source}" + ("" if is_trained else "; random weights, untrained")
        info = TokenizerInfo(family=self.name, checkpoint=found.label, trained=is_trained,
                             notes=notes)
        return model, found, info


def probe_noise(seconds: float, sample_rate: int) -> torch.Tensor:
    """Seeded noise [1, 1, T] that a tiny model's quantiser is calibrated on."""
    gen = torch.Generator().manual_seed(1234)
    return 0.1 * torch.randn(1, 1, int(seconds * sample_rate), generator=gen)


def calibrate(model: torch.nn.Module, probe: Callable[[Any], None]) -> None:
    """Make a random model's quantiser emit varied ids, as training would have: EMA codebooks
    (EnCodec, Mimi, X-Codec start at zeros and are k-means initialised on the first batch) get
    entries sampled from the latents ``probe(model)`` produces, one residual layer at a time;
    an FSQ projection (X-Codec2, NeuCodec) is scaled so its inputs spread over the levels."""
    with torch.no_grad():
        codebooks = [m for m in model.modules() if type(m).__name__.endswith("EuclideanCodebook")]
        for module in codebooks:  # in residual order: each sees the residual of the ones before
            latents = _captured_input(model, probe, module, "quantize")
            rows = torch.randint(0, latents.shape[0], (module.codebook_size,))
            entries = latents[rows] + 0.01 * latents.std() * torch.randn(
                module.codebook_size, latents.shape[1])
            if hasattr(module, "embed_sum"):  # Mimi: embed = embed_sum / cluster_usage
                module.embed_sum.copy_(entries)
                module.cluster_usage.fill_(1.0)
                module._embed = None
            else:
                module.embed.copy_(entries)
                module.embed_avg.copy_(entries)
        fsq_in = getattr(getattr(model, "quantizer", None), "project_in", None)
        if isinstance(fsq_in, torch.nn.Linear):
            latents = _captured_input(model, probe, fsq_in, "forward")
            spread = float(latents.std()) * fsq_in.in_features ** 0.5
            fsq_in.weight.normal_(0.0, 1.0 / max(spread, 1e-12))


def _captured_input(model: torch.nn.Module, probe: Callable[[Any], None],
                    module: torch.nn.Module, method: str) -> torch.Tensor:
    """The first input ``module.<method>`` receives while ``probe(model)`` runs, as [N, D]."""
    seen: list[torch.Tensor] = []
    original = getattr(module, method)

    def record(hidden: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        if not seen:
            seen.append(hidden.detach().reshape(-1, hidden.shape[-1]).clone())
        return original(hidden, *args, **kwargs)
    setattr(module, method, record)
    try:
        probe(model)
    finally:
        delattr(module, method)  # back to the class method
    if not seen:
        raise RuntimeError(f"calibration probe never reached {type(module).__name__}")
    return seen[0]


BUILD_SETTINGS = ("checkpoint", "name", "device", "sample_rate", "trained")
"""Settings every field-codec ``build`` takes."""


def split_settings(family: str, settings: dict[str, Any], extra: tuple[str, ...] = ()
                   ) -> dict[str, Any]:
    """The common build settings plus ``extra`` ones (None when absent; ``device`` defaults to
    cpu); any other key is refused with the family's name."""
    rest = dict(settings)
    known = {key: rest.pop(key, None) for key in (*BUILD_SETTINGS, *extra)}
    check_settings(family, rest)
    known["device"] = known["device"] or "cpu"
    return known


def check_settings(family: str, unknown: dict[str, Any]) -> None:
    if unknown:
        raise TypeError(f"unknown {family} settings: {sorted(unknown)}")
