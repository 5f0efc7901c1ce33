"""One trust switch: pickled checkpoints are refused with one line naming the file and the flag;
a hostile pickle never runs without --trust-remote-checkpoints, whichever loader reads it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from bench.metrics.utmos import UtmosWeightsError, read_state_dict
from bench.trust import (
    TRUST_FLAG,
    CheckpointReadError,
    UntrustedFileError,
    is_trusted,
    safe_torch_load,
    trusted,
)


class _Touch:
    """Unpickling this object creates ``path`` (stands for arbitrary code)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def _hostile(tmp_path: Path, name: str = "model.ckpt") -> tuple[Path, Path]:
    marker = tmp_path / "PWNED"
    path = tmp_path / name
    torch.save({"state_dict": {"w": torch.zeros(2)}, "payload": _Touch(str(marker))}, path)
    return path, marker


def test_hostile_pickle_is_refused_in_one_line(tmp_path: Path) -> None:
    path, marker = _hostile(tmp_path)
    assert not is_trusted()
    with pytest.raises(UntrustedFileError) as err:
        safe_torch_load(path)
    text = str(err.value)
    assert str(path) in text and TRUST_FLAG in text and "\n" not in text
    assert "weights_only" not in text
    assert not marker.exists()


def test_trust_from_the_cli_switch_unpickles(tmp_path: Path) -> None:
    path, marker = _hostile(tmp_path)
    with trusted():
        safe_torch_load(path)
    assert marker.exists()  # proves the payload is live: only trust lets it run
    assert not is_trusted()


def test_tensor_files_load_and_garbage_is_not_blamed_on_trust(tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    torch.save({"w": torch.arange(3)}, good)
    assert torch.equal(safe_torch_load(good)["w"], torch.arange(3))
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointReadError, match=r"bad\.pt"):
        safe_torch_load(bad)


@pytest.mark.parametrize("loader", ["utmos", "varstok", "plutok", "varstok_train"])
def test_every_family_and_metric_uses_the_switch(tmp_path: Path, loader: str) -> None:
    path, marker = _hostile(tmp_path)
    if loader == "utmos":
        with pytest.raises(UtmosWeightsError, match=TRUST_FLAG):
            read_state_dict(path)
    elif loader == "varstok":
        from tokenizers_impl.varstok.checkpoint import load_state_dict

        with pytest.raises(UntrustedFileError, match=TRUST_FLAG):
            load_state_dict(path)
    elif loader == "plutok":
        from tokenizers_impl.plutok.checkpoint import read_state_dict as plutok_read

        with pytest.raises(UntrustedFileError, match=TRUST_FLAG):
            plutok_read(path)
    else:
        from tokenizers_impl.varstok.train.checkpoint import load_state_dict as train_read

        with pytest.raises(UntrustedFileError, match=TRUST_FLAG):
            train_read(path, ("state_dict",))
    assert not marker.exists()


def test_trust_is_not_a_metric_setting() -> None:
    from bench.metrics.utmos import Utmos

    with pytest.raises(TypeError):
        Utmos(trust_checkpoint=True)  # type: ignore[call-arg]
