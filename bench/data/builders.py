"""Build manifests from local copies of LibriTTS, LibriSpeech or any folder of audio.

Nothing is downloaded: ``datasets/README.md`` says where each corpus comes from and how to check
it. Paths inside the manifest's own folder are stored relative to it, others absolute. Rows are
sorted by id so the same corpus always gives the same file; an unreadable audio file is an error
naming it, never a silently dropped row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import soundfile as sf

from bench.data.manifest import Utterance, write_manifest
from bench.paths import RECONSTRUCTIONS_DIR

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".opus", ".aiff", ".aif")
LIBRISPEECH_ID = re.compile(r"^(\d+)-(\d+)-(\d+)$")


class DatasetError(ValueError):
    """A corpus folder that is missing, empty or malformed, with the offending path."""


def build_libritts(root: Path, subset: str, out_manifest: Path) -> Path:
    """LibriTTS ``<subset>/<speaker>/<chapter>/<id>.wav`` with ``<id>.normalized.txt`` text.

    ``root`` may be the folder holding ``<subset>/`` (the archive's ``LibriTTS/``), its parent,
    or the subset folder itself.
    """
    folder = _subset_folder(Path(root), subset, "LibriTTS")
    rows = []
    for wav in _audio_under(folder, (".wav",)):
        transcript = wav.with_name(wav.stem + ".normalized.txt")
        text = _read_text(transcript) if transcript.exists() else None
        speaker = wav.relative_to(folder).parts[0]
        rows.append(_row(wav.stem, wav, out_manifest, text, "en", speaker))
    return _write(rows, out_manifest, folder)


def build_librispeech(root: Path, subset: str, out_manifest: Path) -> Path:
    """LibriSpeech ``<subset>/<speaker>/<chapter>/<spk>-<chap>-<utt>.flac`` with the chapter's
    ``<spk>-<chap>.trans.txt`` (``ID TEXT`` per line, upper-case as published)."""
    folder = _subset_folder(Path(root), subset, "LibriSpeech")
    transcripts: dict[str, str] = {}
    for trans in sorted(folder.rglob("*.trans.txt")):
        for lineno, line in enumerate(trans.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            utt_id, _, text = line.strip().partition(" ")
            if not text.strip():
                raise DatasetError(f"{trans}:{lineno}: no text after id {utt_id!r}")
            transcripts[utt_id] = text.strip()
    rows = []
    for flac in _audio_under(folder, (".flac",)):
        match = LIBRISPEECH_ID.match(flac.stem)
        speaker = match.group(1) if match else flac.relative_to(folder).parts[0]
        rows.append(_row(flac.stem, flac, out_manifest, transcripts.get(flac.stem), "en", speaker))
    return _write(rows, out_manifest, folder)


def build_folder(
    audio_dir: Path,
    out_manifest: Path,
    transcripts: Path | None = None,
    language: str | None = None,
) -> Path:
    """Every audio file under ``audio_dir``; the id is its relative path without extension.

    Language per file: the ``language`` field of a JSONL transcript row, else a ``<file>.lang``
    sidecar, else ``language``, else None (unknown: ASR metrics then refuse with a reason,
    never guess English). An unreadable file stays in the manifest without a duration, so the
    run records it as failed with the decoder's error and goes on with the others.

    ``transcripts`` (optional) is a folder of ``<id>.txt`` files laid out like the audio, a
    JSONL file of ``{"id", "text"}`` rows, a ``.json`` object ``{id: text}``, or a text file of
    ``<id><TAB or space><text>`` lines.
    Utterances without a transcript get ``text=None``; transcript ids without audio are an error.
    """
    folder = Path(audio_dir)
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder")
    files = _audio_under(folder, AUDIO_SUFFIXES)
    ids = [f.relative_to(folder).with_suffix("").as_posix() for f in files]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise DatasetError(f"several audio files share the names {dupes[:5]} in {folder}")
    texts = read_transcripts(Path(transcripts), ids) if transcripts is not None else {}
    unknown = sorted(set(texts) - set(ids))
    if unknown:
        raise DatasetError(f"transcripts for ids with no audio file: {unknown[:5]}")
    languages = read_languages(Path(transcripts), ids) if transcripts is not None else {}
    rows: list[Utterance | str] = []
    for utt_id, path in zip(ids, files, strict=True):
        lang = languages.get(utt_id) or _sidecar_language(path) or language
        row = _row(utt_id, path, out_manifest, texts.get(utt_id), lang, None)
        if isinstance(row, str):  # unreadable: kept, so the run records it as failed
            row = Utterance(id=utt_id, path=_manifest_path(path, out_manifest),
                            text=texts.get(utt_id), language=lang, duration=None)
        rows.append(row)
    return _write(rows, out_manifest, folder)


def read_languages(source: Path, ids: Iterable[str]) -> dict[str, str]:
    """{id: language} from the ``language`` field of JSONL transcript rows (other formats
    carry none)."""
    if source.suffix != ".jsonl" or not source.is_file():
        return {}
    wanted = set(ids)
    found: dict[str, str] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if str(row.get("id")) in wanted and row.get("language"):
                found[str(row["id"])] = str(row["language"]).strip()
    return found


def _sidecar_language(audio: Path) -> str | None:
    """The language code in ``<file>.lang`` next to the audio file, if there is one."""
    sidecar = audio.with_suffix(".lang")
    if not sidecar.is_file():
        return None
    return sidecar.read_text(encoding="utf-8").strip() or None


def read_transcripts(source: Path, ids: Iterable[str]) -> dict[str, str]:
    """{id: text} from a folder of ``<id>.txt``, JSONL rows, a JSON object or ``id text`` lines."""
    if source.is_dir():
        found = {}
        for utt_id in ids:
            path = source / f"{utt_id}.txt"
            if path.exists():
                found[utt_id] = _read_text(path)
        return found
    if not source.is_file():
        raise DatasetError(f"transcripts {source} not found")
    if source.suffix == ".json":
        return _json_mapping(source)
    texts: dict[str, str] = {}
    lines = source.read_text(encoding="utf-8").splitlines()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if source.suffix == ".jsonl":
            try:
                row = json.loads(line)
                utt_id, text = str(row["id"]), str(row["text"])
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise DatasetError(f"{source}:{lineno}: bad transcript row: {err}") from err
        else:
            parts = line.strip().split("\t", 1) if "\t" in line else line.strip().split(" ", 1)
            if len(parts) != 2 or not parts[1].strip():
                raise DatasetError(f"{source}:{lineno}: expected '<id> <text>'")
            utt_id, text = parts[0], parts[1]
        if utt_id in texts:
            raise DatasetError(f"{source}:{lineno}: transcript id {utt_id!r} given twice")
        texts[utt_id] = text.strip()
    return texts


def _json_mapping(source: Path) -> dict[str, str]:
    try:
        mapping = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DatasetError(f"{source}: not valid JSON: {err}") from err
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise DatasetError(f"{source}: expected a JSON object {{id: text}}")
    return {str(k): " ".join(v.split()) for k, v in mapping.items() if v.strip()}


def _subset_folder(root: Path, subset: str, corpus: str) -> Path:
    for candidate in (root / subset, root / corpus / subset, root):
        if candidate.is_dir() and candidate.name == subset:
            return candidate
    raise DatasetError(
        f"{corpus} subset {subset!r} not found under {root} (looked for {root / subset} and "
        f"{root / corpus / subset}); see datasets/README.md for where to get it"
    )


def _audio_under(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes
                   and RECONSTRUCTIONS_DIR not in p.relative_to(folder).parts)
    if not files:
        raise DatasetError(f"no {'/'.join(suffixes)} audio files under {folder}")
    return files


def _read_text(path: Path) -> str | None:
    text = " ".join(path.read_text(encoding="utf-8").split())
    return text or None


def _row(
    utt_id: str, audio: Path, out_manifest: Path, text: str | None, language: str | None,
    speaker: str | None,
) -> Utterance | str:
    """A manifest row, or the reason the file cannot be read."""
    try:
        info = sf.info(str(audio))
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        return f"{audio}: {err}"
    if info.frames <= 0 or info.samplerate <= 0:
        return f"{audio}: holds no samples"
    return Utterance(
        id=utt_id,
        path=_manifest_path(audio, out_manifest),
        text=text,
        language=language,
        speaker=speaker,
        duration=round(info.frames / info.samplerate, 6),
    )


def _manifest_path(audio: Path, out_manifest: Path) -> str:
    base = Path(out_manifest).resolve().parent
    audio = audio.resolve()
    if audio.is_relative_to(base):
        return audio.relative_to(base).as_posix()
    return str(audio)


def _write(rows: list[Utterance | str], out_manifest: Path, folder: Path) -> Path:
    problems = [r for r in rows if isinstance(r, str)]
    if problems:
        shown = "; ".join(problems[:5])
        raise DatasetError(f"{len(problems)} unreadable audio file(s) under {folder}: {shown}")
    good = sorted((r for r in rows if isinstance(r, Utterance)), key=lambda r: r.id)
    ids = [r.id for r in good]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"duplicate utterance ids under {folder}")
    out = Path(out_manifest)
    write_manifest(out, good)
    return out
