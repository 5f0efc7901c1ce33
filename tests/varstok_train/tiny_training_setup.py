"""Tiny random WavTokenizer/VARSTok training configs and sine clips, shared by the training
tests (imported by name: this folder is on sys.path under pytest's default import mode)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import yaml

SR = 24000

TINY_MODEL: dict[str, Any] = {
    "class_path": "decoder.experiment.WavTokenizer",
    "init_args": {
        "sample_rate": SR,
        "initial_learning_rate": 1e-3,
        "mel_loss_coeff": 45,
        "mrd_loss_coeff": 1.0,
        "num_warmup_steps": 0,
        "pretrain_mel_steps": 0,
        "clustering": "none",
        "resume": False,
        "resume_model": None,
        "discriminator": {"mpd_channels": [4, 8, 8, 8, 8], "mrd_channels": 8},
        "feature_extractor": {
            "class_path": "decoder.feature_extractors.EncodecFeatures",
            "init_args": {
                "encodec_model": "encodec_24khz", "bandwidths": [6.6, 6.6, 6.6, 6.6],
                "train_codebooks": True, "num_quantizers": 1, "dowmsamples": [8, 5, 4, 2],
                "vq_bins": 64, "vq_kmeans": 2, "n_filters": 4, "dimension": 32,
                "lstm_layers": 1, "seanet_decoder": False,
            },
        },
        "backbone": {
            "class_path": "decoder.models.VocosBackbone",
            "init_args": {"input_channels": 32, "dim": 32, "intermediate_dim": 64,
                          "num_layers": 1, "adanorm_num_embeddings": 4},
        },
        "head": {
            "class_path": "decoder.heads.ISTFTHead",
            "init_args": {"dim": 32, "n_fft": 1280, "hop_length": 320, "padding": "same"},
        },
    },
}


def sine_clip(freq: float, seconds: float, seed: int) -> np.ndarray:
    """A vibrato sine with a little noise (not silent, not trivially periodic)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    phase = 2 * np.pi * (freq * t + 3.0 * np.sin(2 * np.pi * 4 * t))
    return (0.4 * np.sin(phase) + 0.01 * rng.standard_normal(t.shape)).astype(np.float32)


def write_config(tmp_path: Path, manifest: Path, clustering: str = "none",
                 resume_model: Path | None = None, name: str = "train.yaml") -> Path:
    model = copy.deepcopy(TINY_MODEL)
    model["init_args"]["clustering"] = clustering
    if resume_model is not None:
        model["init_args"]["resume"] = True
        model["init_args"]["resume_model"] = str(resume_model)
    split = {"manifest": str(manifest), "sampling_rate": SR, "num_samples": 6400,
             "batch_size": 2, "num_workers": 0}
    config = {
        "seed_everything": 1,
        "data": {"init_args": {"train_params": split, "val_params": None}},
        "model": model,
        "trainer": {"max_steps": 2, "log_every_n_steps": 1},
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return path
