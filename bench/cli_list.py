"""``tokbench list``: registered tokenizers and metrics with their availability.

The default answer comes from files and installed packages only (entry-point metadata,
``importlib.util.find_spec``, the weights resolver), so it never imports torch or builds a model
and answers in about a second. ``--check`` loads every tokenizer and metric for real.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from bench import weights
from bench.metrics.notes import LISTED_NOTES

TOKENIZER_GROUP = "tokbench.tokenizers"
METRIC_GROUP = "tokbench.metrics"


@dataclass(frozen=True)
class Needs:
    """What a built-in metric needs with default settings: importable packages and weights."""

    packages: tuple[str, ...] = ()
    weights: Callable[[], weights.WeightSpec] | None = None


def _asr_spec() -> weights.WeightSpec:
    # Mirrors bench.metrics.models.asr defaults: large-v3 (openai-whisper) on GPU, else tiny.en
    # (faster-whisper); the GPU test here is the device node, so torch is not imported.
    if Path("/dev/nvidia0").exists():
        return weights.whisper_spec("large-v3")
    return weights.faster_whisper_spec("tiny.en")


def _asr_packages() -> tuple[str, ...]:
    base = ("jiwer", "whisper")
    return base if Path("/dev/nvidia0").exists() else (*base, "faster_whisper")


_CREPE = Needs(("librosa", "torchcrepe"), lambda: weights.crepe_spec("full"))
_DNSMOS = Needs(("librosa", "onnxruntime"), lambda: weights.DNSMOS)
BUILTIN_NEEDS: dict[str, Needs] = {
    "pesq_wb": Needs(("pesq",)), "pesq_nb": Needs(("pesq",)),
    "stoi": Needs(("pystoi",)), "estoi": Needs(("pystoi",)),
    "mel_l1": Needs(), "stft_mr": Needs(), "si_sdr": Needs(),
    "tokens_per_s": Needs(), "bits_per_s": Needs(), "entropy_bits_per_s": Needs(),
    "side_bits_per_s": Needs(), "codebook_usage": Needs(), "mean_span": Needs(),
    "utmos": Needs((), lambda: weights.UTMOS),
    "dnsmos_ovrl": _DNSMOS, "dnsmos_sig": _DNSMOS, "dnsmos_bak": _DNSMOS, "dnsmos_p808": _DNSMOS,
    "wer": Needs(_asr_packages(), _asr_spec), "cer": Needs(_asr_packages(), _asr_spec),
    "spk_sim_resemblyzer": Needs(("resemblyzer",), lambda: weights.RESEMBLYZER),
    "spk_sim_ecapa": Needs(("speechbrain",), lambda: weights.ECAPA),
    "spk_sim_wavlm": Needs(("transformers",), lambda: weights.WAVLM_SV),
    "vuv_f1": _CREPE, "periodicity": _CREPE, "pitch_rmse": _CREPE,
}
"""Kept equal to each metric's ``unavailable_reason`` by tests/test_cli_list.py."""


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def quick_metric_reason(name: str) -> str | None:
    """Why metric ``name`` cannot run with default settings (None: it can), from files only."""
    needs = BUILTIN_NEEDS.get(name)
    if needs is None:
        raise KeyError(name)
    missing = [p for p in needs.packages if not _importable(p)]
    if missing:
        return f"{name} needs the Python package(s) {', '.join(missing)}"
    return weights.unavailable(needs.weights()) if needs.weights else None


def _module_of(target: str) -> str:
    return target.split(":", 1)[0]


def module_file(module: str) -> Path | None:
    """The source file of ``a.b.c`` found on disk without importing ``a.b`` (whose
    ``__init__`` may import torch); None when it does not exist."""
    top, *rest = module.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if not rest:
        return Path(spec.origin) if spec.origin else None
    if not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    for part in rest[:-1]:
        folder = folder / part
    for candidate in (folder / f"{rest[-1]}.py", folder / rest[-1] / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def quick_tokenizer_status(target: str) -> str:
    """Registered and its module present (nothing imported or built)."""
    module = _module_of(target)
    if module_file(module) is None:
        return f"unavailable: module {module} not found"
    return "registered (`tokbench list --check` builds it with default settings)"


def _print(name: str, status: str) -> None:
    print(f"  {name:<24} " + status.replace("\n", "\n" + " " * 27))


def _runtime_registered() -> tuple[set[str], set[str]]:
    """Tokenizers and metrics registered in this process (only if the registry is loaded:
    importing it would import torch)."""
    registry = sys.modules.get("bench.registry")
    if registry is None:
        return set(), set()
    return set(registry._extra_tokenizers), set(registry._extra_metrics)


def list_quick() -> int:
    """Availability from files and imports only."""
    extra_tokenizers, extra_metrics = _runtime_registered()
    tokenizers = {ep.name: ep.value for ep in entry_points(group=TOKENIZER_GROUP)}
    print("tokenizers:")
    for name in sorted(set(tokenizers) | extra_tokenizers):
        _print(name, quick_tokenizer_status(tokenizers[name]) if name not in extra_tokenizers
               else "registered at run time")
    metrics = {ep.name: ep.value for ep in entry_points(group=METRIC_GROUP)}
    print("metrics:")
    for name in sorted(set(metrics) | extra_metrics):
        if name in extra_metrics:
            _print(name, "registered at run time (`tokbench list --check` loads it)")
            continue
        try:
            reason = quick_metric_reason(name)
        except KeyError:
            ok = module_file(_module_of(metrics[name])) is not None
            _print(name, "registered (`tokbench list --check` loads it)" if ok
                   else f"unavailable: module {_module_of(metrics[name])} not found")
            continue
        note = LISTED_NOTES.get(name)
        _print(name, ("available" if not reason else "unavailable: " + reason)
               + (f"\nnote: {note}" if note else ""))
    print("(from files and installed packages; `tokbench list --check` loads each model)")
    return 0
