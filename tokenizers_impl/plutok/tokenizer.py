"""Plutok inference: audio → speaker embedding + BPE ids, and back. Public names follow the
official ``plutok.tokenizer`` (``Plutok``, ``Encode``, ``.encode``, ``.decode``) so user code
ports by changing one import.

Differences from the official code, all deliberate: the VQ-VAE runs in eval semantics (the
official encode silently rewrites its codebook through dead-code replacement); ``sample_rate``
is an argument (resampled to the converter rate with torchaudio) instead of an assumption; the
noise scales and a seed are keyword arguments (official: 0.3 and 0.3, global RNG); inputs too
short for two VQ frames raise ``ValueError`` instead of crashing deep inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchaudio.functional as AF

from tokenizers_impl.plutok.bpe import BpeLayer, ids_to_text
from tokenizers_impl.plutok.checkpoint import load_strict, read_state_dict
from tokenizers_impl.plutok.converter import ConverterConfig, ToneColorConverter
from tokenizers_impl.plutok.spectrogram import linear_spectrogram, num_frames
from tokenizers_impl.plutok.vqvae import STRIDE, VQVAE

OFFICIAL_ENCODE_NOISE = 0.3
OFFICIAL_DECODE_NOISE = 0.3
MIN_VQ_FRAMES = 2
"""The official code fails for a single VQ id; shorter inputs are rejected up front."""


@dataclass
class Encode:
    """One encoded utterance: BPE ids (list of int) and speaker embedding se [1, gin, 1]."""

    ids: list[int]
    se: torch.Tensor


@dataclass
class EncodeStages:
    """Every intermediate of one encode (for parity checks and analysis)."""

    spec: torch.Tensor
    se: torch.Tensor
    m: torch.Tensor
    logs: torch.Tensor
    z_p: torch.Tensor
    z_e: torch.Tensor
    vq_ids: list[int]
    text: str
    bpe_ids: list[int]


def converter_paths(ov_ckpt: Path | str) -> tuple[Path, Path]:
    """``{ov_ckpt}/converter/config.json`` and ``checkpoint.pth``."""
    root = Path(ov_ckpt) / "converter"
    return root / "config.json", root / "checkpoint.pth"


def load_converter(
    ov_ckpt: Path | str, device: str | torch.device = "cpu"
) -> ToneColorConverter:
    config_path, ckpt_path = converter_paths(ov_ckpt)
    if not config_path.is_file():
        raise FileNotFoundError(f"OpenVoice converter config not found: {config_path}")
    model = ToneColorConverter(ConverterConfig.from_file(config_path))
    state = read_state_dict(ckpt_path, key="model")
    load_strict(model, state, f"converter checkpoint {ckpt_path}")
    return model.to(device).eval()


def load_vqvae(
    path: Path | str, device: str | torch.device = "cpu"
) -> VQVAE:
    """Build the VQ-VAE with widths read from the checkpoint shapes, then load it strictly."""
    state = read_state_dict(path)
    try:
        h_dim = int(state["encoder.0.conv.weight"].shape[0])
        num_codes = int(state["vq_layer.codebook.weight"].shape[0])
    except KeyError as err:
        raise ValueError(f"{path}: not a Plutok VQ-VAE state_dict (missing {err})") from err
    model = VQVAE(h_dim=h_dim, num_codes=num_codes)
    load_strict(model, state, f"VQ-VAE checkpoint {path}")
    return model.to(device).eval()


def _as_mono_tensor(wav: np.ndarray | torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(wav) if not isinstance(wav, torch.Tensor) else wav)
    if t.dim() == 2 and t.shape[0] == 1:
        t = t[0]
    if t.dim() != 1:
        raise ValueError(f"expected mono audio [S], got shape {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError("audio is empty")
    t = t.detach().to(torch.float32).cpu()
    if not torch.isfinite(t).all():
        raise ValueError("audio contains NaN or Inf samples")
    return t


class Plutok:
    """Plutok tokenizer: converter + VQ-VAE + BPE (see module docstring for the semantics).

    encode_noise: posterior sampling scale tau (official 0.3; 0 gives deterministic ids)
    decode_noise: std of the Gaussian noise added to the VQ-VAE features (official 0.3)
    seed:         when set, every encode/decode call draws its noise from a generator seeded
                  with it (the official code with ``torch.manual_seed(seed)`` before each call);
                  None draws from torch's global RNG like the official code
    """

    def __init__(
        self,
        ov_ckpt: Path | str,
        vqvae_ckpt: Path | str,
        tokenizer_file: Path | str,
        device: str | torch.device = "cpu",
        *,
        encode_noise: float = OFFICIAL_ENCODE_NOISE,
        decode_noise: float = OFFICIAL_DECODE_NOISE,
        seed: int | None = None,
    ) -> None:
        self.device = torch.device(device)
        self.ov = load_converter(ov_ckpt, self.device)
        self.vqvae = load_vqvae(vqvae_ckpt, self.device)
        self.bpe = BpeLayer(tokenizer_file)
        if self.vqvae.h_dim != self.ov.cfg.inter_channels:
            raise ValueError(
                f"VQ-VAE width {self.vqvae.h_dim} does not match the converter latent width "
                f"{self.ov.cfg.inter_channels}"
            )
        self.encode_noise = float(encode_noise)
        self.decode_noise = float(decode_noise)
        self.seed = seed
        cfg = self.ov.cfg
        self.sample_rate = cfg.sampling_rate
        self.hop = cfg.hop_length
        self.min_samples = self._min_samples()

    # ---- geometry -------------------------------------------------------------------------
    @property
    def vq_frame_rate(self) -> float:
        """VQ ids per second (22050 / 512 ≈ 43.07 Hz for the official config)."""
        return self.sample_rate / (self.hop * STRIDE)

    @property
    def samples_per_vq_id(self) -> int:
        return self.hop * STRIDE

    def _min_samples(self) -> int:
        cfg = self.ov.cfg
        s = 1
        while (num_frames(s, cfg.filter_length, cfg.hop_length) + 1) // STRIDE < MIN_VQ_FRAMES:
            s += 1
        return max(s, (cfg.filter_length - cfg.hop_length) // 2 + 1)

    def _noise(self, shape: torch.Size, like: torch.Tensor) -> torch.Tensor:
        gen = None
        if self.seed is not None:
            gen = torch.Generator(device="cpu").manual_seed(int(self.seed))
        return torch.randn(shape, generator=gen, dtype=torch.float32).to(like)

    # ---- encode ---------------------------------------------------------------------------
    def prepare(self, wav: np.ndarray | torch.Tensor, sample_rate: int) -> torch.Tensor:
        """Validate and resample one waveform to the converter rate → [S] float32."""
        t = _as_mono_tensor(wav)
        if int(sample_rate) != self.sample_rate:
            t = AF.resample(t, int(sample_rate), self.sample_rate)
        if t.numel() < self.min_samples:
            raise ValueError(
                f"audio too short for Plutok: {t.numel()} samples at {self.sample_rate} Hz; "
                f"at least {self.min_samples} are needed for {MIN_VQ_FRAMES} VQ ids (the "
                "official code crashes below this)"
            )
        return t

    @torch.no_grad()
    def encode_stages(
        self,
        wav: np.ndarray | torch.Tensor,
        sample_rate: int | None = None,
        enc_eps: torch.Tensor | None = None,
    ) -> EncodeStages:
        """Run one utterance through every encode stage. ``enc_eps`` [1, C, T] injects the
        posterior noise (otherwise drawn per ``encode_noise``/``seed``)."""
        cfg = self.ov.cfg
        y = self.prepare(wav, sample_rate or self.sample_rate).to(self.device).unsqueeze(0)
        spec = linear_spectrogram(y, cfg.filter_length, cfg.hop_length, cfg.win_length)
        se = self.ov.speaker_embedding(spec)
        m, logs, mask = self.ov.posterior(spec, se)
        z = m
        if self.encode_noise != 0.0:
            eps = self._noise(m.shape, m) if enc_eps is None else enc_eps.to(m)
            z = (m + eps * self.encode_noise * torch.exp(logs)) * mask
        z_p = self.ov.content_latent(z, mask, se)
        z_e = self.vqvae.encode_latent(z_p)
        vq_ids = self.vqvae.ids_from_latent(z_e)[0].tolist()
        text = ids_to_text(vq_ids)
        return EncodeStages(spec, se, m, logs, z_p, z_e, vq_ids, text, self.bpe.encode_text(text))

    def encode(
        self, wav: np.ndarray | torch.Tensor | Sequence, sample_rate: int | None = None
    ) -> Encode | list[Encode]:
        """Mono waveform → Encode(ids, se); a list of waveforms → a list of Encode."""
        if isinstance(wav, (list, tuple)):
            return [self.encode(w, sample_rate) for w in wav]
        st = self.encode_stages(wav, sample_rate)
        return Encode(ids=st.bpe_ids, se=st.se)

    # ---- decode ---------------------------------------------------------------------------
    def vq_ids_from_bpe(self, bpe_ids: Sequence[int]) -> list[int]:
        return self.bpe.decode([int(i) for i in bpe_ids])

    @torch.no_grad()
    def features(self, vq_ids: Sequence[int]) -> torch.Tensor:
        """VQ ids → VQ-VAE features [1, C, 2N] (no noise)."""
        ids = torch.as_tensor(list(vq_ids), dtype=torch.long, device=self.device)
        if ids.numel() == 0:
            raise ValueError("no VQ ids to decode")
        return self.vqvae.decode(ids.unsqueeze(0))

    @torch.no_grad()
    def decode_features(
        self, feat: torch.Tensor, se: torch.Tensor, dec_noise: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Features [1, C, L] + se → waveform [1, 1, L·hop]; ``dec_noise`` injects the noise."""
        if self.decode_noise != 0.0:
            noise = self._noise(feat.shape, feat) if dec_noise is None else dec_noise.to(feat)
            feat = feat + noise * self.decode_noise
        return self.ov.decode(feat, se.to(feat))

    def decode(self, enc: Encode | Sequence[Encode]) -> np.ndarray | list[np.ndarray]:
        """Encode → waveform [1, 1, 2N·hop] float32 numpy (as the official decode)."""
        if isinstance(enc, (list, tuple)):
            return [self.decode(e) for e in enc]
        feat = self.features(self.vq_ids_from_bpe(enc.ids))
        return self.decode_features(feat, enc.se).cpu().numpy()

    @torch.no_grad()
    def reconstruct(
        self, wav: np.ndarray | torch.Tensor, sample_rate: int | None = None
    ) -> np.ndarray:
        """Audio → VQ → audio without the BPE step and without decode noise (the official
        ``reconstruct``) → waveform [1, 1, 2N·hop] numpy."""
        st = self.encode_stages(wav, sample_rate)
        return self.ov.decode(self.features(st.vq_ids), st.se).cpu().numpy()
