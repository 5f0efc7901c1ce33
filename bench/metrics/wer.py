"""Word error rate of Whisper transcripts of the reconstruction (character-level for zh/ja)."""

from __future__ import annotations

from bench.metrics.base import MetricInfo
from bench.metrics.models.asr_metric import ErrorRateMetric
from bench.metrics.notes import ENGLISH_ONLY_NOTE


class WordErrorRate(ErrorRateMetric):
    """WER with Whisper's text normaliser; corpus WER = total edits / total reference words."""

    info = MetricInfo(
        id="wer", needs_text=True, uses_gpu=True, sample_rate=16000, higher_is_better=False,
        unit="WER", version="1",
        protocol="Whisper (beam 5, temperature 0, language forced; large-v3 on GPU, packaged "
                 "faster-whisper tiny.en on CPU unless configured), Whisper EnglishTextNormalizer "
                 "(basic normaliser for other languages), jiwer alignment; zh/ja scored per "
                 "character",
        model="Whisper (faster-whisper tiny.en by default on CPU, openai-whisper large-v3 on GPU)",
        notes=ENGLISH_ONLY_NOTE,
    )
    word_level = True
