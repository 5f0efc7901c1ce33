"""WavTokenizer (fixed-rate baseline): the VARSTok model with clustering off, one token per 75 Hz
frame, vocabulary 4096. ``tokenizers_impl.wavtokenizer.model.WavTokenizer`` loads WavTokenizer's
official LightningCLI config + checkpoint (same key layout); ``adapter.build`` is the harness
adapter."""

from tokenizers_impl.wavtokenizer.model import WavTokenizer

__all__ = ["WavTokenizer"]
