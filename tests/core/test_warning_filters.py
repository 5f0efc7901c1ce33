"""The known third-party noise (pkg_resources, scipy.ndimage, librosa/audioread deprecations)
is filtered once for every process that imports bench, even with warnings forced on."""

from __future__ import annotations

import subprocess
import sys

import pytest

NOISY = """
import warnings
import bench  # installs the filters
warnings.warn("pkg_resources is deprecated as an API.", UserWarning)
warnings.warn_explicit("Please import `binary_dilation` from the `scipy.ndimage` namespace",
                       DeprecationWarning, "resemblyzer/audio.py", 1, module="resemblyzer.audio")
warnings.warn_explicit("old", FutureWarning, "librosa/core/audio.py", 1, module="librosa.core")
warnings.warn("divide by zero encountered in log10", RuntimeWarning)
"""


def test_known_noise_is_filtered_and_real_warnings_stay() -> None:
    out = subprocess.run([sys.executable, "-W", "always", "-c", NOISY], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pkg_resources" not in out.stderr
    assert "scipy.ndimage" not in out.stderr
    assert "FutureWarning" not in out.stderr
    assert "divide by zero" in out.stderr  # numeric warnings are never hidden


def test_real_imports_are_quiet() -> None:
    pytest.importorskip("resemblyzer")
    code = "import bench, resemblyzer, librosa"
    out = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    noise = [line for line in out.stderr.splitlines() if "Warning" in line]
    assert noise == []
