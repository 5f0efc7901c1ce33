"""Drive libespeak-ng through ctypes: the bundled ``espeakng-loader`` wheel first, a system copy
second, each utterance in a fresh worker process so its audio is reproducible byte for byte."""

from __future__ import annotations

import ctypes.util
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WORKER = Path(__file__).with_name("_espeak_worker.py")
WORKER_TIMEOUT_S = 60


class EspeakError(RuntimeError):
    """libespeak-ng is missing or refused a request."""


@dataclass(frozen=True)
class EspeakEngine:
    """Where the library and its voice data live, and which kind of install it is."""

    library: str
    data_path: str | None
    source: str  # "espeakng-loader wheel" or "system"

    def synthesize(self, text: str, voice: str, rate_wpm: int, rand_seed: int) -> tuple[
        np.ndarray, int
    ]:
        """Speak ``text``; returns (int16 samples, native sample rate)."""
        header, payload = self._run(
            {
                "library": self.library,
                "data_path": self.data_path,
                "voice": voice,
                "text": text,
                "rate": int(rate_wpm),
                "rand_seed": int(rand_seed),
            }
        )
        samples = np.frombuffer(payload, dtype="<i2").astype(np.int16)
        if samples.size != header["samples"]:
            raise EspeakError(f"espeak worker sent {samples.size} of {header['samples']} samples")
        return samples, int(header["sample_rate"])

    def version(self) -> str:
        """The engine version reported by ``espeak_Info`` (e.g. ``1.52.0``)."""
        header, _ = self._run(
            {"library": self.library, "data_path": self.data_path, "voice": "en",
             "text": "", "rate": 175, "rand_seed": 0}
        )
        return str(header["version"])

    def _run(self, request: dict) -> tuple[dict, bytes]:
        try:
            done = subprocess.run(
                [sys.executable, str(WORKER)],
                input=json.dumps(request).encode(),
                capture_output=True,
                timeout=WORKER_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            raise EspeakError(f"espeak-ng worker timed out on {request['text']!r}") from err
        if done.returncode != 0 or b"\n" not in done.stdout:
            raise EspeakError(
                f"espeak-ng worker failed (exit {done.returncode}): "
                f"{done.stderr.decode(errors='replace').strip()[-500:]}"
            )
        head, _, payload = done.stdout.partition(b"\n")
        header = json.loads(head)
        if header.get("error"):
            raise EspeakError(header["error"])
        return header, payload


def find_engine(prefer: str = "wheel") -> EspeakEngine:
    """The espeak-ng to use: ``prefer="wheel"`` (deterministic, pinned 1.52) or ``"system"``."""
    order = ["wheel", "system"] if prefer == "wheel" else ["system", "wheel"]
    problems: list[str] = []
    for kind in order:
        engine = _wheel_engine(problems) if kind == "wheel" else _system_engine(problems)
        if engine is not None:
            return engine
    raise EspeakError("no usable espeak-ng: " + "; ".join(problems))


def _wheel_engine(problems: list[str]) -> EspeakEngine | None:
    try:
        import espeakng_loader
    except ImportError:
        problems.append("the espeakng-loader wheel is not installed")
        return None
    library = Path(espeakng_loader.get_library_path())
    try:
        data = espeakng_loader.get_data_path()
    except RuntimeError as err:
        problems.append(str(err))
        return None
    if not library.exists():
        problems.append(f"{library} is missing")
        return None
    return EspeakEngine(str(library), data, "espeakng-loader wheel")


def _system_engine(problems: list[str]) -> EspeakEngine | None:
    name = ctypes.util.find_library("espeak-ng")
    if not name:
        problems.append("no system libespeak-ng found")
        return None
    return EspeakEngine(name, None, "system")
