"""The report's provenance footer: suite hash, versions, checkpoint fingerprints and the
settings each variant and metric actually ran with (as the store recorded them)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from bench.report.tables import RunData

FINGERPRINT_BYTES = 1 << 20
_PATHISH = re.compile(r"(?:^|[=;\s])(/[^;\s]+|[A-Za-z]:\\[^;\s]+|[\w.\-/]+\.(?:ckpt|pth|pt|bin|"
                      r"safetensors|onnx|json))")


def fingerprint(path: Path) -> str:
    """sha256 of a checkpoint's first MiB plus its size: cheap, and changes with the file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        digest.update(fh.read(FINGERPRINT_BYTES))
    return f"sha256(first MiB) {digest.hexdigest()[:16]}, {path.stat().st_size} bytes"


def checkpoint_fingerprints(checkpoint: str) -> list[str]:
    """One 'path: fingerprint' per checkpoint file named in a variant's checkpoint string."""
    lines = []
    for match in _PATHISH.findall(checkpoint):
        path = Path(match)
        if path.is_file():
            lines.append(f"{path.name}: {fingerprint(path)}")
        elif path.suffix:
            lines.append(f"{path.name}: not present when the report was built")
    return lines


def provenance_items(data: RunData) -> list[tuple[str, str]]:
    """(label, text) pairs for the footer."""
    run = data.run
    items = [("suite", f"{run['name']}, config hash {run['config_hash']}, seed {run['seed']}"),
             ("code", f"git {run['git_commit']}"), ("device", str(run["device"])),
             ("run", f"{run['started_at']} → {run['ended_at'] or '(not finished)'}, "
                     f"status {run['status']}"),
             ("versions", ", ".join(f"{k} {v}" for k, v in
                                    sorted(json.loads(run["packages_json"] or "{}").items())))]
    config = json.loads(run["config_json"])
    if config.get("batch"):
        items.append(("batching", json.dumps(config["batch"], sort_keys=True)))
    for v in data.variants:
        text = f"{v['family']} {v['settings_json']}"
        if v["status"] != "ok":
            items.append((f"variant {v['variant']}", f"{text}; skipped: {v['reason']}"))
            continue
        if v["checkpoint"]:
            prints = checkpoint_fingerprints(str(v["checkpoint"]))
            text += f"; checkpoint {v['checkpoint']}" + (f" ({'; '.join(prints)})"
                                                         if prints else "")
        items.append((f"variant {data.label(v['variant'])}", text))
    settings = {m["id"]: m.get("settings", {}) for m in config.get("metrics", [])}
    for m in data.ok_metrics:
        info = data.metric_info(m["metric"])
        used = settings.get(m["metric"]) or {}
        parts = [f"settings {json.dumps(used, sort_keys=True)}" if used else "default settings",
                 f"version {info.get('version', '?')}"]
        if info.get("model"):
            parts.append(f"model {info['model']}")
        items.append((f"metric {m['metric']}", "; ".join(parts)))
    return items
