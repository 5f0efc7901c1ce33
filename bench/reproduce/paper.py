"""A published paper table as data: citation, dataset, per-column protocol, rows, printed cells.

One YAML file per table (``bench/papers/*.yaml``), read with ``yaml.safe_load`` and validated
here; every problem (an unknown key, a cell for an undeclared column, a number that does not
parse) is reported at once, naming the key. Published numbers stay the strings printed in the
paper so their precision is known (``"0.9188"`` is printed to 4 decimals).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

PAPERS_DIR = Path(__file__).resolve().parents[1] / "papers"
AGGREGATIONS = ("mean", "corpus", "mean_excluding_nan")
"""How utterance values become one cell: plain mean; corpus ratio of sums (total tokens / total
seconds, weighted by duration); mean over files with a finite value, NaN files excluded."""
TRUNCATIONS = ("shorter", "none")


class PaperError(ValueError):
    """A paper-table file that cannot be used; the message lists every problem."""


@dataclass(frozen=True)
class Citation:
    title: str
    arxiv: str
    table: str
    authors: str = ""
    venue: str = ""
    url: str = ""


@dataclass(frozen=True)
class DatasetDecl:
    """Corpus and split, the manifest builders tried in order under ``--data ROOT``, and the
    split's full size (fewer utterances means the table is marked as a subset)."""

    corpus: str
    split: str
    builders: tuple[dict[str, Any], ...]
    utterances: int | None = None


@dataclass(frozen=True)
class Column:
    """One table column and the protocol that produces it.

    metric: a registered metric id; settings: passed to ``load_metric``; aggregation: see
    ``AGGREGATIONS``; scale: multiplies the metric's value (bit/s -> kbps is 0.001);
    sample_rate / truncation / nan_rule: the paper's protocol, checked or recorded;
    tolerance: |measured - published| at most this is "within tolerance";
    declared: a rate column read from a precomputed row's declared rate (``token_rate`` or
    ``kbps``); language: only utterances of this manifest language enter the cell.
    """

    key: str
    label: str
    metric: str
    aggregation: str
    tolerance: float
    settings: dict[str, Any] = field(default_factory=dict)
    scale: float = 1.0
    sample_rate: int | None = None
    truncation: str = "shorter"
    nan_rule: str = ""
    declared: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Published:
    """A printed number: its text as in the paper, value and number of decimals."""

    text: str

    @property
    def value(self) -> float:
        return float(self.text)

    @property
    def decimals(self) -> int:
        return len(self.text.split(".", 1)[1]) if "." in self.text else 0


@dataclass(frozen=True)
class Row:
    """A table row: the ground truth, a tokenizer variant, and/or a precomputed folder."""

    label: str
    published: dict[str, Published]
    ground_truth: bool = False
    variant: dict[str, Any] | None = None
    precomputed: dict[str, Any] | None = None
    notes: str = ""


@dataclass(frozen=True)
class PaperTable:
    name: str
    citation: Citation
    dataset: DatasetDecl
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    source: str = ""
    notes: str = ""

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


_TOP = {"name", "citation", "dataset", "columns", "rows", "notes"}
_CITATION = {"title", "arxiv", "table", "authors", "venue", "url"}
_DATASET = {"corpus", "split", "builders", "utterances"}
_COLUMN = {"key", "label", "metric", "settings", "aggregation", "scale", "sample_rate",
           "truncation", "nan_rule", "tolerance", "declared", "language"}
_ROW = {"label", "ground_truth", "variant", "precomputed", "published", "notes"}
_VARIANT = {"family", "settings", "weights"}
_PRECOMPUTED = {"folder", "token_rate", "bits_per_token", "sample_rate"}
_DECLARED = ("token_rate", "kbps")


def load_paper(path: Path | str) -> PaperTable:
    """Read and validate a paper-table YAML (a bare name looks in ``bench/papers/``)."""
    path = Path(path)
    if not path.exists() and (PAPERS_DIR / path.with_suffix(".yaml").name).exists():
        path = PAPERS_DIR / path.with_suffix(".yaml").name
    if not path.is_file():
        raise PaperError(f"paper table {path} not found (shipped: {shipped_papers()})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise PaperError(f"{path}: not valid YAML: {err}") from err
    return parse_paper(raw, source=str(path))


def shipped_papers() -> list[str]:
    return sorted(p.stem for p in PAPERS_DIR.glob("*.yaml"))


def parse_paper(raw: Any, source: str = "paper") -> PaperTable:
    """Validate a paper-table mapping; raises ``PaperError`` listing every problem."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise PaperError(f"{source}: a paper table must be a mapping with citation, dataset, "
                         "columns, rows")
    _unknown(raw, _TOP, "top level", problems)
    citation = _citation(raw.get("citation"), problems)
    dataset = _dataset(raw.get("dataset"), problems)
    columns = _columns(raw.get("columns"), problems)
    rows = _rows(raw.get("rows"), {c.key: c for c in columns}, problems)
    name = raw.get("name") or Path(source).stem
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        problems.append(f"name: a slug of letters, digits, '-' and '_', got {name!r}")
    if problems:
        raise PaperError(f"{source}: invalid paper table:\n  - " + "\n  - ".join(problems))
    assert citation is not None and dataset is not None
    return PaperTable(name=str(name), citation=citation, dataset=dataset,
                      columns=tuple(columns), rows=tuple(rows), source=source,
                      notes=str(raw.get("notes") or ""))


def _unknown(entry: dict[str, Any], known: set[str], where: str, problems: list[str]) -> None:
    for key in sorted(set(entry) - known, key=str):
        problems.append(f"{where}: unknown key {key!r} (known: {sorted(known)})")


def _mapping(value: Any, where: str, problems: list[str]) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        problems.append(f"{where}: required mapping, got {value!r}")
        return None
    return value


def _text(entry: dict[str, Any], key: str, where: str, problems: list[str],
          required: bool = True) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        problems.append(f"{where}.{key}: required text, got {value!r}")
        return ""
    return str(value)


def _citation(value: Any, problems: list[str]) -> Citation | None:
    entry = _mapping(value, "citation", problems)
    if entry is None:
        return None
    _unknown(entry, _CITATION, "citation", problems)
    return Citation(title=_text(entry, "title", "citation", problems),
                    arxiv=_text(entry, "arxiv", "citation", problems),
                    table=_text(entry, "table", "citation", problems),
                    authors=_text(entry, "authors", "citation", problems, required=False),
                    venue=_text(entry, "venue", "citation", problems, required=False),
                    url=_text(entry, "url", "citation", problems, required=False))


def _dataset(value: Any, problems: list[str]) -> DatasetDecl | None:
    entry = _mapping(value, "dataset", problems)
    if entry is None:
        return None
    _unknown(entry, _DATASET, "dataset", problems)
    builders = entry.get("builders")
    if not isinstance(builders, list) or not builders:
        problems.append("dataset.builders: a non-empty list of manifest builders")
        builders = []
    for i, builder in enumerate(builders):
        kind = builder.get("kind") if isinstance(builder, dict) else None
        if kind not in ("libritts", "librispeech", "folder", "manifest"):
            problems.append(f"dataset.builders[{i}]: kind must be libritts, librispeech, folder "
                            f"or manifest, got {builder!r}")
            continue
        needs = {"libritts": "subset", "librispeech": "subset", "folder": "audio_dir",
                 "manifest": "path"}[kind]
        if needs not in builder:
            problems.append(f"dataset.builders[{i}]: {kind} needs {needs!r}")
        _unknown(builder, {"kind", needs, "note"}, f"dataset.builders[{i}]", problems)
    size = entry.get("utterances")
    if size is not None and (not isinstance(size, int) or size <= 0):
        problems.append(f"dataset.utterances: a positive integer, got {size!r}")
    return DatasetDecl(corpus=_text(entry, "corpus", "dataset", problems),
                       split=_text(entry, "split", "dataset", problems),
                       builders=tuple(b for b in builders if isinstance(b, dict)),
                       utterances=size)


def _entries(value: Any, section: str, what: str, problems: list[str]
             ) -> list[tuple[int, dict[str, Any]]]:
    """(index, mapping) of each entry of a non-empty list section; a problem for anything else."""
    if not isinstance(value, list) or not value:
        problems.append(f"{section}: a non-empty list of {what}")
        return []
    out = []
    for i, entry in enumerate(value):
        if isinstance(entry, dict):
            out.append((i, entry))
        else:
            problems.append(f"{section}[{i}]: must be a mapping, got {entry!r}")
    return out


def _columns(value: Any, problems: list[str]) -> list[Column]:
    entries = _entries(value, "columns", "column protocols", problems)
    if not entries:
        return []
    out: list[Column] = []
    for i, entry in entries:
        where = f"columns[{i}]"
        _unknown(entry, _COLUMN, where, problems)
        key = _text(entry, "key", where, problems)
        where = f"columns[{key or i}]"
        aggregation = entry.get("aggregation", "mean")
        if aggregation not in AGGREGATIONS:
            problems.append(f"{where}.aggregation: one of {AGGREGATIONS}, got {aggregation!r}")
        truncation = entry.get("truncation", "shorter")
        if truncation not in TRUNCATIONS:
            problems.append(f"{where}.truncation: one of {TRUNCATIONS}, got {truncation!r}")
        tolerance = entry.get("tolerance")
        if not _number(tolerance) or tolerance < 0:
            problems.append(f"{where}.tolerance: a number >= 0, got {tolerance!r}")
            tolerance = 0.0
        scale = entry.get("scale", 1.0)
        if not _number(scale) or scale == 0:
            problems.append(f"{where}.scale: a non-zero number, got {scale!r}")
            scale = 1.0
        settings = entry.get("settings") or {}
        if not isinstance(settings, dict):
            problems.append(f"{where}.settings: a mapping of metric settings")
            settings = {}
        rate = entry.get("sample_rate")
        if rate is not None and (not isinstance(rate, int) or rate <= 0):
            problems.append(f"{where}.sample_rate: a positive integer (Hz), got {rate!r}")
        declared = entry.get("declared")
        if declared is not None and declared not in _DECLARED:
            problems.append(f"{where}.declared: one of {_DECLARED}, got {declared!r}")
        out.append(Column(key=key, label=_text(entry, "label", where, problems),
                          metric=_text(entry, "metric", where, problems),
                          aggregation=str(aggregation), tolerance=float(tolerance),
                          settings=dict(settings), scale=float(scale), sample_rate=rate,
                          truncation=str(truncation), nan_rule=str(entry.get("nan_rule") or ""),
                          declared=declared,
                          language=str(entry["language"]) if entry.get("language") else None))
    keys = [c.key for c in out]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"columns: duplicate key {key!r}")
    return out


def _rows(value: Any, columns: dict[str, Column], problems: list[str]) -> list[Row]:
    entries = _entries(value, "rows", "table rows", problems)
    if not entries:
        return []
    out: list[Row] = []
    for i, entry in entries:
        where = f"rows[{i}]"
        _unknown(entry, _ROW, where, problems)
        label = _text(entry, "label", where, problems)
        where = f"rows[{label or i}]"
        ground_truth = entry.get("ground_truth", False) is True
        variant = _variant(entry.get("variant"), where, problems)
        precomputed = _precomputed(entry.get("precomputed"), where, problems)
        if not ground_truth and variant is None and precomputed is None:
            problems.append(f"{where}: give ground_truth: true, a variant, or a precomputed folder")
        published: dict[str, Published] = {}
        cells = entry.get("published") or {}
        if not isinstance(cells, dict):
            problems.append(f"{where}.published: a mapping column -> printed number")
            cells = {}
        for key, text in cells.items():
            if key not in columns:
                problems.append(f"{where}.published: unknown column {key!r} "
                                f"(columns: {sorted(columns)})")
                continue
            if not isinstance(text, str):
                problems.append(f"{where}.published.{key}: quote the printed number so its "
                                f"precision is kept (e.g. '0.90'), got {text!r}")
                continue
            try:
                float(text)
            except ValueError:
                problems.append(f"{where}.published.{key}: not a number: {text!r}")
                continue
            published[key] = Published(text.strip())
        out.append(Row(label=label, published=published, ground_truth=ground_truth,
                       variant=variant, precomputed=precomputed,
                       notes=str(entry.get("notes") or "")))
    labels = [r.label for r in out]
    for label in sorted({x for x in labels if labels.count(x) > 1}):
        problems.append(f"rows: duplicate label {label!r}")
    return out


def _variant(value: Any, where: str, problems: list[str]) -> dict[str, Any] | None:
    if value is None:
        return None
    entry = _mapping(value, f"{where}.variant", problems)
    if entry is None:
        return None
    _unknown(entry, _VARIANT, f"{where}.variant", problems)
    _text(entry, "family", f"{where}.variant", problems)
    for key in ("settings", "weights"):
        if not isinstance(entry.get(key) or {}, dict):
            problems.append(f"{where}.variant.{key}: a mapping")
    return {"family": entry.get("family"), "settings": dict(entry.get("settings") or {}),
            "weights": dict(entry.get("weights") or {})}


def _precomputed(value: Any, where: str, problems: list[str]) -> dict[str, Any] | None:
    if value is None:
        return None
    entry = _mapping(value, f"{where}.precomputed", problems)
    if entry is None:
        return None
    _unknown(entry, _PRECOMPUTED, f"{where}.precomputed", problems)
    _text(entry, "folder", f"{where}.precomputed", problems)
    for key in ("token_rate", "bits_per_token"):
        if key in entry and (not _number(entry[key]) or entry[key] <= 0):
            problems.append(f"{where}.precomputed.{key}: a positive number, got {entry[key]!r}")
    return dict(entry)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def with_overrides(paper: PaperTable, overrides: list[str]) -> tuple[PaperTable, list[str]]:
    """Apply ``COLUMN.SETTING=VALUE`` metric-setting overrides (e.g. ``vuv_f1.capacity=tiny``
    where crepe full is too slow on a CPU); returns the table and one line per override, which
    the output prints as a protocol deviation. Values are parsed as YAML scalars."""
    columns = {c.key: c for c in paper.columns}
    lines: list[str] = []
    for text in overrides:
        target, sep, value_text = text.partition("=")
        key, dot, setting = target.partition(".")
        if not sep or not dot or not setting or key not in columns:
            raise PaperError(f"override {text!r}: use COLUMN.SETTING=VALUE with a column of "
                             f"{paper.name} ({sorted(columns)})")
        value = yaml.safe_load(value_text)
        column = columns[key]
        before = column.settings.get(setting, "(metric default)")
        columns[key] = replace(column, settings={**column.settings, setting: value})
        lines.append(f"protocol override: column {key} metric {column.metric} {setting}={value!r}"
                     f" (paper protocol: {before!r})")
    return replace(paper, columns=tuple(columns[c.key] for c in paper.columns)), lines
