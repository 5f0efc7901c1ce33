"""Plutok speech tokenizer (OpenVoice converter + VQ-VAE + BPE), reimplemented for tokbench."""

from tokenizers_impl.plutok.tokenizer import Encode, Plutok

__all__ = ["Encode", "Plutok"]
