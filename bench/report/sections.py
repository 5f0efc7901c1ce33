"""Plug-in points of ``index.html``: extra sections other report parts contribute.

A provider is ``provider(store, run_id, data, out_dir) -> list[ExtraSection]``; register it with
``register_section_provider`` (e.g. variant comparisons, paper reproduction tables), or pass
ready sections to ``write_report(..., extra_sections=[...])``. A provider that fails becomes a
section that says why, never a lost report.
"""

from __future__ import annotations

import html
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


def provided_sections(store: Store, run_id: int, data: RunData, out_dir: Path
                      ) -> list[ExtraSection]:
    sections: list[ExtraSection] = []
    for provider in SECTION_PROVIDERS:
        name = getattr(provider, "__qualname__", repr(provider))
        try:
            sections.extend(provider(store, run_id, data, out_dir))
        except Exception as err:  # one broken plug-in must not lose the report
            sections.append(ExtraSection(f"{name} (failed)",
                                         f"<p>{html.escape(type(err).__name__)}: "
                                         f"{html.escape(str(err))}</p>"))
    return sections
