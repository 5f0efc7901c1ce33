"""Dataset manifests: one JSON object per line with ``id, path, text, language, speaker, duration``.

Relative ``path`` values are resolved against the manifest's own folder, so a dataset folder can
be moved or shared as a whole. Paths that leave that folder, devices and FIFOs are refused
(``bench.paths.audio_path``) unless the user passed ``--allow-absolute-paths``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Utterance:
    """One manifest row. ``text`` is None when no transcript exists (never an empty guess)."""

    id: str
    path: str
    text: str | None = None
    language: str | None = None
    speaker: str | None = None
    duration: float | None = None

    def resolved_path(self, root: Path) -> Path:
        """The audio file, relative to ``root`` (the manifest folder); raises
        ``UnsafePathError`` for paths outside the dataset, devices and FIFOs."""
        from bench.paths import audio_path

        return audio_path(self.path, root)


def write_manifest(path: Path, utterances: list[Utterance]) -> None:
    """Write rows in the given order (callers sort them for reproducible files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for utt in utterances:
            f.write(json.dumps(asdict(utt), ensure_ascii=False, sort_keys=True) + "\n")


def read_manifest(path: Path) -> list[Utterance]:
    """Read a JSONL manifest; a malformed line is an error naming the file and line."""
    rows: list[Utterance] = []
    seen: set[str] = set()
    with Path(path).open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                utt = Utterance(**{k: raw.get(k) for k in Utterance.__dataclass_fields__})
            except (json.JSONDecodeError, TypeError) as err:
                raise ValueError(f"{path}:{lineno}: bad manifest row: {err}") from err
            if not utt.id or not utt.path:
                raise ValueError(f"{path}:{lineno}: manifest row needs 'id' and 'path'")
            if utt.id in seen:
                raise ValueError(f"{path}:{lineno}: duplicate utterance id {utt.id!r}")
            seen.add(utt.id)
            rows.append(utt)
    return rows
