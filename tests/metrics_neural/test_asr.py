"""WER/CER: espeak English through the packaged faster-whisper tiny.en, language handling,
Whisper normalisation, corpus-level rates and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from bench.metrics.base import MetricInput, MetricValue
from bench.metrics.cer import CharacterErrorRate
from bench.metrics.models import asr
from bench.metrics.models.asr import UnsupportedLanguage, language_code
from bench.metrics.models.asr_metric import count_edits
from bench.metrics.wer import WordErrorRate


def items_from(speech: list[tuple[np.ndarray, int, str]]) -> list[MetricInput]:
    return [MetricInput(f"u{i}", hypothesis=audio, hypothesis_sr=sr, text=text, language="en")
            for i, (audio, sr, text) in enumerate(speech)]


def test_espeak_english_under_tiny_en(espeak_english) -> None:
    metric = WordErrorRate(model="tiny.en")
    assert metric.info.model.startswith("faster-whisper tiny.en")
    assert metric.info.version == "1:faster-whisper:tiny.en"
    items = items_from(espeak_english)
    values = metric.compute(items)
    assert all(v.ok for v in values)
    corpus = metric.corpus(items, values)["corpus_wer"].value
    assert corpus < 0.5
    cer = CharacterErrorRate(model="tiny.en")
    cer_values = cer.compute(items)
    assert all(0.0 <= v.value < 0.5 for v in cer_values)
    assert cer.corpus(items, cer_values)["corpus_cer"].value < corpus + 1e-9


def test_transcripts_are_deterministic(espeak_english) -> None:
    items = items_from(espeak_english[:1])
    first = WordErrorRate(model="tiny.en").compute(items)[0].value
    asr._TRANSCRIPTS.clear()
    second = WordErrorRate(model="tiny.en", batch_size=1).compute(items)[0].value
    assert first == second


def test_language_rules(espeak_english) -> None:
    audio, sr, _ = espeak_english[0]
    items = [
        MetricInput("de", hypothesis=audio, hypothesis_sr=sr, text="Hallo Welt", language="de"),
        MetricInput("notext", hypothesis=audio, hypothesis_sr=sr, text="  ", language="en"),
        MetricInput("klingon", hypothesis=audio, hypothesis_sr=sr, text="x", language="tlh"),
        MetricInput("punct", hypothesis=audio, hypothesis_sr=sr, text="?!", language="en"),
        MetricInput("unknown", hypothesis=audio, hypothesis_sr=sr, text="hello", language=None),
    ]
    reasons = [v.reason for v in WordErrorRate(model="tiny.en").compute(items)]
    assert reasons[4].startswith("language unknown: ASR runs only on a known language")
    assert "English-only" in reasons[0] and "'de'" in reasons[0]
    assert reasons[1] == "no transcript for this utterance"
    assert reasons[2] == "Whisper has no language 'tlh'"
    assert reasons[3] == "transcript is empty after text normalisation"


def test_language_codes() -> None:
    for unknown in (None, "", "unknown"):  # never guessed as English
        with pytest.raises(UnsupportedLanguage, match="language unknown"):
            language_code(unknown)
    assert language_code("en-US") == "en"
    assert language_code("English") == "en"
    assert language_code("zh_CN") == "zh"
    with pytest.raises(UnsupportedLanguage):
        language_code("xx")


def test_corpus_rate_is_total_edits_over_total_words(monkeypatch) -> None:
    metric = WordErrorRate(model="tiny.en")
    transcripts = {"u0": "a x c", "u1": "e f"}
    monkeypatch.setattr(metric.transcriber, "transcribe",
                        lambda clips, codes: [transcripts["u0"], transcripts["u1"]][: len(clips)])
    audio = np.full(1600, 0.1, np.float32)
    items = [MetricInput("u0", hypothesis=audio, hypothesis_sr=16000, text="A, b c D.",
                         language="en"),
             MetricInput("u1", hypothesis=audio, hypothesis_sr=16000, text="e f", language="en")]
    values = metric.compute(items)
    assert [v.value for v in values] == [0.5, 0.0]
    assert metric.corpus(items, values)["corpus_wer"].value == pytest.approx(2 / 6)


def test_whisper_normaliser_and_character_units() -> None:
    metric = WordErrorRate(model="tiny.en")
    assert metric.prepare("Mr. Smith's 2 CATS!", "en") == "mister smith is 2 cats"
    assert metric.prepare("你好，世界。", "zh") == "你好世界"
    assert metric.unit_for("zh") == "char" and metric.unit_for("en") == "word"
    edits = count_edits("你好世界", "你们世界", "char")
    assert (edits.edits, edits.length) == (1, 4)


@pytest.mark.slow
def test_openai_whisper_backend_from_local_checkpoint(tmp_path, monkeypatch) -> None:
    """A tiny random Whisper saved as ``<name>.pt`` loads offline (weights_only) and decodes a
    padded batch exactly as clip by clip."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    from bench.metrics.models.asr import AsrChoice, WhisperTranscriber

    torch.manual_seed(0)
    dims = ModelDimensions(n_mels=80, n_audio_ctx=1500, n_audio_state=32, n_audio_head=2,
                           n_audio_layer=1, n_vocab=51865, n_text_ctx=448, n_text_state=32,
                           n_text_head=2, n_text_layer=1)
    path = tmp_path / "tiny-random.pt"
    torch.save({"dims": dims.__dict__, "model_state_dict": Whisper(dims).state_dict()}, path)
    monkeypatch.setattr(asr, "BEAM_SIZE", 1)  # a random model rambles; keep decoding short
    choice = AsrChoice("openai-whisper", "tiny-random", weights=str(path))
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal(n).astype(np.float32) * 0.1 for n in (8000, 16000)]
    together = WhisperTranscriber(choice, device="cpu", batch_size=2).transcribe(clips,
                                                                                 ["en", "en"])
    asr._TRANSCRIPTS.clear()
    alone = [WhisperTranscriber(choice, device="cpu", batch_size=1).transcribe([c], ["en"])[0]
             for c in clips]
    assert together == alone
    assert not choice.english_only


def test_corpus_needs_only_rates_and_transcripts() -> None:
    """The runner rebuilds corpus WER from stored rates and manifest text, with no audio."""
    metric = WordErrorRate(model="tiny.en")
    items = [MetricInput("u0", text="A, b c D.", language="en"),
             MetricInput("u1", text="e f", language="en"),
             MetricInput("u2", text="not scored")]  # no value, so its unknown language is moot
    values = [MetricValue(0.5), MetricValue(0.0), MetricValue.missing("decode failed")]
    assert metric.corpus(items, values)["corpus_wer"].value == pytest.approx(2 / 6)
