"""Long files in chunks (tokenizers_impl/varstok/chunking.py): short files are unchanged, spans
never cross a chunk boundary, every frame is covered once, decoding gives the full length, and a
chunked file is still batch independent. Chunks are made tiny here so a 1.2 s file has several."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
import torch

from bench.batch_independence import check_batch_independence
from tokenizers_impl.varstok import adapter as varstok_adapter
from tokenizers_impl.varstok.chunking import Piece, pieces
from tokenizers_impl.varstok.model import VARSTok


@pytest.fixture(scope="module")
def speech(libritts_demo: Path) -> torch.Tensor:
    f = sorted((libritts_demo / "gt").glob("*.wav"))[4]
    return torch.from_numpy(sf.read(f, dtype="float32")[0][: 28700])


def test_pieces_cover_each_frame_once() -> None:
    assert pieces(2250, 2250) == [Piece(0, 2250, 0, 2250)]
    assert pieces(100, None) == [Piece(0, 100, 0, 100)]
    plan = pieces(5000, 2250, 75)
    assert plan == [Piece(0, 2250, 0, 2325), Piece(2250, 4500, 2175, 4575),
                    Piece(4500, 5000, 4425, 5000)]
    assert [p.offset for p in plan] == [0, 75, 75] and sum(p.size for p in plan) == 5000


@pytest.mark.parametrize("variant", ["original", "fixed"])
def test_chunked_encoding(golden_model: VARSTok, speech: torch.Tensor, variant: str,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    golden_model.set_clustering(variant)
    fe = golden_model.feature_extractor
    frames = -(-speech.numel() // 320)  # 90
    monkeypatch.setattr(fe, "chunk_frames", None)
    _, ids_whole, spans_whole = golden_model.encode_infer(speech[None], 0)
    monkeypatch.setattr(fe, "chunk_frames", frames)  # fits in one chunk: unchanged
    _, ids_one, spans_one = golden_model.encode_infer(speech[None], 0)
    assert torch.equal(ids_one, ids_whole) and torch.equal(spans_one, spans_whole)
    monkeypatch.setattr(fe, "chunk_frames", 25)
    monkeypatch.setattr(fe, "context_frames", 6)
    seen: list[int] = []  # frames per T x T computation (clustering, decoder attention)
    for module in (fe.cluster, golden_model.backbone):
        forward = module.forward
        monkeypatch.setattr(module, "forward", lambda x, *a, _f=forward, **k: (
            seen.append(x.shape[-1]), _f(x, *a, **k))[1])
    features, ids, spans = golden_model.encode_infer(speech[None], 0)
    ends = set(torch.cumsum(spans[0], 0).tolist())
    assert int(spans.sum()) == frames and {25, 50, 75, frames} <= ends
    assert bool((ids >= 0).all()) and spans.shape[1] >= spans_whole.shape[1] - 3
    audio, samples = golden_model.decode_with_lengths(features, spans, 0)
    assert int(samples[0]) == frames * 320 == audio.shape[1]
    assert len(seen) == 8 and max(seen) <= 25 + 2 * 6  # memory bounded by the chunk size
    assert bool(torch.isfinite(audio).all()) and float(audio.abs().max()) > 0
    golden_model.set_clustering("original")


def test_chunked_files_stay_batch_independent(varstok_golden: Path, speech) -> None:
    tok = varstok_adapter.build(checkpoint=str(varstok_golden), clustering="fixed",
                                chunk_seconds=0.3, context_seconds=0.05)
    assert tok.model.feature_extractor.chunk_frames == 22 and "chunks of 0.3 s" in tok.info.notes
    report = check_batch_independence(tok, [speech, speech[5:5000]])
    assert report.max_audio_diff == 0.0
    with pytest.raises(ValueError, match="chunk_seconds"):
        varstok_adapter.build(checkpoint=str(varstok_golden), chunk_seconds=0)
