"""Known third-party warnings that say nothing about a run's numbers, filtered once.

They came back on every run and in every metric worker: ``pkg_resources is deprecated``
(webrtcvad, imported by resemblyzer), scipy's ``ndimage.morphology`` namespace (resemblyzer),
and the deprecation notices of librosa and its audioread backend. Only these exact sources are
silenced; numeric warnings (divide by zero, NaN) and everything else still show. Installed by
``bench/__init__.py``, so spawned metric workers get the same filters.
"""

from __future__ import annotations

import warnings

KNOWN_NOISE: tuple[tuple[str, str, type[Warning]], ...] = (
    # (message regex, module regex, category)
    (r"pkg_resources is deprecated", r"", UserWarning),
    (r"pkg_resources is deprecated", r"", DeprecationWarning),
    (r"Deprecated call to `pkg_resources", r"", DeprecationWarning),
    (r"Please import `\w+` from the `scipy\.ndimage` namespace", r"", DeprecationWarning),
    (r"", r"librosa(\.|$)", FutureWarning),
    (r"", r"librosa(\.|$)", DeprecationWarning),
    (r"", r"audioread(\.|$)", DeprecationWarning),
    (r"'(aifc|audioop|sunau)' is deprecated", r"", DeprecationWarning),
)


def install() -> None:
    """Add the filters (idempotent: ``warnings`` drops duplicate filters)."""
    for message, module, category in KNOWN_NOISE:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)
