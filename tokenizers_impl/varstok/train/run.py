"""One training run: build the model from the config, optionally initialise it from a
checkpoint, fit with Lightning on CPU/GPU, and write official-layout checkpoints."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
import yaml

from tokenizers_impl.varstok.train.checkpoint import (
    DISCRIMINATOR_PREFIXES,
    TOKENIZER_PREFIXES,
    export_shipped,
    lightning_payload,
    load_state_dict,
)
from tokenizers_impl.varstok.train.config import TrainConfig, inference_config
from tokenizers_impl.varstok.train.data import ManifestDataModule
from tokenizers_impl.varstok.train.module import CodecGanModule
from tokenizers_impl.varstok.train.parts import build_parts, num_bandwidths

log = logging.getLogger(__name__)


def build_module(cfg: TrainConfig, total_steps: int | None = None) -> CodecGanModule:
    """Model + discriminators from the config, initialised from ``cfg.resume_model`` if set."""
    feature_extractor, backbone, head = build_parts(cfg.model_config, cfg.clustering)
    module = CodecGanModule(
        feature_extractor, backbone, head,
        sample_rate=cfg.sample_rate,
        initial_learning_rate=cfg.initial_learning_rate,
        num_warmup_steps=cfg.num_warmup_steps,
        mel_loss_coeff=cfg.mel_loss_coeff,
        mrd_loss_coeff=cfg.mrd_loss_coeff,
        commit_loss_coeff=cfg.commit_loss_coeff,
        pretrain_mel_steps=cfg.pretrain_mel_steps,
        num_bandwidths=num_bandwidths(cfg.model_config),
        mpd_channels=cfg.mpd_channels,
        mrd_channels=cfg.mrd_channels,
        total_steps=total_steps or cfg.max_steps,
    )
    if cfg.resume_model:
        initialise_from(module, Path(cfg.resume_model))
    return module


def initialise_from(module: CodecGanModule, checkpoint: Path) -> dict[str, bool]:
    """Load tokenizer weights strictly; discriminator weights too when the checkpoint has them
    with matching shapes (otherwise the discriminators start fresh, as is logged)."""
    tok = load_state_dict(checkpoint, TOKENIZER_PREFIXES)
    own = module.state_dict()
    missing = [k for k in own if k.startswith(TOKENIZER_PREFIXES) and k not in tok]
    unexpected = [k for k in tok if k not in own]
    if missing or unexpected:
        raise ValueError(f"{checkpoint}: tokenizer keys differ from the config's model "
                         f"(missing {missing[:5]}, unexpected {unexpected[:5]})")
    disc = load_state_dict(checkpoint, DISCRIMINATOR_PREFIXES)
    disc_ok = bool(disc) and all(k in own and own[k].shape == v.shape for k, v in disc.items()) \
        and all(k in disc for k in own if k.startswith(DISCRIMINATOR_PREFIXES))
    merged = {**tok, **(disc if disc_ok else {})}
    module.load_state_dict(merged, strict=False)
    if not disc_ok:
        log.warning("%s: no matching discriminator weights; discriminators start fresh",
                    checkpoint)
    return {"tokenizer": True, "discriminators": disc_ok}


def hyper_parameters(cfg: TrainConfig) -> dict[str, Any]:
    return {
        "sample_rate": cfg.sample_rate, "initial_learning_rate": cfg.initial_learning_rate,
        "num_warmup_steps": cfg.num_warmup_steps, "mel_loss_coeff": cfg.mel_loss_coeff,
        "mrd_loss_coeff": cfg.mrd_loss_coeff, "commit_loss_coeff": cfg.commit_loss_coeff,
        "pretrain_mel_steps": cfg.pretrain_mel_steps, "clustering": cfg.clustering,
        "resume_model": cfg.resume_model,
    }


def save_training_checkpoint(module: CodecGanModule, cfg: TrainConfig, path: Path,
                             epoch: int = 0) -> Path:
    """Full official-layout checkpoint (tokenizer + discriminator weights, float32)."""
    state = {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(lightning_payload(state, module.step_count, epoch, hyper_parameters(cfg)), path)
    return path


class _StopAtSteps(pl.Callback):
    """Stops after ``steps`` generator updates (Lightning counts both optimisers' steps)."""

    def __init__(self, steps: int) -> None:
        self.steps = steps

    def on_train_batch_end(self, trainer: pl.Trainer, module: pl.LightningModule, *args: Any
                           ) -> None:
        if module.step_count >= self.steps:  # type: ignore[operator]
            trainer.should_stop = True


def train(cfg: TrainConfig, out_dir: Path, max_steps: int | None = None,
          max_minutes: float | None = None, export_dir: Path | None = None) -> dict[str, Any]:
    """Fit and write ``out_dir/last.ckpt`` (+ ``history.json``, ``config.yaml``); with
    ``export_dir`` also the shipped float16 ``model.ckpt`` and ``config.yaml`` there."""
    steps = max_steps or cfg.max_steps
    minutes = max_minutes if max_minutes is not None else cfg.max_minutes
    pl.seed_everything(cfg.seed, workers=True)
    module = build_module(cfg, total_steps=steps)
    data = ManifestDataModule(cfg.train, cfg.val, base_dir=cfg.base_dir, seed=cfg.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    trainer = pl.Trainer(
        max_steps=2 * steps + 2,
        max_epochs=-1,
        max_time={"minutes": minutes} if minutes else None,
        accelerator="auto", devices=1,
        logger=pl.loggers.CSVLogger(str(out_dir), name="logs"),
        callbacks=[_StopAtSteps(steps)],
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        log_every_n_steps=cfg.log_every_n_steps,
        val_check_interval=cfg.val_check_interval,
        check_val_every_n_epoch=None if cfg.val_check_interval else 1,
        limit_val_batches=None if cfg.val is not None else 0,
        num_sanity_val_steps=0,
        default_root_dir=str(out_dir),
    )
    start = time.monotonic()
    trainer.fit(module, datamodule=data)
    wall = time.monotonic() - start
    ckpt = save_training_checkpoint(module.cpu(), cfg, out_dir / "last.ckpt", trainer.current_epoch)
    (out_dir / "config.yaml").write_text(yaml.safe_dump(inference_config(cfg), sort_keys=False))
    summary = {"steps": module.step_count, "wall_seconds": round(wall, 1),
               "final": module.history[-1] if module.history else {},
               "checkpoint": str(ckpt)}
    (out_dir / "history.json").write_text(json.dumps({"summary": summary,
                                                      "history": module.history}, indent=1))
    if export_dir is not None:
        export_dir.mkdir(parents=True, exist_ok=True)
        export_shipped(ckpt, export_dir / "model.ckpt")
        (export_dir / "config.yaml").write_text(
            yaml.safe_dump(inference_config(cfg), sort_keys=False))
        summary["exported"] = str(export_dir / "model.ckpt")
    return summary
