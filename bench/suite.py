"""Benchmark suites: one YAML file naming datasets, tokenizer variants and metrics.

Input paths (manifests, audio folders) are relative to the YAML's folder; output paths (store,
report_dir, cache_dir) are relative to the current folder, so packaged suites write nothing
into the installed package.

A variant (VARSTok original vs fixed clustering, a threshold, a checkpoint) is a named entry here,
never a code edit. ``load_suite`` validates the whole file and reports every problem at once::

    name: ablation
    seed: 0
    store: runs/tokbench.sqlite
    report_dir: reports
    batch: {max_items: 8, max_seconds: 60, workers: 2}
    datasets:
      - {name: synth, synth: {languages: [en, fr], per_language: 2}}
      - {name: libritts, manifest: data/libritts_test.jsonl}
      - {name: mine, builder: {kind: folder, audio_dir: wavs/}}
    variants:
      - {name: varstok-fixed-0.7, family: varstok, settings: {clustering: fixed, threshold: 0.7}}
    metrics: [pesq_wb, stoi, {id: wer, settings: {model: tiny.en}}]
    compare:   # optional: paired comparisons the report shows (see `tokbench compare`)
      - {baseline: varstok-original-0.7, candidate: varstok-fixed-0.7}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.paths import check_slug
from bench.trust import TRUST_FLAG, TRUST_SETTING_KEYS

SUITES_DIR = Path(__file__).resolve().parent / "suites"
GROUND_TRUTH = "ground truth"
"""Reserved variant name under which reference-side values (metrics of the original) are stored."""

_BUILDER_KINDS = ("libritts", "librispeech", "folder")


class SuiteError(ValueError):
    """A suite file that cannot be run; the message lists every problem found."""


@dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset comes from: exactly one of a manifest path, a synth spec or a builder."""

    name: str
    manifest: str | None = None
    synth: dict[str, Any] | None = None
    builder: dict[str, Any] | None = None
    limit: int | None = None


@dataclass(frozen=True)
class VariantSpec:
    """A named tokenizer configuration: ``load_tokenizer(family, **settings)``."""

    name: str
    family: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricSpec:
    """A metric id (or alias) and the keyword settings passed to ``load_metric``."""

    id: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComparePair:
    """A declared paired comparison of two variants (``candidate`` − ``baseline``)."""

    baseline: str
    candidate: str


@dataclass(frozen=True)
class BatchSettings:
    """Length-bucketed batching and parallelism.

    max_items:   utterances per encode/decode batch
    max_seconds: total padded audio seconds per batch (long files get smaller batches)
    workers:     processes for CPU metrics (0 = compute inline in the main process)
    device:      auto (CUDA when available), cpu or cuda
    store_tokens: keep the compressed token ids in the store (spans are always kept); needed
                  for corpus-level token statistics (codebook perplexity, corpus entropy)
    save_audio_mb: size budget (MB) for the FLAC reconstructions and references kept beside
                  the store for the report's players; 0 keeps none
    autocast:    off, bf16 or fp16: mixed precision for the tokenizer's encode/decode (opt-in;
                 metrics always run in fp32)
    min_input_seconds: inputs shorter than this are left out with a reason (a 1 ms input
                  would give tokens_per_s = 1000)
    length_tolerance: |reconstruction / reference length − 1| beyond which reference-based
                  metrics leave the pair out with the reason (truncate policy)
    length_policy: truncate (the papers' protocol) or pad (score mismatched pairs zero-padded)
    """

    max_items: int = 8
    max_seconds: float = 120.0
    workers: int = 1
    device: str = "auto"
    store_tokens: bool = True
    save_audio_mb: float = 500.0
    autocast: str = "off"
    min_input_seconds: float = 0.5
    length_tolerance: float = 0.02
    length_policy: str = "truncate"


@dataclass(frozen=True)
class Suite:
    """A validated suite; ``base_dir`` is the YAML's folder (for relative input paths)."""

    name: str
    datasets: tuple[DatasetSpec, ...]
    variants: tuple[VariantSpec, ...]
    metrics: tuple[MetricSpec, ...]
    batch: BatchSettings = BatchSettings()
    seed: int = 0
    store: str = "runs/tokbench.sqlite"
    report_dir: str = "reports"
    cache_dir: str = ".tokbench_cache"
    base_dir: str = "."
    compare: tuple[ComparePair, ...] = ()

    def resolve(self, path: str | Path) -> Path:
        """An input path (manifest, audio folder): absolute, or relative to the suite's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else Path(self.base_dir) / p

    @staticmethod
    def output_path(path: str | Path) -> Path:
        """An output path (store, reports, cache): absolute, or relative to the current folder."""
        return Path(path).expanduser()

    def to_dict(self) -> dict[str, Any]:
        """Everything that determines results (``base_dir`` excluded), for hashing and storage."""
        data = asdict(self)
        data.pop("base_dir")
        return data

    def config_hash(self) -> str:
        """Short sha256 of what determines results (output paths and worker count left out)."""
        data = self.to_dict()
        for key in ("store", "report_dir", "cache_dir", "compare"):
            data.pop(key)
        data["batch"].pop("workers")
        data["batch"].pop("save_audio_mb", None)  # what is kept, not what is computed
        if data["batch"].get("autocast") == "off":  # hashes from before the option stay valid
            data["batch"].pop("autocast")
        text = json.dumps(data, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_suite(path: Path | str, overrides: dict[str, Any] | None = None) -> Suite:
    """Read and validate a suite YAML; ``overrides`` replace top-level keys (e.g. ``store``)."""
    path = Path(path)
    if not path.exists():
        packaged = SUITES_DIR / f"{path.name}" if path.suffix else SUITES_DIR / f"{path}.yaml"
        if packaged.exists():
            path = packaged
        else:
            raise SuiteError(f"suite file {path} not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise SuiteError(f"{path}: not valid YAML: {err}") from err
    if not isinstance(raw, dict):
        raise SuiteError(f"{path}: a suite must be a mapping with datasets, variants, metrics")
    raw = {**raw, **(overrides or {})}
    return parse_suite(raw, base_dir=path.resolve().parent, source=str(path))


def parse_suite(raw: dict[str, Any], base_dir: Path | str = ".", source: str = "suite") -> Suite:
    """Validate a suite mapping; raises ``SuiteError`` listing every problem."""
    problems: list[str] = []
    known = {"name", "datasets", "variants", "metrics", "batch", "seed", "store", "report_dir",
             "cache_dir", "description", "compare"}
    for key in sorted(set(raw) - known):
        problems.append(f"unknown top-level key {key!r} (known: {sorted(known)})")
    name = raw.get("name") or Path(source).stem
    problem = check_slug(name, "suite name")
    if problem:
        problems.append(problem)
    datasets = _parse_datasets(raw.get("datasets"), problems)
    variants = _parse_variants(raw.get("variants"), problems)
    metrics = _parse_metrics(raw.get("metrics"), problems)
    batch = _parse_batch(raw.get("batch") or {}, problems)
    compare = _parse_compare(raw.get("compare"), [v.name for v in variants], problems)
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        problems.append(f"seed must be an integer, got {seed!r}")
    for key in ("store", "report_dir", "cache_dir"):
        if key in raw and not isinstance(raw[key], str):
            problems.append(f"{key} must be a path string, got {raw[key]!r}")
    if problems:
        raise SuiteError(f"{source}: invalid suite:\n  - " + "\n  - ".join(problems))
    return Suite(
        name=str(name),
        datasets=tuple(datasets),
        variants=tuple(variants),
        metrics=tuple(metrics),
        batch=batch,
        seed=int(seed),
        store=raw.get("store", Suite.store),
        report_dir=raw.get("report_dir", Suite.report_dir),
        cache_dir=raw.get("cache_dir", Suite.cache_dir),
        base_dir=str(base_dir),
        compare=tuple(compare),
    )


def _entries(value: Any, key: str, problems: list[str]) -> list[Any]:
    if value is None:
        problems.append(f"{key}: required, give a non-empty list")
        return []
    if not isinstance(value, list) or not value:
        problems.append(f"{key}: must be a non-empty list, got {value!r}")
        return []
    return value


def _check_unique(names: list[str], key: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            problems.append(f"{key}: duplicate name {n!r}")
        seen.add(n)


def _parse_datasets(value: Any, problems: list[str]) -> list[DatasetSpec]:
    out: list[DatasetSpec] = []
    for i, entry in enumerate(_entries(value, "datasets", problems)):
        where = f"datasets[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping, got {entry!r}")
            continue
        unknown = set(entry) - {"name", "manifest", "synth", "builder", "limit"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        sources = [k for k in ("manifest", "synth", "builder") if entry.get(k) is not None]
        if len(sources) != 1:
            problems.append(f"{where}: give exactly one of manifest, synth, builder "
                            f"(got {sources})")
            continue
        name = entry.get("name") or ("synth" if sources[0] == "synth" else None)
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: needs a 'name'")
            continue
        if check_slug(name, "dataset name"):
            problems.append(f"{where}: {check_slug(name, 'dataset name')}")
            continue
        if entry.get("synth") is not None and not isinstance(entry["synth"], dict):
            if entry["synth"] is True:
                entry = {**entry, "synth": {}}
            else:
                problems.append(f"{where}: synth must be a mapping of build_synthetic_set args")
                continue
        builder = entry.get("builder")
        if builder is not None:
            if not isinstance(builder, dict) or builder.get("kind") not in _BUILDER_KINDS:
                problems.append(f"{where}: builder needs kind in {_BUILDER_KINDS}, got {builder!r}")
                continue
            needed = ("audio_dir",) if builder["kind"] == "folder" else ("root", "subset")
            missing = [k for k in needed if k not in builder]
            if missing:
                problems.append(f"{where}: builder {builder['kind']} needs {missing}")
                continue
        limit = entry.get("limit")
        if limit is not None and (not isinstance(limit, int) or limit <= 0):
            problems.append(f"{where}: limit must be a positive integer, got {limit!r}")
            continue
        out.append(DatasetSpec(name=name, manifest=entry.get("manifest"),
                               synth=entry.get("synth"), builder=builder, limit=limit))
    _check_unique([d.name for d in out], "datasets", problems)
    return out


def _parse_variants(value: Any, problems: list[str]) -> list[VariantSpec]:
    out: list[VariantSpec] = []
    for i, entry in enumerate(_entries(value, "variants", problems)):
        where = f"variants[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a mapping with name, family, settings")
            continue
        unknown = set(entry) - {"name", "family", "settings"}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        name, family = entry.get("name"), entry.get("family")
        settings = entry.get("settings") or {}
        if not isinstance(family, str) or not family:
            problems.append(f"{where}: needs a 'family' (a registered tokenizer name)")
            continue
        name = name or family
        if not isinstance(name, str) or name == GROUND_TRUTH:
            problems.append(f"{where}: invalid variant name {name!r}")
            continue
        if check_slug(name, "variant name"):
            problems.append(f"{where}: {check_slug(name, 'variant name')}")
            continue
        if not isinstance(settings, dict):
            problems.append(f"{where}: settings must be a mapping, got {settings!r}")
            continue
        if _trust_problem(where, settings, problems):
            continue
        out.append(VariantSpec(name=name, family=family, settings=dict(settings)))
    _check_unique([v.name for v in out], "variants", problems)
    return out


def _parse_metrics(value: Any, problems: list[str]) -> list[MetricSpec]:
    out: list[MetricSpec] = []
    for i, entry in enumerate(_entries(value, "metrics", problems)):
        where = f"metrics[{i}]"
        if isinstance(entry, str) and entry:
            out.append(MetricSpec(id=entry))
        elif isinstance(entry, dict) and isinstance(entry.get("id"), str):
            settings = entry.get("settings") or {}
            unknown = set(entry) - {"id", "settings"}
            if unknown:
                problems.append(f"{where}: unknown keys {sorted(unknown)}")
            if not isinstance(settings, dict):
                problems.append(f"{where}: settings must be a mapping")
                continue
            if _trust_problem(where, settings, problems):
                continue
            out.append(MetricSpec(id=entry["id"], settings=dict(settings)))
        else:
            problems.append(f"{where}: a metric id or {{id: ..., settings: {{...}}}}, "
                            f"got {entry!r}")
    _check_unique([m.id for m in out], "metrics", problems)
    return out


def _trust_problem(where: str, settings: dict[str, Any], problems: list[str]) -> bool:
    """Trust comes from the person running the command, never from a (shared) suite file."""
    keys = sorted(set(settings) & TRUST_SETTING_KEYS)
    if keys:
        problems.append(f"{where}: setting {keys[0]!r} is not allowed in a suite file; trust "
                        f"comes only from the command line: pass {TRUST_FLAG}")
    return bool(keys)


def _parse_batch(value: Any, problems: list[str]) -> BatchSettings:
    if not isinstance(value, dict):
        problems.append(f"batch must be a mapping, got {value!r}")
        return BatchSettings()
    fields = BatchSettings.__dataclass_fields__
    unknown = set(value) - set(fields)
    if unknown:
        problems.append(f"batch: unknown keys {sorted(unknown)} (known: {sorted(fields)})")
    settings = {k: v for k, v in value.items() if k in fields}
    checks = {
        "max_items": lambda v: isinstance(v, int) and v >= 1,
        "max_seconds": lambda v: isinstance(v, (int, float)) and v > 0,
        "workers": lambda v: isinstance(v, int) and v >= 0,
        "device": lambda v: v in ("auto", "cpu", "cuda") or str(v).startswith("cuda:"),
        "store_tokens": lambda v: isinstance(v, bool),
        "save_audio_mb": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
        and v >= 0,
        "autocast": lambda v: v in ("off", "bf16", "fp16"),
        "min_input_seconds": lambda v: isinstance(v, (int, float)) and v >= 0,
        "length_tolerance": lambda v: isinstance(v, (int, float)) and v >= 0,
        "length_policy": lambda v: v in ("truncate", "pad"),
    }
    for key, ok in checks.items():
        if key in settings and not ok(settings[key]):
            problems.append(f"batch.{key}: invalid value {settings[key]!r}")
            settings.pop(key)
    return BatchSettings(**settings)


def _parse_compare(value: Any, variant_names: list[str], problems: list[str]
                   ) -> list[ComparePair]:
    """``compare: [{baseline: V1, candidate: V2}, ...]``; both names must be suite variants."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"compare: must be a list of {{baseline, candidate}}, got {value!r}")
        return []
    out: list[ComparePair] = []
    for i, entry in enumerate(value):
        where = f"compare[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"baseline", "candidate"}:
            problems.append(f"{where}: must be {{baseline: VARIANT, candidate: VARIANT}}, "
                            f"got {entry!r}")
            continue
        unknown = [entry[k] for k in ("baseline", "candidate") if entry[k] not in variant_names]
        if unknown:
            problems.append(f"{where}: unknown variants {unknown} (variants: {variant_names})")
            continue
        if entry["baseline"] == entry["candidate"]:
            problems.append(f"{where}: baseline and candidate are both {entry['baseline']!r}")
            continue
        out.append(ComparePair(baseline=entry["baseline"], candidate=entry["candidate"]))
    return out
