"""Common body of ``wer`` and ``cer``: transcribe the hypothesis with Whisper, normalise both
texts with Whisper's normaliser, align with jiwer, and sum edits for the corpus-level rate."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from bench.audio import resample
from bench.metrics.base import Metric, MetricInput, MetricValue, check_inputs
from bench.metrics.models.asr import (
    SAMPLE_RATE,
    AsrChoice,
    UnsupportedLanguage,
    WhisperTranscriber,
    default_backend,
    default_model_name,
    language_code,
)
from bench.weights import unavailable

CHARACTER_LANGUAGES = frozenset({"zh", "ja", "yue"})


@dataclass(frozen=True)
class EditCount:
    """Edits (S + D + I) against a reference of ``length`` units."""

    edits: int
    length: int

    @property
    def rate(self) -> float:
        return self.edits / self.length


def normalise(text: str, code: str) -> str:
    """Whisper's English normaliser for English, its basic normaliser otherwise."""
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

    if code == "en":
        return EnglishTextNormalizer()(text)
    return BasicTextNormalizer()(text)


def count_edits(reference: str, hypothesis: str, unit: str) -> EditCount:
    """jiwer alignment of normalised texts by word or by character."""
    import jiwer

    if unit == "word":
        out = jiwer.process_words(reference, hypothesis)
    else:
        out = jiwer.process_characters(reference, hypothesis)
    edits = out.substitutions + out.deletions + out.insertions
    return EditCount(edits, out.substitutions + out.deletions + out.hits)




class ErrorRateMetric(Metric):
    """Whisper error rate of the hypothesis against the utterance's transcript."""

    word_level: ClassVar[bool]

    def __init__(self, model: str | None = None, backend: str | None = None,
                 weights: str | None = None, device: str | None = None,
                 batch_size: int = 8) -> None:
        model_name = model or default_model_name()
        self.batch_size = int(batch_size)
        self.choice = AsrChoice(backend or default_backend(model_name), model_name, weights)
        self.transcriber = WhisperTranscriber(self.choice, device=device, batch_size=batch_size)
        base = type(self).info
        self.info = replace(base, model=f"{self.choice.label()} (Whisper)",
                            version=f"{base.version}:{self.choice.backend}:{model_name}",
                            notes=(f"{self.choice.label()} is English-only: utterances in other "
                                   "languages are recorded as missing (n per language in the "
                                   "report); set model: large-v3 (or another multilingual "
                                   "Whisper) to score them" if self.choice.english_only
                                   else ""))

    def unavailable_reason(self) -> str | None:
        try:
            import jiwer  # noqa: F401
            import whisper.normalizers  # noqa: F401
            if self.choice.backend == "faster-whisper":
                import faster_whisper  # noqa: F401
        except ImportError as err:
            return (f"{self.info.id} needs jiwer, openai-whisper and (for faster-whisper) "
                    f"faster-whisper: {err}")
        return unavailable(self.choice.spec(), self.choice.weights)

    def unit_for(self, code: str) -> str:
        """Words, except character-level for zh/ja (and always for CER)."""
        if self.word_level and code not in CHARACTER_LANGUAGES:
            return "word"
        return "char"

    def prepare(self, text: str, code: str) -> str:
        norm = normalise(text, code)
        if code in CHARACTER_LANGUAGES:
            norm = "".join(norm.split())
        return " ".join(norm.split())

    def edit_counts(self, items: list[MetricInput]) -> list[EditCount | str]:
        """Per item: edit counts, or the reason it cannot be scored."""
        out: list[EditCount | str | None] = [None] * len(items)
        pending: list[tuple[int, str]] = []
        clips = []
        for index, item in enumerate(items):
            problem = check_inputs(self.info, item)
            if problem:
                out[index] = problem
                continue
            try:
                code = language_code(item.language)
                self.transcriber.check_language(code)
            except UnsupportedLanguage as err:
                out[index] = str(err)
                continue
            pending.append((index, code))
            clips.append(resample(item.hypothesis, int(item.hypothesis_sr), SAMPLE_RATE))
        if clips:
            texts = self.transcriber.transcribe(clips, [code for _, code in pending])
            for (index, code), text in zip(pending, texts, strict=True):
                reference = self.prepare(str(items[index].text), code)
                if not reference:
                    out[index] = "transcript is empty after text normalisation"
                    continue
                out[index] = count_edits(reference, self.prepare(text, code), self.unit_for(code))
        return [value for value in out if value is not None]

    def compute(self, items: list[MetricInput]) -> list[MetricValue]:
        return [MetricValue.missing(c) if isinstance(c, str) else MetricValue(c.rate)
                for c in self.edit_counts(items)]

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        """Total edits / total reference units over the scored utterances.

        Rebuilt from the per-utterance rates and the transcripts alone (edits = rate × units of
        the normalised reference), so the runner can compute it from the store without audio.
        """
        edits = units = 0
        for item, value in zip(items, values, strict=True):
            if value.value is None or not item.text:
                continue
            code = language_code(item.language)
            reference = self.prepare(item.text, code)
            length = count_edits(reference, reference, self.unit_for(code)).length
            edits += round(value.value * length)
            units += length
        if units == 0:
            return {f"corpus_{self.info.id}": MetricValue.missing("no scorable utterance")}
        return {f"corpus_{self.info.id}": MetricValue(edits / units)}
