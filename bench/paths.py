"""Path safety: names that become file names, outputs that stay in their folder, audio paths
that stay in their dataset.

- ``check_slug``: suite, dataset and variant names become file names, so they must be safe slugs
  (letters, digits, ``. _ + -``; not ``.``/``..``; no separators).
- ``safe_join(root, *parts)``: the joined path, or ``UnsafePathError`` when it would leave ``root``.
- ``audio_path(path, root)``: a manifest row's audio file resolved against the manifest folder;
  paths that leave the dataset root are refused unless the user passed ``--allow-absolute-paths``
  (mirrored into ``TOKBENCH_ALLOW_ABSOLUTE_PATHS``); devices, FIFOs and sockets are always refused
  (reading a FIFO blocks forever).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

ALLOW_ABSOLUTE_FLAG = "--allow-absolute-paths"
ALLOW_ABSOLUTE_ENV = "TOKBENCH_ALLOW_ABSOLUTE_PATHS"
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
RECONSTRUCTIONS_DIR = "tokbench_audio"
"""Folder beside a store where a run keeps its decoded audio; dataset builders never list it,
so a store kept inside a data folder does not turn its own outputs into utterances."""

_dataset_roots: set[Path] = set()


class UnsafePathError(ValueError):
    """A name or path that would read or write outside where it belongs."""


def is_slug(name: object) -> bool:
    return isinstance(name, str) and bool(_SLUG.match(name)) and name not in {".", ".."}


def check_slug(name: object, what: str) -> str | None:
    """None when ``name`` is a safe file-name slug, else the problem in one line."""
    if is_slug(name):
        return None
    return (f"{what} {name!r} is not a safe name: use letters, digits and . _ + - "
            "(starting with a letter or digit, at most 128 characters)")


def safe_join(root: Path | str, *parts: str | Path) -> Path:
    """``root / parts``; raises ``UnsafePathError`` if the result is not inside ``root``."""
    base = Path(root)
    joined = base.joinpath(*parts)
    real_base = Path(os.path.realpath(base))
    real = Path(os.path.realpath(joined))
    if real != real_base and not real.is_relative_to(real_base):
        raise UnsafePathError(f"refusing to write {joined}: it is outside the output folder "
                              f"{base}")
    return joined


def absolute_paths_allowed() -> bool:
    return os.environ.get(ALLOW_ABSOLUTE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def set_absolute_paths_allowed(enabled: bool) -> None:
    """Set by the CLI from ``--allow-absolute-paths``; inherited by worker processes."""
    if enabled:
        os.environ[ALLOW_ABSOLUTE_ENV] = "1"
    else:
        os.environ.pop(ALLOW_ABSOLUTE_ENV, None)


def register_dataset_root(folder: Path | str) -> None:
    """Allow audio under ``folder`` for manifests tokbench built itself from that folder (a
    suite's folder/LibriTTS builder writes its manifest into the cache, away from the audio)."""
    _dataset_roots.add(Path(os.path.realpath(folder)))


def registered_dataset_roots() -> list[str]:
    """The folders ``register_dataset_root`` allowed in this process (sent to engine workers)."""
    return sorted(str(p) for p in _dataset_roots)


def check_regular_file(path: Path | str) -> None:
    """Refuse devices, FIFOs and sockets (missing files are left to the reader's own error)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
                or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a folder" if stat.S_ISDIR(mode) else "not a regular file")
        raise UnsafePathError(f"refusing {path}: it is {kind}, not an audio file")


def audio_path(path: str | Path, root: Path | str) -> Path:
    """A manifest's audio path resolved against ``root`` (the manifest's folder), checked."""
    given = Path(path).expanduser()
    full = given if given.is_absolute() else Path(root) / given
    if not absolute_paths_allowed():
        real = Path(os.path.realpath(full))
        roots = {Path(os.path.realpath(root)), *_dataset_roots}
        if not any(real == r or real.is_relative_to(r) for r in roots):
            raise UnsafePathError(
                f"refusing audio path {path}: it is outside the dataset folder {root}; if you "
                f"mean it, rerun with {ALLOW_ABSOLUTE_FLAG}")
    check_regular_file(full)
    return full
