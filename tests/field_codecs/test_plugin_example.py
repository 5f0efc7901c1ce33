"""The plugin API from outside the repository: the example package is pip-installed into a
temp folder and found by the registry through its entry point alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

EXAMPLE = PROJECT_ROOT / "examples" / "tokbench_plugin_example"

CHECK = """
import torch
from bench.registry import load_tokenizer, tokenizer_names
assert "mulaw_rvq" in tokenizer_names(), tokenizer_names()
tok = load_tokenizer("mulaw_rvq", sample_rate=8000, levels=16)
wav = torch.linspace(-0.5, 0.5, 8000).view(1, -1)
batch = tok.encode(wav, torch.tensor([8000]))
assert batch.tokens.shape == (1, 2, 8000), batch.tokens.shape
assert batch.item_token_count(0) == 16000 and batch.item_bits(0) == 64000.0
audio, lengths = tok.decode(batch)
err = float((audio[0] - wav[0]).abs().max())
assert err < 0.012, err  # half an 8-bit mu-law step at |x| = 0.5: 0.5 * 2/256 * 2.79
print("plugin ok", type(tok).__module__, err)
"""


def test_example_plugin_installs_and_registers(tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(EXAMPLE)],
        capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr  # pip builds it with setuptools from PyPI
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(PROJECT_ROOT)])}
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         env=env, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "plugin ok tokbench_plugin_example" in out.stdout
