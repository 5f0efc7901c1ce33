"""Find tokenizers and metrics through Python entry points.

Built-ins register exactly like third-party packages do, in ``pyproject.toml``::

    [project.entry-points."tokbench.tokenizers"]
    varstok = "tokenizers_impl.varstok.adapter:build"

    [project.entry-points."tokbench.metrics"]
    pesq_wb = "bench.metrics.pesq_wb:PesqWideband"

A tokenizer entry point is a factory ``build(**settings) -> Tokenizer``; a metric entry point
is a ``Metric`` subclass (or a zero-argument factory). Loading an entry point whose optional
dependency is missing never breaks the registry: the error is kept and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from bench.contract import Tokenizer
from bench.metrics.base import Metric

TOKENIZER_GROUP = "tokbench.tokenizers"
METRIC_GROUP = "tokbench.metrics"


@dataclass
class LoadFailure:
    """An entry point that could not be imported, and why."""

    name: str
    target: str
    error: str


_extra_tokenizers: dict[str, Callable[..., Tokenizer]] = {}
_extra_metrics: dict[str, Callable[[], Metric]] = {}


def register_tokenizer(name: str, factory: Callable[..., Tokenizer]) -> None:
    """Register a tokenizer factory at run time (tests, notebooks); entry points are preferred."""
    _extra_tokenizers[name] = factory


def register_metric(name: str, factory: Callable[[], Metric]) -> None:
    """Register a metric at run time (tests, notebooks); entry points are preferred."""
    _extra_metrics[name] = factory


def _entry_points(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def tokenizer_names() -> list[str]:
    return sorted(set(_entry_points(TOKENIZER_GROUP)) | set(_extra_tokenizers))


def metric_names() -> list[str]:
    return sorted(set(_entry_points(METRIC_GROUP)) | set(_extra_metrics))


def tokenizer_factory(name: str) -> Callable[..., Tokenizer]:
    if name in _extra_tokenizers:
        return _extra_tokenizers[name]
    eps = _entry_points(TOKENIZER_GROUP)
    if name not in eps:
        raise KeyError(f"unknown tokenizer family {name!r}; registered: {tokenizer_names()}")
    return eps[name].load()


def load_tokenizer(family: str, **settings: Any) -> Tokenizer:
    """Build a tokenizer of ``family`` with the settings of one YAML variant."""
    return tokenizer_factory(family)(**settings)


def _metric_factories() -> tuple[dict[str, Callable[[], Metric]], list[LoadFailure]]:
    factories: dict[str, Callable[[], Metric]] = dict(_extra_metrics)
    failures: list[LoadFailure] = []
    for name, ep in _entry_points(METRIC_GROUP).items():
        if name in factories:
            continue
        try:
            factories[name] = ep.load()
        except Exception as err:  # an optional dependency is missing: report, never crash
            failures.append(LoadFailure(name, ep.value, f"{type(err).__name__}: {err}"))
    return factories, failures


def metric_aliases() -> dict[str, str]:
    """Alias -> canonical id for every loadable metric."""
    factories, _ = _metric_factories()
    aliases: dict[str, str] = {}
    for name, factory in factories.items():
        info = getattr(factory, "info", None)
        for alias in getattr(info, "aliases", ()):
            aliases[alias] = name
    return aliases


def load_metric(name: str, **settings: Any) -> Metric:
    """Instantiate one metric by id or alias."""
    factories, failures = _metric_factories()
    canonical = metric_aliases().get(name, name)
    if canonical in factories:
        return factories[canonical](**settings)
    for failure in failures:
        if failure.name == canonical:
            raise ImportError(
                f"metric {name!r} failed to load from {failure.target}: {failure.error}"
            )
    raise KeyError(f"unknown metric {name!r}; registered: {sorted(factories)}")


def load_metrics(names: list[str]) -> tuple[list[Metric], dict[str, str]]:
    """Load several metrics; returns the usable ones and {id: reason} for the rest."""
    usable: list[Metric] = []
    skipped: dict[str, str] = {}
    for name in names:
        try:
            metric = load_metric(name)
        except (ImportError, KeyError) as err:
            skipped[name] = str(err)
            continue
        reason = metric.unavailable_reason()
        if reason:
            skipped[metric.info.id] = reason
        else:
            usable.append(metric)
    return usable, skipped
