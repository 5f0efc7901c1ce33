"""Training data: fixed-length 24 kHz segments cut from the clips of a tokbench manifest.

Mirrors the official recipe: each clip is peak-normalised to a random level in [-6, -1] dBFS
(a fixed -3 dBFS for validation), clips shorter than a segment are repeated to fill it, longer
ones give a random crop (the first segment for validation).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset

from bench.audio import load_audio
from bench.data.manifest import read_manifest


@dataclass(frozen=True)
class SplitConfig:
    """One split of the ``data`` config section; ``manifest`` is a tokbench JSONL manifest (or a
    list of them), ``filelist_path`` (the official format: one audio path per line) is accepted
    instead, and ``synthetic_seeds`` builds the espeak-ng set of ``bench.data.synth`` once per
    seed (6 languages x ``synthetic_per_language`` sentences each) under ``synthetic_dir``."""

    manifest: str | list[str] | None = None
    filelist_path: str | None = None
    synthetic_seeds: list[int] | None = None
    synthetic_per_language: int = 8
    synthetic_dir: str = "runs/synth"
    sampling_rate: int = 24000
    num_samples: int = 24000
    batch_size: int = 4
    num_workers: int = 0


def audio_paths(cfg: SplitConfig, base_dir: Path | None = None) -> list[Path]:
    """Resolve the audio files of a split (relative config paths are taken from ``base_dir``)."""
    base = base_dir or Path.cwd()
    if cfg.manifest:
        manifests = [cfg.manifest] if isinstance(cfg.manifest, str) else list(cfg.manifest)
        paths: list[Path] = []
        for name in manifests:
            manifest = Path(name) if Path(name).is_absolute() else base / name
            paths += [utt.resolved_path(manifest.parent) for utt in read_manifest(manifest)]
        return paths
    if cfg.filelist_path:
        filelist = Path(cfg.filelist_path)
        filelist = filelist if filelist.is_absolute() else base / filelist
        return [Path(line.strip()) for line in filelist.read_text().splitlines() if line.strip()]
    if cfg.synthetic_seeds:
        return [p for m in synthetic_manifests(cfg) for p in audio_paths(
            SplitConfig(manifest=str(m)), base)]
    raise ValueError("data split needs 'manifest' (tokbench JSONL), 'filelist_path' or "
                     "'synthetic_seeds'")


def synthetic_manifests(cfg: SplitConfig) -> list[Path]:
    """Build (or reuse, when already current) one synthetic espeak-ng set per seed."""
    from bench.data.synth import build_synthetic_set

    root = Path(cfg.synthetic_dir).resolve()  # relative: to the working directory (a cache)
    return [build_synthetic_set(root / f"seed{seed}_n{cfg.synthetic_per_language}",
                                per_language=cfg.synthetic_per_language,
                                sample_rate=cfg.sampling_rate, seed=int(seed))
            for seed in cfg.synthetic_seeds or []]


def peak_normalise(audio: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale so the absolute peak sits at ``gain_db`` dBFS; an all-zero clip is an error."""
    peak = float(np.abs(audio).max())
    if peak <= 0.0:
        raise ValueError("cannot normalise a silent clip")
    return (audio * (10.0 ** (gain_db / 20.0) / peak)).astype(np.float32)


def fit_segment(audio: np.ndarray, num_samples: int, rng: np.random.Generator | None
                ) -> np.ndarray:
    """Repeat a short clip up to ``num_samples``; crop a long one (random start if ``rng``)."""
    if audio.shape[0] < num_samples:
        reps = int(np.ceil(num_samples / audio.shape[0]))
        return np.tile(audio, reps)[:num_samples]
    start = 0 if rng is None else int(rng.integers(0, audio.shape[0] - num_samples + 1))
    return audio[start : start + num_samples]


class SegmentDataset(Dataset):
    """Clips held in memory (the tiny training sets fit); one random segment per access."""

    def __init__(self, paths: list[Path], sample_rate: int, num_samples: int, train: bool,
                 seed: int = 0) -> None:
        if not paths:
            raise ValueError("training split is empty")
        self.clips = [load_audio(p, sample_rate)[0] for p in paths]
        self.names = [str(p) for p in paths]
        silent = [n for n, c in zip(self.names, self.clips, strict=True) if not np.abs(c).max()]
        if silent:
            raise ValueError(f"silent clips cannot be normalised: {silent[:3]}")
        self.num_samples = num_samples
        self.train = train
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> torch.Tensor:
        gain = float(self.rng.uniform(-6.0, -1.0)) if self.train else -3.0
        audio = peak_normalise(self.clips[index], gain)
        segment = fit_segment(audio, self.num_samples, self.rng if self.train else None)
        return torch.from_numpy(np.ascontiguousarray(segment))


class ManifestDataModule(pl.LightningDataModule):
    """Train/validation loaders built from two :class:`SplitConfig`."""

    def __init__(self, train_params: SplitConfig, val_params: SplitConfig | None = None,
                 base_dir: Path | None = None, seed: int = 0) -> None:
        super().__init__()
        self.train_params = train_params
        self.val_params = val_params
        self.base_dir = base_dir
        self.seed = seed

    def _loader(self, cfg: SplitConfig, train: bool) -> DataLoader:
        dataset = SegmentDataset(audio_paths(cfg, self.base_dir), cfg.sampling_rate,
                                 cfg.num_samples, train=train, seed=self.seed)
        return DataLoader(dataset, batch_size=cfg.batch_size, shuffle=train,
                          num_workers=cfg.num_workers, drop_last=train and len(dataset) >=
                          cfg.batch_size)

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_params, train=True)

    def val_dataloader(self) -> DataLoader:
        if self.val_params is None:
            return []  # type: ignore[return-value]
        return self._loader(self.val_params, train=False)
