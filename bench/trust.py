"""One trust switch for every checkpoint and model file tokbench reads.

By default every ``torch.load`` in tokbench reads tensors only (``weights_only=True``) and no
model YAML runs code. A file that needs more (a pickled Lightning checkpoint, a HyperPyYAML
``!apply:`` tag) is refused with one line naming the file and the CLI flag
``--trust-remote-checkpoints``. Trust comes only from the person running the command: the CLI
sets it (``set_trusted``); suite files cannot (``bench.suite`` rejects trust-like settings).

The switch is mirrored into ``TOKBENCH_TRUST_REMOTE_CHECKPOINTS`` so metric worker processes
(spawned, fresh interpreters) see the same decision; setting that variable yourself is the same
as passing the flag.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TRUST_FLAG = "--trust-remote-checkpoints"
TRUST_ENV = "TOKBENCH_TRUST_REMOTE_CHECKPOINTS"
TRUST_SETTING_KEYS = frozenset({"trust_checkpoint", "trust", "unsafe_pickle", "weights_only",
                                "trust_remote_code", "trust_remote_checkpoints"})
"""Setting names that would grant trust; a suite file may not use them (see ``bench.suite``)."""


class UntrustedFileError(RuntimeError):
    """A model file needs code execution (pickle, YAML tags) and trust was not granted."""


def is_trusted() -> bool:
    """True when the user passed ``--trust-remote-checkpoints`` (or set its variable)."""
    return os.environ.get(TRUST_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def set_trusted(enabled: bool) -> None:
    """Set by the CLI from its flag; inherited by worker processes through the environment."""
    if enabled:
        os.environ[TRUST_ENV] = "1"
    else:
        os.environ.pop(TRUST_ENV, None)


@contextmanager
def trusted(enabled: bool = True) -> Iterator[None]:
    """Temporarily grant (or withdraw) trust, restoring the previous state afterwards."""
    before = os.environ.get(TRUST_ENV)
    set_trusted(enabled)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(TRUST_ENV, None)
        else:
            os.environ[TRUST_ENV] = before


_NOT_A_CHECKPOINT = ("Unsupported operand", "invalid load key", "magic number")
"""Signs in torch's weights-only error that the file is not a pickle at all (not a trust issue)."""


class CheckpointReadError(ValueError):
    """A file that is not a readable torch checkpoint at all (trust would not help)."""


def _short(err: Exception) -> str:
    """The informative line of torch's weights-only error (not its weights_only=False advice)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("Unsupported", "invalid load key")):
            return line
    return lines[-1] if lines else type(err).__name__


def refusal(path: Path | str, what: str) -> UntrustedFileError:
    """The one-line refusal: which file, why, and the flag that allows it."""
    return UntrustedFileError(f"refused {path}: {what}; if you trust this file, rerun with "
                              f"{TRUST_FLAG}")


def safe_torch_load(path: Path | str, map_location: Any = "cpu", **kwargs: Any) -> Any:
    """``torch.load`` reading tensors only; pickled objects only with the user's trust.

    A file with pickled Python objects raises ``UntrustedFileError`` naming the file and the
    flag (torch's own message would tell users to pass ``weights_only=False``, which they
    cannot). Corrupt or missing files keep torch's error.
    """
    import torch

    kwargs.pop("weights_only", None)
    try:
        return torch.load(path, map_location=map_location, weights_only=True, **kwargs)
    except pickle.UnpicklingError as err:
        if any(sign in str(err) for sign in _NOT_A_CHECKPOINT):
            raise CheckpointReadError(f"cannot read {path} as a tensor checkpoint (corrupt, or "
                                      f"not a torch file): {_short(err)}") from err
        if not is_trusted():
            raise refusal(path, "it holds pickled Python objects, not only tensors, and "
                                "unpickling can run code") from err
    kwargs.pop("mmap", None)
    return torch.load(path, map_location=map_location, weights_only=False, **kwargs)


def provenance() -> dict[str, str]:
    """What the run's provenance records about trust (shown in the report header)."""
    return {"tokbench.trust_remote_checkpoints": "yes" if is_trusted() else "no"}
