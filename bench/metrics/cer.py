"""Character error rate of Whisper transcripts of the reconstruction (spaces dropped for zh/ja)."""

from __future__ import annotations

from bench.metrics.base import MetricInfo
from bench.metrics.models.asr_metric import ErrorRateMetric
from bench.metrics.notes import ENGLISH_ONLY_NOTE


class CharacterErrorRate(ErrorRateMetric):
    """CER with Whisper's text normaliser; corpus CER = total edits / total reference chars."""

    info = MetricInfo(
        id="cer", needs_text=True, uses_gpu=True, sample_rate=16000, higher_is_better=False,
        unit="CER", version="1",
        protocol="Whisper (beam 5, temperature 0, language forced), Whisper normaliser, jiwer "
                 "character alignment (spaces removed for zh/ja)",
        model="Whisper (faster-whisper tiny.en by default on CPU, openai-whisper large-v3 on GPU)",
        notes=ENGLISH_ONLY_NOTE,
    )
    word_level = False
