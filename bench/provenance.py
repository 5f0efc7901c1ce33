"""Where a run's numbers come from: code version, package versions and the device used."""

from __future__ import annotations

import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch

from bench.execution.allocator import current_setting

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TRACKED_PACKAGES = (
    "tokbench", "torch", "torchaudio", "numpy", "scipy", "soundfile", "pesq", "pystoi", "jiwer",
    "pandas", "matplotlib", "speechmos", "onnxruntime", "resemblyzer", "torchcrepe",
    "faster-whisper", "openai-whisper", "speechbrain", "transformers",
)


def git_commit(root: Path = PROJECT_ROOT) -> str:
    """HEAD commit of the checkout, ``+dirty`` if tracked files changed; 'unknown' without git."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "-uno"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that can change results (absent ones are omitted),
    plus this command line's trust switches (they decide which files may be loaded at all) and
    the process allocator setting (it changes speed, not values)."""
    found: dict[str, str] = user_trust()
    found["tokbench allocator"] = current_setting()  # bench.execution.allocator
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def user_trust() -> dict[str, str]:
    """The trust switches of this command line (``--trust-remote-checkpoints``,
    ``--allow-absolute-paths``), stored with the package versions so reports show them."""
    from bench.paths import absolute_paths_allowed
    from bench.trust import is_trusted

    return {"tokbench --trust-remote-checkpoints": "on" if is_trusted() else "off",
            "tokbench --allow-absolute-paths": "on" if absolute_paths_allowed() else "off"}


def resolve_device(requested: str = "auto") -> torch.device:
    """``auto`` picks CUDA when available; an explicit ``cuda`` without a GPU is an error."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {requested!r} requested but torch sees no CUDA device")
    return torch.device(requested)


def describe_device(device: torch.device) -> str:
    """Human-readable device: GPU name, or CPU model with thread count."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        return (f"cuda:{index} {props.name} ({props.total_memory / 2**30:.0f} GiB, "
                f"compute {props.major}.{props.minor}, CUDA {torch.version.cuda}, "
                f"torch {torch.__version__})")
    cpu = platform.processor() or platform.machine()
    threads = torch.get_num_threads()
    return f"cpu:{cpu} ({threads} torch threads), python {platform.python_version()}"
