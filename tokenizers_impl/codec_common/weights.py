"""Where a field codec's weights come from: a local folder, a Hugging Face hub id (through
``bench.weights``: env variable, ``$TOKBENCH_WEIGHTS_DIR``, HF cache, opt-in download, never with
``HF_HUB_OFFLINE=1``), or ``tiny``: a small seeded random model written once to a cache folder
(labelled untrained), so suites and tests run without downloads.

Finding weights only looks at files; nothing is built, so ``tokbench list`` stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.weights import WeightsNotFound, WeightSpec, resolve, unavailable

TINY = "tiny"
TINY_MARKER = "tokbench_tiny.json"
TINY_VERSION = "2"  # bump when how tiny models are written (init, calibration) changes
CACHE_ENV = "TOKBENCH_CACHE_DIR"
HF_WEIGHT_FILES = "model.safetensors|pytorch_model.bin"
SUITE_HINT = ("  - in a suite: `settings: {checkpoint: <folder or hub id>}`; `checkpoint: tiny` "
              "runs a random tiny model (untrained)")


@dataclass(frozen=True)
class CodecWeights:
    """A resolved checkpoint folder, where it came from, and whether it holds trained weights."""

    folder: Path
    source: str
    trained: bool
    label: str


def env_var_for(repo: str) -> str:
    """``facebook/encodec_24khz`` -> ``TOKBENCH_WEIGHTS_FACEBOOK_ENCODEC_24KHZ``."""
    return "TOKBENCH_WEIGHTS_" + re.sub(r"[^A-Za-z0-9]+", "_", repo).strip("_").upper()


def hub_spec(family: str, repo: str, required: tuple[str, ...]) -> WeightSpec:
    """The ``bench.weights`` record of one hub checkpoint of a codec family."""
    return WeightSpec(
        name=f"{family} checkpoint {repo}",
        env_var=env_var_for(repo),
        is_dir=True,
        required_files=required,
        subdir=f"{family}/{repo.replace('/', '--')}",
        hf_repo=repo,
    )


def _is_local(checkpoint: str) -> bool:
    path = Path(checkpoint).expanduser()
    return path.exists() or checkpoint.startswith((".", "/", "~")) or checkpoint.count("/") > 1


def _check_folder(family: str, folder: Path, required: tuple[str, ...]) -> Path:
    missing = [name for name in required
               if not any((folder / option).is_file() for option in name.split("|"))]
    if not folder.is_dir() or missing:
        what = "does not exist" if not folder.is_dir() else f"lacks {', '.join(missing)}"
        raise WeightsNotFound(
            f"{family}: checkpoint folder {folder} {what}; put "
            f"{', '.join(n.replace('|', ' or ') for n in required)} there (a save_pretrained "
            f"folder), or pass a Hugging Face hub id, or `checkpoint: {TINY}` for a random "
            "tiny model")
    return folder


def resolve_checkpoint(family: str, checkpoint: str | os.PathLike[str] | None, default: str,
                       required: tuple[str, ...],
                       write_tiny: Callable[[Path], None], tiny_key: str) -> CodecWeights:
    """The folder to load for ``checkpoint`` (None = the family's default hub id)."""
    text = str(checkpoint) if checkpoint else default
    if text == TINY:
        folder = tiny_folder(family, tiny_key, write_tiny)
        return CodecWeights(folder, "tiny random model", False, f"{TINY} ({folder})")
    if _is_local(text):
        folder = _check_folder(family, Path(text).expanduser(), required)
        return CodecWeights(folder, "local folder", not (folder / TINY_MARKER).is_file(), text)
    try:
        found = resolve(hub_spec(family, text, required))
    except WeightsNotFound as err:
        raise WeightsNotFound(f"{err}\n{SUITE_HINT}") from None
    return CodecWeights(found.path, found.source, not (found.path / TINY_MARKER).is_file(), text)


def availability(family: str, checkpoint: str | None, default: str,
                 required: tuple[str, ...]) -> str | None:
    """Why ``checkpoint`` cannot be loaded here, or None; file checks only, no download."""
    text = str(checkpoint) if checkpoint else default
    if text == TINY:
        return None
    if _is_local(text):
        try:
            _check_folder(family, Path(text).expanduser(), required)
        except WeightsNotFound as err:
            return str(err)
        return None
    reason = unavailable(hub_spec(family, text, required))
    return None if reason is None else f"{reason}\n{SUITE_HINT}"


def cache_root() -> Path:
    """``$TOKBENCH_CACHE_DIR`` or ``~/.cache/tokbench``."""
    root = os.environ.get(CACHE_ENV)
    return Path(root).expanduser() if root else Path.home() / ".cache" / "tokbench"


def tiny_folder(family: str, key: str, write_tiny: Callable[[Path], None]) -> Path:
    """The cached tiny model folder of ``family`` (written once, atomically)."""
    import transformers

    text = f"{key}|{TINY_VERSION}|{transformers.__version__}"
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    folder = cache_root() / "tiny" / f"{family}-{digest}"
    if (folder / TINY_MARKER).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{family}-", dir=folder.parent))
    try:
        write_tiny(tmp)
        mark_tiny(tmp, family)
        try:
            tmp.rename(folder)
        except OSError:  # another process wrote it first: keep theirs
            if not (folder / TINY_MARKER).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def mark_tiny(folder: Path, family: str) -> None:
    """Label a folder's weights as random (``TokenizerInfo.trained=False`` when loaded)."""
    (folder / TINY_MARKER).write_text(json.dumps(
        {"family": family, "weights": "random (seeded init), untrained"}) + "\n")
