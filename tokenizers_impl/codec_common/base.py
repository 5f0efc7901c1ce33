"""The base adapter every field codec shares: resampling in and out, device, per-item encoding
at each item's own length, padding of tokens and audio.

Each item is encoded and decoded alone at its own length, so a batch gives exactly the tokens
of one-at-a-time calls (convolution padding and normalisation of a padded batch would otherwise
leak the batch's longest item into the others). A subclass implements two functions of one
item at the codec's native rate: ``encode_item(wav [1, 1, T]) -> K id streams`` and
``decode_item(streams) -> audio [T']``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
import torchaudio.functional as AF

from bench.contract import Codebook, TokenBatch, TokenizerInfo, check_waveforms


class CodecAdapter(ABC):
    """A multi-codebook codec behind the tokbench ``Tokenizer`` protocol.

    ``native_sample_rate`` is the codec's own input rate (``decoded_sample_rate`` its output
    rate, the same except for NeuCodec); ``sample_rate`` (what ``encode`` takes and ``decode``
    returns) is the native rate unless a suite asks for another one, in which case audio is
    resampled in and out with torchaudio's sinc kernel.
    """

    #: decode draws random numbers (SNAC's noise blocks): run it under a fixed seed per item
    seeded_decode: bool = False

    def __init__(self, model: torch.nn.Module, name: str, info: TokenizerInfo,
                 native_sample_rate: int, codebooks: tuple[Codebook, ...],
                 sample_rate: int | None = None, decoded_sample_rate: int | None = None
                 ) -> None:
        if not codebooks:
            raise ValueError("a codec needs at least one codebook")
        self.model = model.eval()
        self.name = name
        self.info = info
        self.native_sample_rate = int(native_sample_rate)
        self.decoded_sample_rate = int(decoded_sample_rate or native_sample_rate)
        self.sample_rate = int(sample_rate or native_sample_rate)
        self.codebooks = tuple(codebooks)
        self.vocab_size = max(c.size for c in self.codebooks)
        self.frame_rate = max(c.frame_rate for c in self.codebooks)
        self.device = torch.device("cpu")

    # -- what a family implements -------------------------------------------------------------
    @abstractmethod
    def encode_item(self, wav: torch.Tensor) -> list[torch.Tensor]:
        """One item [1, 1, T] at the native rate on ``self.device`` -> K 1-D id streams."""

    @abstractmethod
    def decode_item(self, streams: list[torch.Tensor]) -> torch.Tensor:
        """K 1-D id streams on ``self.device`` -> audio [T'] at ``decoded_sample_rate``."""

    # -- the Tokenizer protocol ---------------------------------------------------------------
    def to(self, device: torch.device | str) -> CodecAdapter:
        self.device = torch.device(device)
        self.model.to(self.device)
        return self

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        """waveforms [B, T] at ``sample_rate`` -> tokens [B, K, L], one stream per codebook."""
        check_waveforms(waveforms, lengths)
        items = []
        with torch.inference_mode():
            for i in range(waveforms.shape[0]):
                wav = waveforms[i, : int(lengths[i])].to(self.device, torch.float32)
                wav = self._resample(wav, self.sample_rate, self.native_sample_rate)
                streams = self.encode_item(wav.view(1, 1, -1))
                if len(streams) != len(self.codebooks):
                    raise RuntimeError(f"{self.name} emitted {len(streams)} streams for "
                                       f"{len(self.codebooks)} codebooks")
                items.append([s.reshape(-1).long().cpu() for s in streams])
        return TokenBatch.from_streams(items, self.codebooks)

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """TokenBatch -> (audio [B, T'] at ``sample_rate``, lengths [B])."""
        if batch.codebooks is None or tuple(batch.codebooks) != self.codebooks:
            raise ValueError(f"{self.name} decodes its own codebooks {self.codebooks}, got "
                             f"{batch.codebooks}")
        outputs = []
        with torch.inference_mode():
            for i in range(batch.batch_size):
                streams = [s.to(self.device) for s in batch.item_streams(i)]
                for stream, codebook in zip(streams, self.codebooks, strict=True):
                    if stream.numel() and (int(stream.min()) < 0
                                           or int(stream.max()) >= codebook.size):
                        raise ValueError(f"ids outside [0, {codebook.size}) in codebook "
                                         f"{codebook.name!r}")
                audio = self._decode_seeded(streams) if self.seeded_decode \
                    else self.decode_item(streams)
                audio = self._resample(audio.reshape(-1).float(), self.decoded_sample_rate,
                                       self.sample_rate)
                outputs.append(audio.cpu())
        lengths = torch.tensor([len(a) for a in outputs], dtype=torch.long)
        padded = torch.zeros(len(outputs), int(lengths.max()) if outputs else 0)
        for i, audio in enumerate(outputs):
            padded[i, : len(audio)] = audio
        return padded, lengths

    # -- helpers ------------------------------------------------------------------------------
    def _decode_seeded(self, streams: list[torch.Tensor]) -> torch.Tensor:
        """Random draws inside decode come from a fixed seed per item, so an item decodes to
        the same audio whatever batch it is in."""
        devices = []
        if self.device.type == "cuda":
            index = self.device.index
            devices = [torch.cuda.current_device() if index is None else index]
        with torch.random.fork_rng(devices=devices, device_type="cuda"):
            torch.manual_seed(0)
            return self.decode_item(streams)

    @staticmethod
    def _resample(wav: torch.Tensor, source: int, target: int) -> torch.Tensor:
        return wav if source == target else AF.resample(wav, source, target)
