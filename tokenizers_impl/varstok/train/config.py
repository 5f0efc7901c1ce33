"""The training config: an official-style LightningCLI YAML plus a ``data`` section of manifests.

Read keys (everything else is kept but unused)::

    seed_everything: 0
    data.init_args.train_params / val_params: SplitConfig fields (manifest, num_samples, ...)
    model.init_args: sample_rate, initial_learning_rate, num_warmup_steps, mel_loss_coeff,
        mrd_loss_coeff, pretrain_mel_steps, resume, resume_model,
        feature_extractor / backbone / head  (class_path + init_args, as in the official file)
        clustering: none | original | fixed     (tokbench: none = WavTokenizer objective)
        commit_loss_coeff: 1000                 (tokbench: the official hard-coded factor)
        discriminator: {mpd_channels: [...], mrd_channels: 64}  (tokbench: widths)
    trainer: max_steps, max_minutes, log_every_n_steps, val_check_interval, default_root_dir
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from tokenizers_impl.varstok.train.data import SplitConfig

CLUSTERING_CHOICES = ("none", "original", "fixed")


def _split(raw: dict[str, Any] | None) -> SplitConfig | None:
    if raw is None:
        return None
    known = {f.name for f in fields(SplitConfig)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"unknown data keys {sorted(unknown)}; expected some of {sorted(known)}")
    return SplitConfig(**raw)


@dataclass
class TrainConfig:
    """Parsed training config; ``model_config`` is the YAML's ``model`` mapping, untouched, so
    it can be written next to a checkpoint and read back by ``VARSTok.from_pretrained``."""

    model_config: dict[str, Any]
    train: SplitConfig
    val: SplitConfig | None
    seed: int = 0
    sample_rate: int = 24000
    initial_learning_rate: float = 2e-4
    num_warmup_steps: int = 0
    mel_loss_coeff: float = 45.0
    mrd_loss_coeff: float = 1.0
    commit_loss_coeff: float = 1000.0
    pretrain_mel_steps: int = 0
    clustering: str = "none"
    resume_model: str | None = None
    mpd_channels: tuple[int, ...] = (32, 128, 512, 1024, 1024)
    mrd_channels: int = 64
    max_steps: int = 1000
    max_minutes: float | None = None
    log_every_n_steps: int = 10
    val_check_interval: int | None = None
    default_root_dir: str = "runs/varstok_train"
    base_dir: Path = field(default_factory=Path.cwd)
    raw: dict[str, Any] = field(default_factory=dict)


def load_config(path: Path) -> TrainConfig:
    """Parse ``path``; relative data paths are resolved against the config's folder."""
    raw = yaml.safe_load(Path(path).read_text())
    if not isinstance(raw, dict) or "model" not in raw:
        raise ValueError(f"{path}: expected a LightningCLI-style mapping with a 'model' section")
    model = raw["model"]
    args = dict(model.get("init_args", {}))
    for part in ("feature_extractor", "backbone", "head"):
        if part not in args:
            raise ValueError(f"{path}: model.init_args.{part} is missing")
    data_args = (raw.get("data") or {}).get("init_args", raw.get("data") or {})
    if "train_params" not in data_args:
        raise ValueError(f"{path}: data.init_args.train_params is missing")
    clustering = str(args.get("clustering", "none") or "none")
    if clustering not in CLUSTERING_CHOICES:
        raise ValueError(f"clustering must be one of {CLUSTERING_CHOICES}, got {clustering!r}")
    disc = args.get("discriminator") or {}
    trainer = raw.get("trainer") or {}
    resume = args.get("resume_model") if args.get("resume", False) else None
    return TrainConfig(
        model_config=model,
        train=_split(data_args["train_params"]),  # type: ignore[arg-type]
        val=_split(data_args.get("val_params")),
        seed=int(raw.get("seed_everything", 0) or 0),
        sample_rate=int(args.get("sample_rate", 24000)),
        initial_learning_rate=float(args.get("initial_learning_rate", 2e-4)),
        num_warmup_steps=int(args.get("num_warmup_steps", 0)),
        mel_loss_coeff=float(args.get("mel_loss_coeff", 45.0)),
        mrd_loss_coeff=float(args.get("mrd_loss_coeff", 1.0)),
        commit_loss_coeff=float(args.get("commit_loss_coeff", 1000.0)),
        pretrain_mel_steps=int(args.get("pretrain_mel_steps", 0)),
        clustering=clustering,
        resume_model=str(resume) if resume else None,
        mpd_channels=tuple(int(c) for c in disc.get("mpd_channels", (32, 128, 512, 1024, 1024))),
        mrd_channels=int(disc.get("mrd_channels", 64)),
        max_steps=int(trainer.get("max_steps", 1000)),
        max_minutes=(float(trainer["max_minutes"]) if trainer.get("max_minutes") else None),
        log_every_n_steps=int(trainer.get("log_every_n_steps", 10)),
        val_check_interval=(int(trainer["val_check_interval"])
                            if trainer.get("val_check_interval") else None),
        default_root_dir=str(trainer.get("default_root_dir", "runs/varstok_train")),
        base_dir=Path(path).resolve().parent,
        raw=raw,
    )


def inference_config(cfg: TrainConfig) -> dict[str, Any]:
    """The config written next to a shipped checkpoint (official layout, data paths dropped)."""
    model = {"class_path": cfg.model_config.get("class_path", "decoder.experiment.WavTokenizer"),
             "init_args": dict(cfg.model_config.get("init_args", {}))}
    model["init_args"]["resume"] = False
    model["init_args"]["resume_model"] = None
    model["init_args"]["resume_config"] = None
    return {"seed_everything": cfg.seed, "model": model}
