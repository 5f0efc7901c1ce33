"""One tokenizer step: encode and decode a padded batch, isolating the items that fail."""

from __future__ import annotations

import contextlib
import hashlib
import random

import numpy as np
import torch

from bench.contract import Tokenizer
from bench.execution import timing

CodecOutput = tuple[np.ndarray, np.ndarray | None, float, np.ndarray]
"""(token ids, spans or None, side-info bits, reconstruction) of one utterance."""


def seed_everything(seed: int) -> None:
    """Seed every RNG a stochastic tokenizer or metric may draw from."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def audio_hash(audio: np.ndarray, sr: int) -> str:
    """Content hash of a waveform and its rate (the reference-side cache key)."""
    digest = hashlib.sha256(np.ascontiguousarray(audio, dtype="<f4").tobytes())
    digest.update(str(sr).encode())
    return digest.hexdigest()[:32]


AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_context(device: torch.device, autocast: str = "off"
                     ) -> contextlib.AbstractContextManager:
    """``torch.autocast`` on the device for ``bf16``/``fp16``; nothing for ``off``."""
    if autocast == "off":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=AUTOCAST_DTYPES[autocast])


def encode_decode(tok: Tokenizer, wavs: list[np.ndarray], device: torch.device,
                  autocast: str = "off") -> list[CodecOutput | Exception]:
    """Tokenize and reconstruct a padded batch; on failure retry item by item to isolate it.
    A CUDA out-of-memory error splits the batch in halves and retries each (recursively)."""
    if not wavs:
        return []
    try:
        return encode_decode_batch(tok, wavs, device, autocast)
    except torch.cuda.OutOfMemoryError as err:
        if len(wavs) == 1:
            return [err]
        release_cuda_memory(device)
        half = (len(wavs) + 1) // 2
        return (encode_decode(tok, wavs[:half], device, autocast)
                + encode_decode(tok, wavs[half:], device, autocast))
    except Exception as err:
        if len(wavs) == 1:
            return [err]
    out: list[CodecOutput | Exception] = []
    for wav in wavs:
        try:
            out.extend(encode_decode_batch(tok, [wav], device, autocast))
        except Exception as err:
            out.append(err)
    return out


def release_cuda_memory(device: torch.device) -> None:
    """Return cached blocks after an out-of-memory error so the halves can fit."""
    if device.type == "cuda":
        torch.cuda.empty_cache()


def encode_decode_batch(tok: Tokenizer, wavs: list[np.ndarray], device: torch.device,
                        autocast: str = "off") -> list[CodecOutput | Exception]:
    lengths = torch.tensor([len(w) for w in wavs], dtype=torch.long)
    padded = torch.zeros(len(wavs), int(lengths.max()), dtype=torch.float32)
    for i, w in enumerate(wavs):
        padded[i, : len(w)] = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))
    audio_s = float(lengths.sum()) / float(tok.sample_rate)
    with torch.inference_mode(), autocast_context(device, autocast):
        start = timing.clock()
        batch = tok.encode(padded.to(device), lengths.to(device))
        timing.record("encode", start, audio_s)
        start = timing.clock()
        recon, recon_lengths = tok.decode(batch)
        timing.record("decode", start, audio_s)
    batch = batch.to("cpu")
    recon = recon.detach().float().cpu()
    recon_lengths = recon_lengths.detach().cpu()
    if batch.batch_size != len(wavs) or recon.shape[0] != len(wavs):
        raise RuntimeError(f"tokenizer returned {batch.batch_size} token rows and "
                           f"{recon.shape[0]} waveforms for a batch of {len(wavs)}")
    side_bits = batch.side_bits()
    out: list[CodecOutput | Exception] = []
    for i in range(len(wavs)):
        tokens = batch.item_tokens(i).numpy().astype(np.int64)
        spans = batch.item_durations(i)
        hyp = recon[i, : int(recon_lengths[i])].numpy()
        if hyp.size == 0:
            out.append(RuntimeError("reconstruction is empty"))
        elif not np.all(np.isfinite(hyp)):
            out.append(FloatingPointError("reconstruction contains NaN or Inf"))
        else:
            out.append((tokens, None if spans is None else spans.numpy().astype(np.int64),
                        side_bits, hyp))
    return out
