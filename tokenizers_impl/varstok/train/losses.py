"""Losses of the WavTokenizer/Vocos objective: log-mel L1, hinge GAN losses, feature matching."""

from __future__ import annotations

import torch
import torchaudio
from torch import nn


class MelReconstructionLoss(nn.Module):
    """L1 between log-mel magnitude spectrograms (n_fft 1024, hop 256, 100 mels at 24 kHz)."""

    def __init__(self, sample_rate: int = 24000, n_fft: int = 1024, hop_length: int = 256,
                 n_mels: int = 100) -> None:
        super().__init__()
        self.mel_spec = torchaudio.transforms.MelSpectrogram(
            sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels,
            center=True, power=1,
        )

    def log_mel(self, audio: torch.Tensor) -> torch.Tensor:
        return torch.log(torch.clip(self.mel_spec(audio), min=1e-7))

    def forward(self, y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.l1_loss(self.log_mel(y_hat), self.log_mel(y))


def generator_adversarial_loss(fake_scores: list[torch.Tensor]) -> torch.Tensor:
    """Hinge generator loss, averaged over sub-discriminators."""
    losses = [torch.clamp(1 - score, min=0).mean() for score in fake_scores]
    return torch.stack(losses).mean()


def discriminator_loss(real_scores: list[torch.Tensor],
                       fake_scores: list[torch.Tensor]) -> torch.Tensor:
    """Hinge discriminator loss (real pushed above +1, generated below -1), averaged over
    sub-discriminators."""
    losses = [torch.clamp(1 - r, min=0).mean() + torch.clamp(1 + g, min=0).mean()
              for r, g in zip(real_scores, fake_scores, strict=True)]
    return torch.stack(losses).mean()


def feature_matching_loss(real_maps: list[list[torch.Tensor]],
                          fake_maps: list[list[torch.Tensor]]) -> torch.Tensor:
    """Mean |real - generated| over every feature map, summed per sub-discriminator and averaged
    over sub-discriminators."""
    per_disc = [
        torch.stack([(r.detach() - g).abs().mean() for r, g in zip(rs, gs, strict=True)]).sum()
        for rs, gs in zip(real_maps, fake_maps, strict=True)
    ]
    return torch.stack(per_disc).mean()
