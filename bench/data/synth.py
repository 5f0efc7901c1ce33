"""A small synthetic multilingual speech set made with espeak-ng, with known text.

It is the embedded default for the demo and the tests: it needs only the ``espeakng-loader``
wheel (libespeak-ng 1.52 and its voices), and the same call writes the same bytes every time.
Each utterance is synthesized at espeak-ng's native 22050 Hz, resampled with torchaudio and
stored as 16-bit WAV. ``synth_info.json`` records the engine version and a fingerprint of the
recipe; a re-run whose fingerprint and files match does nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.audio import resample
from bench.data.espeak import EspeakEngine, find_engine
from bench.data.manifest import Utterance, write_manifest
from bench.data.synth_texts import RATES_WPM, SENTENCES, VARIANTS, VOICES

GENERATOR_VERSION = "1"
DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "es", "zh", "ja")
MANIFEST_NAME = "manifest.jsonl"
INFO_NAME = "synth_info.json"
AUDIO_DIR = "wavs"


@dataclass(frozen=True)
class SynthItem:
    """One planned utterance: what to say, with which voice and speed."""

    id: str
    language: str
    text: str
    engine_input: str
    voice: str
    rate_wpm: int
    rand_seed: int


def plan_items(languages: tuple[str, ...], per_language: int, seed: int) -> list[SynthItem]:
    """The utterances to synthesize, chosen and voiced deterministically from ``seed``."""
    unknown = [lang for lang in languages if lang not in SENTENCES]
    if unknown:
        raise ValueError(f"no synthetic sentences for {unknown}; available: {sorted(SENTENCES)}")
    if len(set(languages)) != len(languages):
        raise ValueError(f"languages listed twice: {languages}")
    items: list[SynthItem] = []
    for lang in languages:
        pool = SENTENCES[lang]
        if not 1 <= per_language <= len(pool):
            raise ValueError(f"per_language must be 1..{len(pool)} for {lang}, got {per_language}")
        rng = random.Random(f"tokbench-synth:{seed}:{lang}")
        chosen = rng.sample(range(len(pool)), per_language)
        variant_offset = rng.randrange(len(VARIANTS))
        rate_offset = rng.randrange(len(RATES_WPM))
        for i, index in enumerate(chosen):
            utt_id = f"{lang}_{i:03d}"
            variant = VARIANTS[(i + variant_offset) % len(VARIANTS)]
            items.append(
                SynthItem(
                    id=utt_id,
                    language=lang,
                    text=pool[index].text,
                    engine_input=pool[index].engine_input,
                    voice=f"{VOICES[lang]}+{variant}",
                    rate_wpm=RATES_WPM[(i + rate_offset) % len(RATES_WPM)],
                    rand_seed=zlib.crc32(f"{seed}:{utt_id}".encode()),
                )
            )
    return items


def build_synthetic_set(
    out_dir: Path,
    languages: tuple[str, ...] = DEFAULT_LANGUAGES,
    per_language: int = 4,
    sample_rate: int = 24000,
    seed: int = 0,
) -> Path:
    """Write ``wavs/*.wav``, ``manifest.jsonl`` and ``synth_info.json`` into ``out_dir``.

    Returns the manifest path. Deterministic: the same arguments give the same bytes; when the
    stored fingerprint and file hashes already match, nothing is regenerated.
    """
    if sample_rate < 8000:
        raise ValueError(f"sample_rate {sample_rate} is too low for speech (min 8000 Hz)")
    out_dir = Path(out_dir)
    items = plan_items(tuple(languages), per_language, seed)
    engine = find_engine("wheel")
    version = engine.version()
    fingerprint = _fingerprint(items, sample_rate, seed, engine, version)
    manifest_path = out_dir / MANIFEST_NAME
    if _is_current(out_dir, fingerprint):
        return manifest_path

    (out_dir / AUDIO_DIR).mkdir(parents=True, exist_ok=True)
    rows: list[Utterance] = []
    hashes: dict[str, str] = {}
    native_rate = 0
    for item in items:
        samples, native_rate = engine.synthesize(
            item.engine_input, item.voice, item.rate_wpm, item.rand_seed
        )
        audio = _to_float(samples, native_rate, sample_rate, item)
        rel = f"{AUDIO_DIR}/{item.id}.wav"
        _write_wav_atomically(out_dir / rel, audio, sample_rate)
        hashes[rel] = _sha256(out_dir / rel)
        rows.append(
            Utterance(
                id=item.id,
                path=rel,
                text=item.text,
                language=item.language,
                speaker=f"espeak-ng:{item.voice}",
                duration=round(len(audio) / sample_rate, 6),
            )
        )
    write_manifest(manifest_path, rows)
    info = {
        "generator": "tokbench synthetic set",
        "generator_version": GENERATOR_VERSION,
        "engine": "espeak-ng",
        "engine_version": version,
        "engine_source": engine.source,
        "native_sample_rate": native_rate,
        "sample_rate": sample_rate,
        "resampler": "torchaudio.functional.resample (default sinc)",
        "seed": seed,
        "languages": list(languages),
        "per_language": per_language,
        "items": [asdict(item) for item in items],
        "fingerprint": fingerprint,
        "files": hashes | {MANIFEST_NAME: _sha256(manifest_path)},
    }
    info_tmp = out_dir / f".{INFO_NAME}.{os.getpid()}.tmp"
    info_tmp.write_text(
        json.dumps(info, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    os.replace(info_tmp, out_dir / INFO_NAME)  # written last: marks the set complete
    return manifest_path


def _write_wav_atomically(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Write beside ``path`` and rename, so a concurrent reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    sf.write(str(tmp), audio, sample_rate, subtype="PCM_16", format="WAV")
    os.replace(tmp, path)


def _to_float(
    samples: np.ndarray, native_rate: int, sample_rate: int, item: SynthItem
) -> np.ndarray:
    if samples.size == 0 or not np.any(samples):
        raise RuntimeError(f"espeak-ng produced no audio for {item.id} ({item.engine_input!r})")
    audio = samples.astype(np.float32) / 32768.0
    audio = resample(audio, native_rate, sample_rate)
    return np.clip(audio, -1.0, 32767.0 / 32768.0)


def _fingerprint(
    items: list[SynthItem], sample_rate: int, seed: int, engine: EspeakEngine, version: str
) -> str:
    recipe = {
        "generator_version": GENERATOR_VERSION,
        "engine_source": engine.source,
        "engine_version": version,
        "sample_rate": sample_rate,
        "seed": seed,
        "items": [asdict(item) for item in items],
    }
    blob = json.dumps(recipe, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def _is_current(out_dir: Path, fingerprint: str) -> bool:
    """True when ``out_dir`` already holds this recipe's files, unmodified."""
    info_path = out_dir / INFO_NAME
    if not info_path.exists():
        return False
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, OSError):
        return False
    if info.get("fingerprint") != fingerprint:
        return False
    files = info.get("files") or {}
    return bool(files) and all(
        (out_dir / rel).exists() and _sha256(out_dir / rel) == digest
        for rel, digest in files.items()
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
