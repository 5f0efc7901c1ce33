"""Toy tokenizers and metrics for runner/report tests: exact, fast, and with known answers."""

from __future__ import annotations

import math
import os
import signal
import time
from typing import ClassVar

import numpy as np
import soundfile as sf
import torch

from bench.audio import resample
from bench.contract import TokenBatch, TokenizerInfo
from bench.data.manifest import Utterance, write_manifest
from bench.metrics.base import Metric, MetricInfo, MetricInput, MetricValue, truncate_to_shorter

MU = 255.0


class MuLawTokenizer:
    """8-bit μ-law: one token per sample, so tokens/s equals the sample rate exactly."""

    def __init__(self, sample_rate: int = 8000, trained: bool = True) -> None:
        self.name = f"mulaw-{sample_rate}"
        self.sample_rate = sample_rate
        self.vocab_size = 256
        self.frame_rate = float(sample_rate)
        self.info = TokenizerInfo(family="mulaw", checkpoint=None, trained=trained,
                                  notes="toy μ-law codec")

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        x = waveforms.clamp(-1, 1)
        y = torch.sign(x) * torch.log1p(MU * x.abs()) / math.log1p(MU)
        ids = torch.round((y + 1) / 2 * MU).long()
        return TokenBatch.from_sequences([ids[i, : int(n)] for i, n in enumerate(lengths)])

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        y = batch.tokens.clamp(min=0).float() / MU * 2 - 1
        x = torch.sign(y) * (torch.pow(1 + MU, y.abs()) - 1) / MU
        mask = batch.tokens != -1
        return x * mask, batch.lengths.clone()

    def to(self, device: torch.device | str) -> MuLawTokenizer:
        return self


class SpanTokenizer(MuLawTokenizer):
    """μ-law on blocks of 1 or 2 samples (alternating): a variable-rate toy with known spans."""

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        full = super().encode(waveforms, lengths)
        seqs, spans = [], []
        for i in range(full.batch_size):
            ids = full.item_tokens(i)
            pairs, rest = divmod(len(ids), 3)
            d = torch.tensor([1, 2] * pairs + [1] * rest, dtype=torch.long)
            starts = torch.cumsum(d, 0) - d
            seqs.append(ids[starts])
            spans.append(d)
        return TokenBatch.from_sequences(seqs, durations=spans)

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        seqs, lens = [], []
        for i in range(batch.batch_size):
            ids = batch.item_tokens(i)
            d = batch.item_durations(i)
            seqs.append(torch.repeat_interleave(ids, d))
            lens.append(int(d.sum()))
        expanded = TokenBatch.from_sequences(seqs)
        return super().decode(expanded)[0], torch.tensor(lens)


class NanOnLoudTokenizer(MuLawTokenizer):
    """NaN output for items reaching token 230 (peak ≳ 0.35): a per-utterance failure path."""

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        wavs, lens = super().decode(batch)
        for i in range(batch.batch_size):
            if int(batch.item_tokens(i).max()) >= 230:
                wavs[i] = float("nan")
        return wavs, lens


class HalfDecoder(MuLawTokenizer):
    """μ-law that returns only the first half of each reconstruction (a truncating decoder)."""

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        wavs, lens = super().decode(batch)
        return wavs, lens // 2


def broken_factory(**_: object) -> MuLawTokenizer:
    raise FileNotFoundError("weights not found at /nowhere/model.ckpt")


class ToySnr(Metric):
    """SNR in dB of hypothesis against reference (at the reference rate), shorter length."""

    info = MetricInfo(id="toy_snr", needs_reference=True, unit="dB", protocol="toy SNR")

    def compute_one(self, item: MetricInput) -> MetricValue:
        hyp = resample(item.hypothesis, item.hypothesis_sr, item.reference_sr)
        ref, hyp = truncate_to_shorter(item.reference, hyp)
        noise = float(np.sum((ref - hyp) ** 2))
        if noise == 0:
            return MetricValue.missing("identical signals: SNR is infinite")
        return MetricValue(10 * math.log10(float(np.sum(ref**2)) / noise))


class ToyRms(Metric):
    """RMS level in dBFS of the hypothesis: reference-free, so it gets a ground-truth row."""

    info = MetricInfo(id="toy_rms", unit="dBFS", protocol="toy RMS")
    calls: ClassVar[int] = 0

    def compute_one(self, item: MetricInput) -> MetricValue:
        ToyRms.calls += 1
        rms = float(np.sqrt(np.mean(item.hypothesis.astype(np.float64) ** 2)))
        return MetricValue(20 * math.log10(rms))


class ToyTextLength(Metric):
    """Characters of the transcript; its corpus summary reads only the transcripts, as corpus
    WER does (total edits / total words), so the runner must hand it the manifest text."""

    info = MetricInfo(id="toy_text_length", needs_text=True, protocol="toy text length")

    def compute_one(self, item: MetricInput) -> MetricValue:
        return MetricValue(float(len(str(item.text))))

    def corpus(self, items: list[MetricInput], values: list[MetricValue]) -> dict[str, MetricValue]:
        scored = [i for i, v in zip(items, values, strict=True) if v.ok]
        return {"total_chars": MetricValue(float(sum(len(str(i.text)) for i in scored)))}


class ToyCrash(Metric):
    """Peak level of the hypothesis, except that it segfaults its process on ``tone2``: the
    stand-in for a native library crash (pesq on long audio) that must be contained."""

    info = MetricInfo(id="toy_crash", needs_reference=True, protocol="toy segfault")
    native_crash_risk = True
    victim: ClassVar[str] = "tone2"

    def compute_one(self, item: MetricInput) -> MetricValue:
        if item.utt_id == self.victim:
            os.kill(os.getpid(), signal.SIGSEGV)
        return MetricValue(float(np.max(np.abs(item.hypothesis))))


def write_tone_set(root, sample_rate: int = 8000, n: int = 6, corrupt: bool = False):
    """``n`` sine tones of different lengths/levels (+ optional corrupt file) and a manifest."""
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        seconds = 0.5 + 0.25 * i
        t = np.arange(int(seconds * sample_rate)) / sample_rate
        amp = 0.2 + 0.1 * (i % 3)
        wav = (amp * np.sin(2 * np.pi * (220 + 40 * i) * t)).astype(np.float32)
        sf.write(root / f"tone{i}.wav", wav, sample_rate, subtype="FLOAT")
        rows.append(Utterance(id=f"tone{i}", path=f"tone{i}.wav", text="a tone",
                              language="en", duration=len(wav) / sample_rate))
    if corrupt:
        (root / "bad.wav").write_bytes(b"RIFF not really a wave file")
        rows.append(Utterance(id="bad", path="bad.wav", duration=1.0))
    write_manifest(root / "manifest.jsonl", rows)
    return root / "manifest.jsonl"


class SlowMuLawTokenizer(MuLawTokenizer):
    """μ-law that sleeps on each encode, so a test can kill the run mid-way."""

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        time.sleep(0.25)
        return super().encode(waveforms, lengths)


def register_toys() -> None:
    """Register the toy tokenizers and metrics under the names the tests' suites use."""
    from bench import registry

    registry.register_tokenizer("mulaw", lambda sample_rate=8000, trained=True:
                                MuLawTokenizer(sample_rate, trained))
    registry.register_tokenizer("mulaw_spans", lambda sample_rate=8000: SpanTokenizer(sample_rate))
    registry.register_tokenizer("mulaw_nan", lambda sample_rate=8000:
                                NanOnLoudTokenizer(sample_rate))
    registry.register_tokenizer("mulaw_slow", lambda: SlowMuLawTokenizer())
    registry.register_tokenizer("mulaw_half", lambda: HalfDecoder())
    registry.register_tokenizer("broken", broken_factory)
    registry.register_tokenizer("not_a_tokenizer", lambda: object())
    registry.register_metric("toy_snr", ToySnr)
    registry.register_metric("toy_rms", ToyRms)
    registry.register_metric("toy_text_length", ToyTextLength)
    registry.register_metric("toy_crash", ToyCrash)
