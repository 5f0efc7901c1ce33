"""One side of a comparison: per-utterance values of one variant on one dataset, from a run in
the store, from a ``tokbench score --json`` file, or from a saved baseline.

A side also carries each corpus metric's per-utterance *weight* (the denominator of its ratio
of sums: seconds for token and bit rates, tokens for the mean span, reference words for WER), so
that a comparison resamples corpus values as ratios of sums, never as means of ratios.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from bench.data.manifest import read_manifest
from bench.registry import METRIC_GROUP
from bench.store import Store

SECONDS_WEIGHTED = {"tokens_per_s": "total tokens / total seconds",
                    "bits_per_s": "total token bits / total seconds",
                    "side_bits_per_s": "total side bits / total seconds"}
TOKEN_WEIGHTED = {"mean_span": "total frames / total tokens"}
TRANSCRIPT_WEIGHTED = {"wer": "total word edits / total reference words",
                       "cer": "total character edits / total reference characters"}
DESCRIPTIVE = frozenset({"tokens_per_s", "mean_span"})
"""Metrics that describe how a stream is cut, with no better direction: compared, never judged
(used when a stored MetricInfo predates ``higher_is_better=None``)."""


@dataclass
class Side:
    """Per-utterance values of one variant on one dataset, plus what identifies them."""

    label: str
    values: dict[str, dict[str, float | None]]
    """metric -> utterance -> value (None when it could not be computed)."""
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)
    """metric -> utterance -> why the value is missing."""
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    """corpus metric -> utterance -> denominator of its ratio of sums (absent: a plain mean)."""
    weighting: dict[str, str] = field(default_factory=dict)
    """metric -> how its corpus value is formed (for the table and the report)."""
    dropped: dict[str, str] = field(default_factory=dict)
    """utterance -> reason it has no values on this side (failed, file missing)."""
    info: dict[str, dict[str, Any]] = field(default_factory=dict)
    """metric -> MetricInfo as a dict (direction, unit, version)."""
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    """utterance -> manifest row (language, speaker, ...), for ``--by``."""
    identity: dict[str, Any] = field(default_factory=dict)
    """dataset hash, metric settings, tokenizer fingerprint, packages (for the gate)."""

    @property
    def utterances(self) -> set[str]:
        found: set[str] = set()
        for per_utt in self.values.values():
            found.update(per_utt)
        return found

    def metric_ids(self) -> list[str]:
        """Metrics with at least one numeric value on this side."""
        return [m for m, per in self.values.items() if any(v is not None for v in per.values())]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "values": self.values, "reasons": self.reasons,
                "weights": self.weights, "weighting": self.weighting, "dropped": self.dropped,
                "info": self.info, "columns": self.columns, "identity": self.identity}

    @staticmethod
    def from_dict(raw: dict[str, Any]) -> Side:
        keys = ("label", "values", "reasons", "weights", "weighting", "dropped", "info",
                "columns", "identity")
        missing = [k for k in ("label", "values") if k not in raw]
        if missing:
            raise ValueError(f"not a saved comparison side: missing {missing}")
        return Side(**{k: raw[k] for k in keys if k in raw})


def direction(metric: str, info: dict[str, Any]) -> int | None:
    """+1 if higher is better, -1 if lower is better, None for a descriptive metric."""
    if info.get("higher_is_better", True) is None or info.get("descriptive",
                                                                 metric in DESCRIPTIVE):
        return None
    return 1 if info.get("higher_is_better", True) else -1


def registered_info(metric: str) -> dict[str, Any]:
    """MetricInfo of a registered metric as a dict, without building the metric (no models)."""
    from dataclasses import asdict

    for ep in entry_points(group=METRIC_GROUP):
        if ep.name == metric:
            try:
                info = getattr(ep.load(), "info", None)
            except Exception:  # an optional dependency is missing: no info, no direction
                return {}
            return asdict(info) if info is not None else {}
    return {}


# -- from the store ---------------------------------------------------------------------------
def side_from_store(store: Store, run: str | int, variant: str, dataset: str | None = None,
                    manifest_root: Path | None = None) -> Side:
    """One variant of one dataset of a stored run (``dataset`` may be omitted if it has one)."""
    record = store.find_run(run)
    datasets = {d["dataset"]: d for d in store.table("datasets", record.id)}
    dataset = pick_dataset(datasets, dataset, record.name)
    variants = {v["variant"]: v for v in store.table("variants", record.id)}
    if variant not in variants:
        raise ValueError(f"run {record.id} ({record.name}) has no variant {variant!r}; "
                         f"variants: {sorted(variants)}")
    run_row = store.run_row(record.id)
    metrics = [m for m in store.table("metrics", record.id) if m["status"] == "ok"]
    utts = {u["utterance"]: u for u in store.table("utterances", record.id)
            if u["dataset"] == dataset and u["variant"] == variant}
    ok = {u for u, row in utts.items() if row["status"] == "ok"}
    side = Side(label=variant, values={}, reasons={})
    side.dropped = {u: str(row["reason"] or row["status"]) for u, row in utts.items()
                    if u not in ok}
    for m in metrics:
        metric = m["metric"]
        stored = store.metric_values(record.id, dataset, variant, metric)
        side.values[metric] = {u: stored[u][0] for u in sorted(ok) if u in stored}
        side.reasons[metric] = {u: str(stored[u][1]) for u in sorted(ok)
                                if u in stored and stored[u][0] is None}
        side.info[metric] = json.loads(m["info_json"]) if m["info_json"] else {}
    manifest = resolve_manifest(datasets[dataset]["manifest"], store.path, manifest_root)
    rows = {u.id: u for u in read_manifest(manifest)} if manifest else {}
    side.columns = {u: {k: v for k, v in vars(rows[u]).items() if k not in ("path",)}
                    for u in sorted(ok) if u in rows}
    add_weights(side, {u: utts[u] for u in ok})
    config = json.loads(run_row["config_json"] or "{}")
    v = variants[variant]
    side.identity = {
        "source": "run",
        "run": {"id": record.id, "name": record.name, "store": str(store.path),
                "git_commit": run_row["git_commit"]},
        "dataset": {"name": dataset, "manifest": datasets[dataset]["manifest"],
                    "hash": manifest_hash(manifest) if manifest else None,
                    "utterances": sorted(utts)},
        "metrics": {m["metric"]: {"version": side.info[m["metric"]].get("version"),
                                  "settings": metric_settings(config, m["metric"])}
                    for m in metrics},
        "tokenizer": {"family": v["family"], "settings": json.loads(v["settings_json"]),
                      "checkpoint": v["checkpoint"],
                      "checkpoint_sha256": file_sha256(v["checkpoint"]),
                      "notes": v["notes"]},
        "packages": json.loads(run_row["packages_json"] or "{}"),
    }
    return side


def pick_dataset(datasets: dict[str, Any], dataset: str | None, run_name: str) -> str:
    if dataset is None:
        if len(datasets) != 1:
            raise ValueError(f"run {run_name!r} has datasets {sorted(datasets)}; "
                             "pick one with --dataset")
        return next(iter(datasets))
    if dataset not in datasets:
        raise ValueError(f"run {run_name!r} has no dataset {dataset!r}; "
                         f"datasets: {sorted(datasets)}")
    return dataset


def metric_settings(config: dict[str, Any], metric: str) -> dict[str, Any]:
    for spec in config.get("metrics", []):
        if spec.get("id") == metric:
            return dict(spec.get("settings") or {})
    return {}


def resolve_manifest(stored: str, store_path: Path, root: Path | None) -> Path | None:
    """The manifest file a run recorded (relative to the run's cwd); None if not found."""
    if str(stored).startswith("unavailable"):
        return None
    path = Path(stored)
    candidates = [path] if path.is_absolute() else [
        *(([root / path]) if root else []), Path.cwd() / path, store_path.parent.parent / path,
        store_path.parent / path]
    return next((c for c in candidates if c.is_file()), None)


def manifest_hash(path: Path) -> str:
    """sha256 of the manifest rows (id, text, language, speaker, duration, path), order-free."""
    rows = sorted(json.dumps(vars(u), sort_keys=True) for u in read_manifest(path))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def file_sha256(path: str | Path | None) -> str | None:
    """Content hash of a file (checkpoint, reference audio); None when it is not readable."""
    if not path or not Path(path).is_file():
        return None
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def add_weights(side: Side, utts: dict[str, dict[str, Any]]) -> None:
    """Per-utterance denominators of the corpus metrics, from the stored rate facts and the
    manifest transcripts; a metric whose denominator cannot be formed stays a plain mean."""
    for metric, per_utt in side.values.items():
        if metric in SECONDS_WEIGHTED:
            side.weights[metric] = {u: float(utts[u]["seconds"]) for u in per_utt
                                    if utts.get(u, {}).get("seconds")}
            side.weighting[metric] = SECONDS_WEIGHTED[metric]
        elif metric in TOKEN_WEIGHTED:
            side.weights[metric] = {u: float(utts[u]["n_tokens"]) for u in per_utt
                                    if utts.get(u, {}).get("n_tokens")}
            side.weighting[metric] = TOKEN_WEIGHTED[metric]
        elif metric in TRANSCRIPT_WEIGHTED:
            units, problem = transcript_units(metric, side.columns, list(per_utt))
            if units is None:
                side.weighting[metric] = f"mean of utterance rates ({problem})"
            else:
                side.weights[metric] = units
                side.weighting[metric] = TRANSCRIPT_WEIGHTED[metric]
        else:
            side.weighting[metric] = "mean over utterances"


def transcript_units(metric: str, columns: dict[str, dict[str, Any]], utts: list[str]
                     ) -> tuple[dict[str, float] | None, str | None]:
    """Reference length (words or characters) of each utterance as the metric counts it:
    Whisper-normalised manifest transcript, characters for zh/ja."""
    try:
        from bench.metrics.models.asr import language_code
        from bench.metrics.models.asr_metric import CHARACTER_LANGUAGES, count_edits, normalise
    except ImportError as err:
        return None, f"text normaliser unavailable: {err}"
    units: dict[str, float] = {}
    for u in utts:
        row = columns.get(u) or {}
        if not row.get("text"):
            continue
        try:
            code = language_code(row.get("language"))
            norm = normalise(str(row["text"]), code)
        except Exception as err:  # an unsupported language or missing normaliser data
            return None, f"cannot normalise transcript of {u}: {err}"
        if code in CHARACTER_LANGUAGES:
            norm = "".join(norm.split())
        unit = "word" if metric == "wer" and code not in CHARACTER_LANGUAGES else "char"
        norm = " ".join(norm.split())
        if norm:
            units[u] = float(count_edits(norm, norm, unit).length)
    if not units:
        return None, "no manifest transcripts"
    return units, None


# -- from a score file ------------------------------------------------------------------------
def side_from_score(path: Path | str, label: str | None = None) -> Side:
    """The per-utterance values of a ``tokbench score --json`` file."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable score JSON: {err}") from err
    if not isinstance(raw, dict) or not isinstance(raw.get("metrics"), dict):
        raise ValueError(f"{path}: not a `tokbench score --json` file (no 'metrics' mapping)")
    hyp_dir = raw.get("hypothesis_dir") or path.stem
    side = Side(label=label or Path(str(hyp_dir)).name or path.stem, values={}, reasons={})
    for metric, summary in raw["metrics"].items():
        per_utt = summary.get("per_utterance") or {}
        side.values[metric] = {u: (None if v is None else float(v)) for u, v in per_utt.items()}
        side.reasons[metric] = {u: str(r) for u, r in (summary.get("reasons") or {}).items()}
        side.info[metric] = registered_info(metric)
        side.weighting[metric] = "mean over utterances"
    unmatched = raw.get("unmatched") or {}
    side.dropped = {u: "no reconstruction file for this reference"
                    for u in unmatched.get("reference_only", [])}
    side.dropped.update({u: "no reference file for this reconstruction"
                         for u in unmatched.get("hypothesis_only", [])})
    ref_dir = resolve_folder(raw.get("reference_dir"), path.parent)
    side.identity = {
        "source": "score",
        "score_file": str(path),
        "dataset": {"reference_dir": ref_dir, "hash": reference_hash(ref_dir),
                    "utterances": sorted(side.utterances | set(side.dropped))},
        "metrics": {m: {"version": side.info[m].get("version"),
                        "settings": score_settings(raw)}
                    for m in side.values},
        "tokenizer": {"hypothesis_dir": hyp_dir},
        "packages": {},
    }
    return side


def score_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """Metric settings a score file implies, as a suite would write them (default: none)."""
    policy = raw.get("length_policy")
    return {} if policy in (None, "truncate") else {"length_policy": policy}


def resolve_folder(folder: str | None, beside: Path) -> str | None:
    """A folder a score file names: as written (relative to the cwd), else beside the file."""
    if not folder:
        return None
    for candidate in (Path(folder), beside / folder):
        if candidate.is_dir():
            return str(candidate.resolve())
    return folder


def reference_hash(ref_dir: str | None) -> str | None:
    """sha256 over (relative name, content hash) of every reference audio file; None if absent."""
    if not ref_dir or not Path(ref_dir).is_dir():
        return None
    from bench.score import audio_files

    digest = hashlib.sha256()
    for name, file in sorted(audio_files(Path(ref_dir)).items()):
        digest.update(f"{name}\0{file_sha256(file)}\n".encode())
    return digest.hexdigest()
