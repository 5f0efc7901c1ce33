"""Keep freed CPU tensor memory inside the process instead of handing it back to the OS.

glibc serves every block above its mmap threshold (at most 32 MiB) with fresh ``mmap`` pages and
unmaps them on ``free``, so each large CPU tensor pays its page faults again on every call. A
SEANet encoder makes dozens of 10-35 MiB activations per 10 s of 24 kHz audio: measured here, the
page faults were ~45 % of a full-size VARSTok encode. Turning ``mmap`` off and raising the trim
threshold lets the heap reuse those pages, which is what PyTorch's CPU performance guide gets by
preloading jemalloc or tcmalloc. Only where memory lives changes, never a value.

``TOKBENCH_ALLOCATOR=default`` leaves the allocator alone (``retain`` or unset: the setting above;
anything else is a usage error); the setting is recorded in provenance.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
TRIM_THRESHOLD_BYTES = 1 << 30  # freed memory beyond 1 GiB at the heap top still goes back
ENV = "TOKBENCH_ALLOCATOR"

_state: dict[str, str] = {}


def retain_freed_memory() -> str:
    """Apply the setting once per process; returns what was done, for provenance."""
    if "setting" in _state:
        return _state["setting"]
    _state["setting"] = setting = _apply()
    return setting


def _apply() -> str:
    choice = os.environ.get(ENV, "").strip().lower()
    if choice not in ("", "retain", "default"):
        raise ValueError(f"{ENV}={os.environ[ENV]!r}: use 'default' (glibc as it is) or "
                         "'retain' (keep freed pages, the default), or unset it")
    if choice == "default":
        return f"default ({ENV}=default)"
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return "default (not glibc)"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = libc.mallopt(M_MMAP_MAX, 0) == 1 and libc.mallopt(
            M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    except (OSError, AttributeError):
        return "default (mallopt unavailable)"
    if not ok:
        return "default (mallopt refused)"
    return "glibc heap: mmap off, trim threshold 1 GiB"


def current_setting() -> str:
    """What this process runs with (``retain_freed_memory`` not called: the default)."""
    return _state.get("setting", "default")
