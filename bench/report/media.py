"""The report's audio: saved FLAC files copied next to ``index.html``, a small spectrogram PNG
per file and, for variable-rate tokenizers, a span timeline drawn over the waveform.

Everything is drawn from the stored files and spans alone (numpy + Pillow), never a model.
"""

from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from matplotlib import colormaps
from PIL import Image, ImageDraw

from bench.store import Store

SPEC_SIZE = (240, 64)
"""Spectrogram thumbnail width × height in pixels (small: one per audio file)."""
TIMELINE_SIZE = (480, 56)


@dataclass
class AudioEntry:
    """One saved file as the report links it (paths relative to the report folder)."""

    dataset: str
    variant: str
    utterance: str
    src: str
    sample_rate: int
    frames: int
    extra: dict[str, Any] = field(default_factory=dict)
    spectrogram: str | None = None
    timeline: str | None = None

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def copy_audio(store: Store, run_id: int, out_dir: Path, budget_mb: float | None = None
               ) -> tuple[dict[tuple[str, str, str], AudioEntry], list[str]]:
    """Copy the run's saved files under ``out_dir/audio`` (within ``budget_mb`` when given);
    returns the entries by (dataset, variant, utterance) and one line per problem."""
    root = Path(store.path).parent
    entries: dict[tuple[str, str, str], AudioEntry] = {}
    problems: list[str] = []
    used = 0
    rows = sorted(store.table("audio_files", run_id),
                  key=lambda r: (r["dataset"], r["utterance"], r["variant"]))
    missing = 0
    for row in rows:
        source = root / row["path"]
        if not source.is_file():
            missing += 1
            continue
        if budget_mb is not None and used + int(row["bytes"]) > budget_mb * 1e6:
            problems.append(f"report audio budget of {budget_mb:g} MB reached: later files "
                            "are not copied")
            break
        rel = Path("audio", *Path(row["path"]).parts[2:])  # drop tokbench_audio/run<id>/
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        src_stat = source.stat()
        if not (target.exists() and target.stat().st_size == src_stat.st_size
                and target.stat().st_mtime_ns == src_stat.st_mtime_ns):
            shutil.copy2(source, target)  # keeps the mtime: an unchanged file is not recopied
        used += int(row["bytes"])
        key = (row["dataset"], row["variant"], row["utterance"])
        entries[key] = AudioEntry(*key, src=rel.as_posix(), sample_rate=int(row["sample_rate"]),
                                  frames=int(row["frames"]),
                                  extra=json.loads(row["extra_json"] or "{}"))
    keep = {out_dir / e.src for e in entries.values()}
    for stale in (out_dir / "audio").rglob("*.flac") if (out_dir / "audio").is_dir() else ():
        if stale not in keep:  # left by an earlier build of another run into this folder
            stale.unlink()
    if missing:
        problems.append(f"{missing} saved audio file(s) listed in the store are missing under "
                        f"{root / 'audio'}")
    return entries, problems


def spectrogram_png(audio: np.ndarray, sample_rate: int, out: Path,
                    size: tuple[int, int] = SPEC_SIZE) -> Path:
    """Log-magnitude spectrogram (0 to 8 kHz, 80 dB range) as a small magma PNG."""
    n_fft = 512 if sample_rate > 16000 else 256
    hop = max(1, len(audio) // size[0]) if len(audio) > n_fft else n_fft // 4
    wav = np.pad(np.asarray(audio, dtype=np.float64), (n_fft // 2, n_fft // 2))
    starts = np.arange(0, max(1, len(wav) - n_fft + 1), hop)
    frames = np.stack([wav[s : s + n_fft] for s in starts]) * np.hanning(n_fft)
    mag = np.abs(np.fft.rfft(frames, axis=1))
    top = max(2, int(min(8000.0, sample_rate / 2) / (sample_rate / 2) * mag.shape[1]))
    db = 20 * np.log10(mag[:, :top] + 1e-9)
    db = np.clip((db - (db.max() - 80.0)) / 80.0, 0.0, 1.0)
    rgb = (colormaps["magma"](db.T[::-1])[..., :3] * 255).astype(np.uint8)
    image = Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, optimize=True)
    return out


def timeline_png(audio: np.ndarray, sample_rate: int, spans: np.ndarray, frame_rate: float,
                 out: Path, size: tuple[int, int] = TIMELINE_SIZE) -> Path:
    """Waveform envelope with each token's span as an alternating band (frames → seconds at
    ``frame_rate``); long spans are drawn darker."""
    width, height = size
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    seconds = max(len(audio) / sample_rate, float(np.sum(spans)) / frame_rate, 1e-6)
    edges = np.concatenate([[0], np.cumsum(spans)]) / frame_rate
    top_span = max(1, int(np.max(spans)) if len(spans) else 1)
    for i, (a, b) in enumerate(itertools.pairwise(edges)):
        shade = int(235 - 120 * (spans[i] - 1) / max(1, top_span - 1)) if top_span > 1 else 220
        colour = (shade, shade, 255) if i % 2 else (255, shade, shade)
        draw.rectangle([int(a / seconds * width), 0, max(int(a / seconds * width),
                        int(b / seconds * width) - 1), height - 1], fill=colour)
    wav = np.asarray(audio, dtype=np.float64)
    peak = float(np.max(np.abs(wav))) or 1.0
    cols = np.array_split(wav, width) if len(wav) >= width else [wav]
    mid = height / 2
    for x, chunk in enumerate(cols):
        if chunk.size:
            lo, hi = float(chunk.min()) / peak, float(chunk.max()) / peak
            draw.line([(x, mid - hi * (mid - 2)), (x, mid - lo * (mid - 2))], fill=(40, 40, 40))
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, optimize=True)
    return out


def draw_thumbnails(entries: dict[tuple[str, str, str], AudioEntry], out_dir: Path,
                    spans: dict[tuple[str, str, str], np.ndarray],
                    frame_rates: dict[str, float]) -> None:
    """Spectrogram for every entry, span timeline where the variant stored varying spans."""
    for key, entry in entries.items():
        audio, sr = sf.read(out_dir / entry.src, dtype="float32", always_2d=False)
        stem = Path(entry.src).with_suffix("")
        rel = Path("thumbs") / stem.relative_to("audio")
        entry.spectrogram = spectrogram_png(audio, sr, out_dir / f"{rel}.spec.png"
                                            ).relative_to(out_dir).as_posix()
        span = spans.get(key)
        rate = frame_rates.get(entry.variant)
        if span is not None and span.size and rate and np.any(span != span[0]):
            entry.timeline = timeline_png(audio, sr, span, rate, out_dir / f"{rel}.spans.png"
                                          ).relative_to(out_dir).as_posix()
