"""Locating and reading official-format config/checkpoint files (local path, folder or hub id).

A checkpoint spec is one of:
    ``/path/to/model.ckpt``            a file
    ``/path/to/folder``                a folder holding ``model.ckpt`` (and ``config.yaml``)
    ``owner/name`` or ``owner/name:file.ckpt``
                                       a Hugging Face Hub repo, resolved through the local hub cache
                                       with ``huggingface_hub.hf_hub_download`` (honours
                                       ``HF_HUB_OFFLINE=1``: then only the cache is used)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
import yaml

from bench.trust import safe_torch_load

KEEP_PREFIXES = ("feature_extractor.", "backbone.", "head.")
DEFAULT_CHECKPOINT = "model.ckpt"
DEFAULT_CONFIG = "config.yaml"


class CheckpointNotFoundError(FileNotFoundError):
    """A config/checkpoint could not be found; the message says what to put where."""


def _looks_like_hub_id(spec: str) -> bool:
    repo = spec.split(":", 1)[0]
    parts = repo.split("/")
    return len(parts) == 2 and all(parts) and not spec.startswith((".", "/", "~"))


def _hub_download(repo_id: str, filename: str, cache_dir: str | None) -> Path:
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as exc:  # pragma: no cover - dependency declared in pyproject
        raise CheckpointNotFoundError(
            f"huggingface_hub is needed to fetch {repo_id}:{filename}") from exc
    try:
        return Path(hf_hub_download(repo_id=repo_id, filename=filename, cache_dir=cache_dir))
    except Exception as exc:
        offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0", "false", "False")
        raise CheckpointNotFoundError(
            f"could not get '{filename}' of hub repo '{repo_id}'"
            f"{' (HF_HUB_OFFLINE is set, only the local cache was searched)' if offline else ''}: "
            f"{type(exc).__name__}: {exc}. Download it where the network allows "
            f"(huggingface-cli download {repo_id} {filename}) so it lands in the hub cache, or "
            f"pass a local path / folder holding '{filename}' instead."
        ) from exc


def resolve_file(spec: str | os.PathLike[str], default_name: str, what: str,
                 cache_dir: str | None = None) -> Path:
    """Turn a file / folder / hub-id spec into an existing local file path."""
    text = str(spec)
    path = Path(text).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        candidate = path / default_name
        if candidate.is_file():
            return candidate
        raise CheckpointNotFoundError(
            f"{what}: folder {path} has no '{default_name}'. Put the {what} file there as "
            f"{candidate}, or pass the file path directly.")
    if _looks_like_hub_id(text) and not path.exists():
        repo_id, _, filename = text.partition(":")
        return _hub_download(repo_id, filename or default_name, cache_dir)
    raise CheckpointNotFoundError(
        f"{what}: '{text}' does not exist. Pass an existing file, a folder holding "
        f"'{default_name}', or a hub id 'owner/name[:file]'.")


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a LightningCLI YAML and return ``model.init_args`` (feature_extractor/backbone/head)."""
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    try:
        init = config["model"]["init_args"]
        for part in ("feature_extractor", "backbone", "head"):
            init[part]["init_args"]
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"{path}: expected LightningCLI layout model.init_args.<feature_extractor|backbone|"
            f"head>.init_args") from exc
    return init


def load_state_dict(
    path: str | os.PathLike[str]
) -> dict[str, torch.Tensor]:
    """Read a Lightning checkpoint, keep tokenizer keys only, cast floating tensors to float32."""
    raw = safe_torch_load(path)
    state = raw.get("state_dict", raw) if isinstance(raw, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{path}: not a checkpoint with a 'state_dict'")
    kept = {k: v for k, v in state.items() if k.startswith(KEEP_PREFIXES)}
    if not kept:
        raise ValueError(f"{path}: no keys start with {KEEP_PREFIXES}")
    return {k: (v.float() if v.is_floating_point() else v) for k, v in kept.items()}
