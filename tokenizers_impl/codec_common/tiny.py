"""Tiny random models of every field-codec family, written with each family's own saving code
(``save_pretrained``, or SNAC's ``config.json`` + ``pytorch_model.bin``) and labelled untrained.

    write_tiny("encodec", Path("/tmp/encodec-tiny"))   # then build(checkpoint="/tmp/encodec-tiny")
"""

from __future__ import annotations

import importlib
from pathlib import Path

from tokenizers_impl.codec_common.weights import mark_tiny

FIELD_CODECS = ("encodec", "dac", "mimi", "snac", "xcodec", "xcodec2", "neucodec")


def tiny_checkpoint(family: str) -> Path:
    """The cached ``checkpoint: tiny`` folder of ``family`` (written on first use)."""
    if family not in FIELD_CODECS:
        raise KeyError(f"unknown field codec {family!r}; known: {list(FIELD_CODECS)}")
    module = importlib.import_module(f"tokenizers_impl.{family}.adapter")
    weights = module.tiny_weights() if family == "snac" else module.FAMILY.weights("tiny")
    return weights.folder


def write_tiny(family: str, folder: Path, seed: int = 0) -> Path:
    """Write a seeded random tiny ``family`` model into ``folder`` and return it."""
    if family not in FIELD_CODECS:
        raise KeyError(f"unknown field codec {family!r}; known: {list(FIELD_CODECS)}")
    module = importlib.import_module(f"tokenizers_impl.{family}.adapter")
    folder.mkdir(parents=True, exist_ok=True)
    if family == "snac":
        module.write_tiny(folder, seed)
    else:
        module.FAMILY.write_tiny(folder, seed)
    mark_tiny(folder, family)
    return folder
