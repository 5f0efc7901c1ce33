"""Plug-in points of ``index.html``: extra sections other report parts contribute.

A provider is ``provider(store, run_id, data, out_dir) -> list[ExtraSection]``; register it with
``register_section_provider`` (e.g. variant comparisons, paper reproduction tables), or pass
ready sections to ``write_report(..., extra_sections=[...])``. The modules named in
``PLUGIN_MODULES`` are imported when present and their ``report_sections`` function (same
signature) is registered, so ``bench/report/compare_section.py`` plugs in by existing. A provider
that fails becomes a section that says why, never a lost report.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable
from pathlib import Path

from bench.report.page import ExtraSection
from bench.report.tables import RunData
from bench.store import Store

SectionProvider = Callable[[Store, int, RunData, Path], list[ExtraSection]]
SECTION_PROVIDERS: list[SectionProvider] = []
"""Providers called by ``write_report`` in registration order."""


def register_section_provider(provider: SectionProvider) -> SectionProvider:
    """Add a provider (usable as a decorator); registering twice is a no-op."""
    if provider not in SECTION_PROVIDERS:
        SECTION_PROVIDERS.append(provider)
    return provider


PLUGIN_MODULES = ("bench.report.compare_section", "bench.report.reproduce_section")
"""Optional report parts (variant comparisons, paper reproduction): each module's
``report_sections(store, run_id, data, out_dir) -> list[ExtraSection]`` is a provider."""


def load_plugins() -> list[ExtraSection]:
    """Register ``report_sections`` of every plug-in module that is installed; a module that
    fails to import comes back as a section saying why."""
    failed: list[ExtraSection] = []
    for name in PLUGIN_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:  # not shipped: nothing to plug in
                continue
            failed.append(_failure(name, err))
            continue
        except Exception as err:  # a broken plug-in must not lose the report
            failed.append(_failure(name, err))
            continue
        provider = getattr(module, "report_sections", None)
        if callable(provider):
            register_section_provider(provider)
    return failed


def _failure(name: str, err: BaseException) -> ExtraSection:
    return ExtraSection(f"{name} (failed)", f"<p>{html.escape(type(err).__name__)}: "
                                            f"{html.escape(str(err))}</p>")


def provided_sections(store: Store, run_id: int, data: RunData, out_dir: Path
                      ) -> list[ExtraSection]:
    """Every registered provider's sections, in order (plug-in modules loaded first)."""
    sections: list[ExtraSection] = load_plugins()
    for provider in SECTION_PROVIDERS:
        name = getattr(provider, "__qualname__", repr(provider))
        try:
            sections.extend(provider(store, run_id, data, out_dir))
        except Exception as err:  # one broken plug-in must not lose the report
            sections.append(_failure(name, err))
    return sections
