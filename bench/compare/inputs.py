"""Resolve what the user named (a run in a store, a score JSON, a saved baseline) into a Side."""

from __future__ import annotations

import json
from pathlib import Path

from bench.compare.sides import Side, side_from_score, side_from_store
from bench.store import Store

BASELINE_KIND = "tokbench-baseline"


class InputError(ValueError):
    """Something named on the command line that cannot be read as a comparison side."""


def is_json_file(ref: str) -> bool:
    return ref.endswith(".json") and Path(ref).is_file()


def load_side(ref: str, variant: str | None = None, store: Path | str | None = None,
              dataset: str | None = None) -> Side:
    """A run (id or name, with ``variant``), a score file or a baseline file, as a Side."""
    if is_json_file(ref):
        raw = _read_json(Path(ref))
        if raw.get("kind") == BASELINE_KIND:
            sides = raw.get("sides") or {}
            if variant is None and len(sides) == 1:
                variant = next(iter(sides))
            if variant not in sides:
                raise InputError(f"{ref}: baseline holds variants {sorted(sides)}; "
                                 "pick one with --variant")
            return Side.from_dict(sides[variant])
        return side_from_score(ref, label=variant)
    if ref.endswith(".json"):
        raise InputError(f"{ref}: file not found")
    if variant is None:
        raise InputError(f"{ref} is a run: name the variant (--variant)")
    with Store(resolve_store(ref, store)) as db:
        try:
            return side_from_store(db, ref, variant, dataset)
        except KeyError as err:
            raise InputError(str(err).strip("'\"")) from err


def resolve_store(run: str, store: Path | str | None) -> Path:
    if store is not None:
        path = Path(store)
    else:
        from bench.cli import _store_holding

        path = _store_holding(run)
    if not path.exists():
        raise InputError(f"store {path} not found; pass --store PATH")
    return path


def run_variants(run: str, store: Path | str | None) -> tuple[list[str], list[dict]]:
    """(variant names, declared compare pairs) of a stored run, from its suite config."""
    with Store(resolve_store(run, store)) as db:
        try:
            record = db.find_run(run)
        except KeyError as err:
            raise InputError(str(err).strip("'\"")) from err
        config = json.loads(db.run_row(record.id)["config_json"] or "{}")
    names = [v["name"] for v in config.get("variants", [])]
    return names, list(config.get("compare") or [])


def _read_json(path: Path) -> dict:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: not readable JSON: {err}") from err
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a JSON object")
    return raw
