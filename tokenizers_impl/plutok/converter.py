"""The OpenVoice tone-colour converter parts Plutok uses (v2 layout, ``n_speakers == 0``):
reference encoder → speaker embedding, posterior encoder, mean-only coupling flow and the
HiFi-GAN generator. Sub-module names match the official checkpoint keys (``ref_enc``,
``enc_q``, ``flow``, ``dec``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from tokenizers_impl.plutok.layers import (
    LEAKY_SLOPE,
    GatedConvStack,
    ResBlock1,
    ResBlock2,
    WNConv2d,
    WNConvTranspose1d,
)

REF_ENC_FILTERS = (32, 32, 64, 64, 128, 128)
REF_ENC_GRU = 128
POSTERIOR_KERNEL, POSTERIOR_LAYERS = 5, 16
FLOW_KERNEL, FLOW_LAYERS, FLOW_COUPLINGS = 5, 4, 4


@dataclass(frozen=True)
class ConverterConfig:
    """The fields of an OpenVoice ``config.json`` the converter needs."""

    sampling_rate: int
    filter_length: int
    hop_length: int
    win_length: int
    inter_channels: int
    hidden_channels: int
    gin_channels: int
    resblock: str
    resblock_kernel_sizes: tuple[int, ...]
    resblock_dilation_sizes: tuple[tuple[int, ...], ...]
    upsample_rates: tuple[int, ...]
    upsample_initial_channel: int
    upsample_kernel_sizes: tuple[int, ...]
    zero_g: bool

    @property
    def spec_channels(self) -> int:
        return self.filter_length // 2 + 1

    @staticmethod
    def from_dict(raw: dict) -> ConverterConfig:
        data, model = raw["data"], raw["model"]
        if int(data.get("n_speakers", 0)) != 0:
            raise ValueError(
                "this is a multi-speaker OpenVoice TTS config (n_speakers != 0); Plutok needs "
                "the tone-colour converter config (n_speakers 0, with a reference encoder)"
            )
        return ConverterConfig(
            sampling_rate=int(data["sampling_rate"]),
            filter_length=int(data["filter_length"]),
            hop_length=int(data["hop_length"]),
            win_length=int(data["win_length"]),
            inter_channels=int(model["inter_channels"]),
            hidden_channels=int(model["hidden_channels"]),
            gin_channels=int(model.get("gin_channels", 256)),
            resblock=str(model["resblock"]),
            resblock_kernel_sizes=tuple(model["resblock_kernel_sizes"]),
            resblock_dilation_sizes=tuple(tuple(d) for d in model["resblock_dilation_sizes"]),
            upsample_rates=tuple(model["upsample_rates"]),
            upsample_initial_channel=int(model["upsample_initial_channel"]),
            upsample_kernel_sizes=tuple(model["upsample_kernel_sizes"]),
            zero_g=bool(model.get("zero_g", False)),
        )

    @staticmethod
    def from_file(path: Path | str) -> ConverterConfig:
        with Path(path).open(encoding="utf-8") as f:
            return ConverterConfig.from_dict(json.load(f))


class ReferenceEncoder(nn.Module):
    """Spectrogram [B, T, F] → speaker embedding [B, gin]: LayerNorm over frequency, six
    stride-2 2-D convs, a GRU over time, and a linear projection of its last state."""

    def __init__(self, spec_channels: int, gin: int) -> None:
        super().__init__()
        self.spec_channels = spec_channels
        chans = (1, *REF_ENC_FILTERS)
        self.convs = nn.ModuleList(
            WNConv2d(chans[i], chans[i + 1], kernel_size=3, stride=2, padding=1)
            for i in range(len(REF_ENC_FILTERS))
        )
        freq = spec_channels
        for _ in REF_ENC_FILTERS:
            freq = (freq - 3 + 2) // 2 + 1
        self.gru = nn.GRU(REF_ENC_FILTERS[-1] * freq, REF_ENC_GRU, batch_first=True)
        self.proj = nn.Linear(REF_ENC_GRU, gin)
        self.layernorm = nn.LayerNorm(spec_channels)

    def forward(self, spec_tf: torch.Tensor) -> torch.Tensor:
        out = self.layernorm(spec_tf.unsqueeze(1))
        for conv in self.convs:
            out = F.relu(conv(out))
        out = out.transpose(1, 2).flatten(2)
        _, last = self.gru(out)
        return self.proj(last.squeeze(0))


class PosteriorEncoder(nn.Module):
    """Spectrogram → (mean, log-std) of the latent z, conditioned on g."""

    def __init__(self, spec_channels: int, out: int, hidden: int, gin: int) -> None:
        super().__init__()
        self.out = out
        self.pre = nn.Conv1d(spec_channels, hidden, 1)
        self.enc = GatedConvStack(hidden, POSTERIOR_KERNEL, 1, POSTERIOR_LAYERS, gin)
        self.proj = nn.Conv1d(hidden, 2 * out, 1)

    def forward(
        self, spec: torch.Tensor, mask: torch.Tensor, g: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.enc(self.pre(spec) * mask, mask, g=g)
        stats = self.proj(h) * mask
        return stats[:, : self.out], stats[:, self.out :]


class MeanOnlyCoupling(nn.Module):
    """Affine coupling with unit scale: the second half is shifted by a function of the first."""

    def __init__(self, channels: int, hidden: int, gin: int) -> None:
        super().__init__()
        self.half = channels // 2
        self.pre = nn.Conv1d(self.half, hidden, 1)
        self.enc = GatedConvStack(hidden, FLOW_KERNEL, 1, FLOW_LAYERS, gin)
        self.post = nn.Conv1d(hidden, self.half, 1)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor, g: torch.Tensor, reverse: bool
    ) -> torch.Tensor:
        x0, x1 = x[:, : self.half], x[:, self.half :]
        shift = self.post(self.enc(self.pre(x0) * mask, mask, g=g)) * mask
        x1 = (x1 - shift) * mask if reverse else shift + x1 * mask
        return torch.cat([x0, x1], 1)


class _ChannelFlip(nn.Module):
    """Reverses the channel order between couplings (no parameters)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flip(x, [1])


class CouplingFlow(nn.Module):
    """Four mean-only couplings with channel flips in between; invertible given g."""

    def __init__(self, channels: int, hidden: int, gin: int) -> None:
        super().__init__()
        self.flows = nn.ModuleList()
        for _ in range(FLOW_COUPLINGS):
            self.flows.append(MeanOnlyCoupling(channels, hidden, gin))
            self.flows.append(_ChannelFlip())

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor, g: torch.Tensor, reverse: bool = False
    ) -> torch.Tensor:
        layers = reversed(self.flows) if reverse else self.flows
        for layer in layers:
            x = layer(x) if isinstance(layer, _ChannelFlip) else layer(x, mask, g, reverse)
        return x


class Generator(nn.Module):
    """HiFi-GAN generator: latent [B, C, T] → waveform [B, 1, T · prod(upsample_rates)]."""

    def __init__(self, cfg: ConverterConfig) -> None:
        super().__init__()
        base = cfg.upsample_initial_channel
        self.num_kernels = len(cfg.resblock_kernel_sizes)
        self.conv_pre = nn.Conv1d(cfg.inter_channels, base, 7, 1, padding=3)
        block = ResBlock1 if cfg.resblock == "1" else ResBlock2
        self.ups = nn.ModuleList(
            WNConvTranspose1d(base // 2**i, base // 2 ** (i + 1), k, u, padding=(k - u) // 2)
            for i, (u, k) in enumerate(
                zip(cfg.upsample_rates, cfg.upsample_kernel_sizes, strict=True)
            )
        )
        self.resblocks = nn.ModuleList()
        for i in range(len(self.ups)):
            ch = base // 2 ** (i + 1)
            for k, d in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes, strict=True):
                self.resblocks.append(block(ch, k, tuple(d)))
        self.conv_post = nn.Conv1d(ch, 1, 7, 1, padding=3, bias=False)
        if cfg.gin_channels:
            self.cond = nn.Conv1d(cfg.gin_channels, base, 1)

    def forward(self, x: torch.Tensor, g: torch.Tensor | None) -> torch.Tensor:
        x = self.conv_pre(x)
        if g is not None:
            x = x + self.cond(g)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LEAKY_SLOPE))
            blocks = self.resblocks[i * self.num_kernels : (i + 1) * self.num_kernels]
            acc = blocks[0](x)
            for blk in blocks[1:]:
                acc = acc + blk(x)
            x = acc / self.num_kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


class ToneColorConverter(nn.Module):
    """The converter network: speaker embedding, content latent z_p, and decoding back to audio.

    With ``zero_g`` the posterior encoder and generator get a zero speaker vector (their
    conditioning biases still apply); the flow always uses the real embedding.
    """

    def __init__(self, cfg: ConverterConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.dec = Generator(cfg)
        self.enc_q = PosteriorEncoder(
            cfg.spec_channels, cfg.inter_channels, cfg.hidden_channels, cfg.gin_channels
        )
        self.flow = CouplingFlow(cfg.inter_channels, cfg.hidden_channels, cfg.gin_channels)
        self.ref_enc = ReferenceEncoder(cfg.spec_channels, cfg.gin_channels)

    def _content_g(self, se: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(se) if self.cfg.zero_g else se

    def speaker_embedding(self, spec: torch.Tensor) -> torch.Tensor:
        """spec [B, F, T] → se [B, gin, 1]."""
        return self.ref_enc(spec.transpose(1, 2)).unsqueeze(-1)

    def posterior(
        self, spec: torch.Tensor, se: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """spec [B, F, T] → (mean, log-std, mask) of the content latent, all [B, C|1, T]."""
        mask = torch.ones_like(spec[:, :1])
        m, logs = self.enc_q(spec, mask, self._content_g(se))
        return m, logs, mask

    def content_latent(
        self, z: torch.Tensor, mask: torch.Tensor, se: torch.Tensor
    ) -> torch.Tensor:
        """Posterior sample z → speaker-normalised z_p through the forward flow."""
        return self.flow(z, mask, se, reverse=False)

    def flow_reverse(self, z_p: torch.Tensor, se: torch.Tensor) -> torch.Tensor:
        """z_p [B, C, T] → generator input under speaker ``se``."""
        mask = torch.ones_like(z_p[:, :1])
        return self.flow(z_p, mask, se, reverse=True)

    def decode(self, z_p: torch.Tensor, se: torch.Tensor) -> torch.Tensor:
        """z_p [B, C, T] → waveform [B, 1, T · hop]."""
        return self.dec(self.flow_reverse(z_p, se), self._content_g(se))
