"""A folder of already-decoded audio used as a tokenizer variant (published samples, another
team's decoder outputs).

Why a family and not an encoder: a folder has no encoder, so ``encode``/``decode`` raise and the
runner asks ``reconstruct(utterance)`` instead (``is_precomputed``); everything else (suites,
metrics, store, reports, ``tokbench reproduce``) treats it like any other variant.

Files are matched to manifest rows by utterance id, then by the row's path relative to the dataset
root (without extension), then by file name; wav, flac and mp3 (anything soundfile reads) at any
sample rate, read from the file. The hypothesis goes to the metrics at its own rate, exactly as
``tokbench score`` does; a file whose rate differs from the reference's is resampled by each metric
to its protocol rate and the decision is recorded. Files no utterance asked for are ignored and
listed by ``unused_files``. A folder carries no tokens, so rates are a declared nominal
``token_rate`` (and ``bits_per_token``), reported as "declared, not measured".

Suite example::

    variants:
      - name: wt75-published
        family: precomputed
        settings: {folder: demo/wavtokenizer_75, token_rate: 75, bits_per_token: 12}
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import torch

from bench.audio import load_audio
from bench.contract import TokenBatch, TokenizerInfo
from bench.data.manifest import Utterance

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".aiff", ".aif")
DECLARED = "declared, not measured"


class PrecomputedError(ValueError):
    """A folder that cannot serve as a precomputed variant, or a file that is not there."""


class PrecomputedReconstructions:
    """Decoded audio looked up per utterance; satisfies the Tokenizer attributes for the runner.

    sample_rate: the folder's most common file rate (informational; each file keeps its own)
    vocab_size:  2 ** bits_per_token when declared, else 1 (no token alphabet)
    frame_rate:  the declared token rate, else 0.0
    """

    precomputed = True

    def __init__(self, folder: Path, name: str, token_rate: float | None,
                 bits_per_token: float | None, info: TokenizerInfo) -> None:
        self.folder = folder
        self.name = name
        self.token_rate = token_rate
        self.bits_per_token = bits_per_token
        self.info = info
        self.files = _index(folder)
        self._by_stem = _unique_stems(self.files)
        self._used: set[Path] = set()
        rates = Counter(_rate(path) for path in self.files.values())
        self.sample_rate = int(rates.most_common(1)[0][0])
        self.vocab_size = round(2 ** bits_per_token) if bits_per_token else 1
        self.frame_rate = float(token_rate or 0.0)

    # -- what the runner calls ----------------------------------------------------------------
    def find(self, utt: Utterance) -> Path:
        """The file for ``utt`` (id, then relative path, then file name), or PrecomputedError."""
        candidates = [utt.id, Path(utt.path).with_suffix("").as_posix(), Path(utt.id).name,
                      Path(utt.path).stem]
        for key in candidates:
            path = self.files.get(key) or self._by_stem.get(key)
            if path is not None:
                return path
        raise PrecomputedError(f"no reconstruction for utterance {utt.id!r} in {self.folder} "
                               f"(looked for {sorted(set(candidates))} with suffixes "
                               f"{'/'.join(AUDIO_SUFFIXES)})")

    def reconstruct(self, utt: Utterance, reference_sr: int) -> tuple[np.ndarray, int,
                                                                         dict[str, Any]]:
        """(audio, its rate, decisions to record) for one utterance; raises when missing."""
        path = self.find(utt)
        audio, decisions = load_audio(path)
        self._used.add(path)
        record = {"hypothesis_file": str(path), "hypothesis_sr": decisions.source_sr,
                  "hypothesis_mixed_to_mono": decisions.mixed_to_mono}
        if decisions.source_sr != reference_sr:
            record["hypothesis_resampled"] = (
                f"{decisions.source_sr} Hz file vs {reference_sr} Hz reference: each metric "
                "resamples it to its protocol rate (as tokbench score)")
        return audio, decisions.source_sr, record

    def unused_files(self) -> list[str]:
        """Files in the folder that no utterance asked for so far (ignored, reported)."""
        return sorted(key for key, path in self.files.items() if path not in self._used)

    def rate_note(self) -> str:
        if self.token_rate is None:
            return "precomputed audio carries no tokens and no rate was declared"
        kbps = (f", {self.token_rate * self.bits_per_token / 1000:.3g} kbps"
                if self.bits_per_token else "")
        return f"precomputed: {self.token_rate:g} tok/s{kbps} ({DECLARED})"

    # -- the Tokenizer contract: a folder has no encoder ------------------------------------
    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        raise PrecomputedError("a precomputed variant has no encoder: the runner looks files "
                               "up with reconstruct(utterance)")

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        raise PrecomputedError("a precomputed variant has no decoder: the runner looks files "
                               "up with reconstruct(utterance)")

    def to(self, device: torch.device | str) -> PrecomputedReconstructions:
        return self


def is_precomputed(tok: object) -> bool:
    """True for variants whose reconstructions are files, not an encode/decode pass."""
    return getattr(tok, "precomputed", False) is True and hasattr(tok, "reconstruct")


def build(folder: str | Path | None = None, token_rate: float | None = None,
          bits_per_token: float | None = None, name: str | None = None,
          **unknown: Any) -> PrecomputedReconstructions:
    """Build from suite settings: ``folder`` (required), declared ``token_rate`` (tok/s) and
    ``bits_per_token`` (log2 of the vocabulary) for the rate columns."""
    if unknown:
        raise TypeError(f"unknown precomputed settings: {sorted(unknown)} "
                        "(known: folder, token_rate, bits_per_token, name)")
    if folder is None:
        raise PrecomputedError("precomputed needs settings.folder: a folder of decoded audio")
    for key, value in (("token_rate", token_rate), ("bits_per_token", bits_per_token)):
        if value is not None and (not isinstance(value, (int, float)) or value <= 0):
            raise PrecomputedError(f"precomputed {key} must be a positive number, got {value!r}")
    path = Path(folder).expanduser()
    notes = f"precomputed reconstructions from {path}"
    if token_rate is not None:
        notes += f"; declared rate {token_rate:g} tok/s ({DECLARED})"
    info = TokenizerInfo(family="precomputed", checkpoint=str(path), trained=True, notes=notes)
    return PrecomputedReconstructions(path, name or path.name, token_rate, bits_per_token, info)


def _index(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        raise PrecomputedError(f"precomputed folder {folder} not found")
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES:
            key = path.relative_to(folder).with_suffix("").as_posix()
            if key in found:
                raise PrecomputedError(f"{found[key]} and {path} have the same name in {folder}")
            found[key] = path
    if not found:
        raise PrecomputedError(f"no audio files ({'/'.join(AUDIO_SUFFIXES)}) under {folder}")
    return found


def _unique_stems(files: dict[str, Path]) -> dict[str, Path]:
    stems = Counter(path.stem for path in files.values())
    return {path.stem: path for path in files.values() if stems[path.stem] == 1}


def _rate(path: Path) -> int:
    try:
        return int(sf.info(str(path)).samplerate)
    except (sf.LibsndfileError, RuntimeError, OSError):
        return 0


def precomputed_outputs(tok: PrecomputedReconstructions, utterances: list[tuple[Utterance, int]]
                        ) -> list[tuple[None, None, float, np.ndarray, int, dict[str, Any]]
                                  | Exception]:
    """The runner's per-utterance outputs for a precomputed variant: (no tokens, no spans, no
    side bits, audio, its rate, decisions), or the exception that names the missing file."""
    out: list[tuple[None, None, float, np.ndarray, int, dict[str, Any]] | Exception] = []
    for utt, reference_sr in utterances:
        try:
            audio, rate, decisions = tok.reconstruct(utt, reference_sr)
        except Exception as err:  # missing or unreadable file: this utterance fails, not the run
            out.append(err)
            continue
        out.append((None, None, 0.0, audio, rate, decisions))
    return out
