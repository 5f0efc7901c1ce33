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

    def classes(self) -> tuple[type, type]:
        import transformers

        return getattr(transformers, self.model_class), getattr(transformers, self.config_class)

    def write_tiny(self, folder: Path, seed: int = 0) -> None:
        """Save a seeded random tiny model with ``save_pretrained`` (plus any preprocessor)."""
        model_cls, config_cls = self.classes()
        config = config_cls(**self.tiny_config)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = model_cls(config).eval()
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


def check_settings(family: str, unknown: dict[str, Any]) -> None:
    if unknown:
        raise TypeError(f"unknown {family} settings: {sorted(unknown)}")
