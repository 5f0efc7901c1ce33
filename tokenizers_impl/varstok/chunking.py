"""Long files in fixed chunks, so memory stays bounded (attention and clustering are T x T).

A file of more than ``chunk_frames`` 75 Hz frames (default 2250 = 30 s) is cut at frame
boundaries into pieces of ``chunk_frames`` (the last one shorter). Encoding: the encoder sees each
piece with ``context_frames`` (default 75 = 1 s) of real audio on either side, and only the
piece's own frames are kept; clustering and VQ then run on those frames alone, so spans never
cross a chunk boundary and the density/kNN of a frame only counts frames of its own chunk.
Decoding: frames are decoded piece by piece with the same context and the pieces' own samples
are joined. Effects, all deterministic: files up to ``chunk_frames`` are unchanged (one piece);
a longer file's tokens are those of its pieces (each with its context), which near a boundary
can differ from what one pass over the whole file would give (the official code, which needs
~17 GB for 10 minutes); the span count can only grow (a span cannot straddle a boundary).
Peak memory grows linearly with length instead of quadratically.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CHUNK_FRAMES = 2250  # 30 s at 75 Hz
DEFAULT_CONTEXT_FRAMES = 75  # 1 s


@dataclass(frozen=True)
class Piece:
    """Frames ``[start, stop)`` of a file, computed from ``[context_start, context_stop)``."""

    start: int
    stop: int
    context_start: int
    context_stop: int

    @property
    def offset(self) -> int:
        """Where the piece's own frames begin inside its context window."""
        return self.start - self.context_start

    @property
    def size(self) -> int:
        """How many frames are the piece's own."""
        return self.stop - self.start


def pieces(total_frames: int, chunk_frames: int | None,
           context_frames: int = DEFAULT_CONTEXT_FRAMES) -> list[Piece]:
    """The pieces of a file of ``total_frames`` frames (one piece when it fits in a chunk)."""
    if chunk_frames is None or total_frames <= chunk_frames:
        return [Piece(0, total_frames, 0, total_frames)]
    if chunk_frames < 1 or context_frames < 0:
        raise ValueError(f"chunk_frames must be >= 1 and context_frames >= 0, got "
                         f"{chunk_frames}, {context_frames}")
    out = []
    for start in range(0, total_frames, chunk_frames):
        stop = min(start + chunk_frames, total_frames)
        out.append(Piece(start, stop, max(0, start - context_frames),
                         min(total_frames, stop + context_frames)))
    return out
