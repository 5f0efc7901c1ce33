"""Turn a suite's dataset entries into manifests: an existing file, a synthetic set or a builder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import soundfile as sf

from bench.data.manifest import Utterance, read_manifest
from bench.paths import RECONSTRUCTIONS_DIR, register_dataset_root
from bench.suite import DatasetSpec, Suite


def manifest_for(spec: DatasetSpec, suite: Suite) -> Path:
    """Path of the dataset's manifest, building it into the suite's cache dir when needed."""
    if spec.manifest is not None:
        path = suite.resolve(spec.manifest)
        if not path.exists():
            raise FileNotFoundError(f"dataset {spec.name!r}: manifest {path} not found")
        return path
    cache = suite.output_path(suite.cache_dir)
    if spec.synth is not None:
        from bench.data.synth import build_synthetic_set

        args = dict(spec.synth)
        key = hashlib.sha256(json.dumps(args, sort_keys=True).encode()).hexdigest()[:10]
        # build_synthetic_set checks its own fingerprint and file hashes; cheap when current.
        return Path(build_synthetic_set(cache / f"synth-{key}", **args))
    assert spec.builder is not None
    from bench.data import builders

    args = dict(spec.builder)
    kind = args.pop("kind")
    identity: dict[str, object] = {"entry": spec.builder}
    if kind == "folder":  # files added, removed or rewritten give a new manifest
        identity["listing"] = folder_listing(suite.resolve(args["audio_dir"]))
        if args.get("transcripts"):
            identity["transcripts"] = folder_listing(suite.resolve(args["transcripts"]))
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:10]
    out = cache / f"{kind}-{key}.jsonl"
    # The builder lists this folder itself, so its (absolute) audio paths are in the dataset.
    register_dataset_root(suite.resolve(args["audio_dir"] if kind == "folder" else args["root"]))
    if out.exists():
        return out
    if kind == "folder":
        builders.build_folder(suite.resolve(args["audio_dir"]), out,
                              transcripts=args.get("transcripts"), language=args.get("language"))
    elif kind == "libritts":
        builders.build_libritts(suite.resolve(args["root"]), args["subset"], out)
    else:
        builders.build_librispeech(suite.resolve(args["root"]), args["subset"], out)
    return out


def folder_listing(path: Path) -> list[tuple[str, int, int]]:
    """(relative name, size, mtime in ns) of every file under ``path`` (or of ``path`` itself
    when it is a file): the cache key of a manifest built from a folder."""
    path = Path(path)
    if path.is_file():
        stat = path.stat()
        return [(path.name, stat.st_size, stat.st_mtime_ns)]
    if not path.is_dir():
        return []
    out = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()
                       and RECONSTRUCTIONS_DIR not in p.relative_to(path).parts):
        stat = file.stat()
        out.append((file.relative_to(path).as_posix(), stat.st_size, stat.st_mtime_ns))
    return out


def load_dataset(spec: DatasetSpec, suite: Suite) -> tuple[Path, list[Utterance]]:
    """Manifest path and its rows (first ``limit`` when set)."""
    path = manifest_for(spec, suite)
    rows = read_manifest(path)
    if spec.limit is not None:
        rows = rows[: spec.limit]
    return path, rows


def utterance_seconds(utt: Utterance, root: Path) -> float:
    """Duration from the manifest, else from the file header; 0.0 when unreadable (fails later)."""
    if utt.duration is not None:
        return float(utt.duration)
    try:
        info = sf.info(str(utt.resolved_path(root)))
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError):  # ValueError: unsafe path
        return 0.0
    return info.frames / info.samplerate if info.samplerate else 0.0
