"""Lightning module for the WavTokenizer / VARSTok GAN objective (manual optimisation).

Generator loss = hinge(MPD) + mrd_coeff * hinge(MRD) + FM(MPD) + mrd_coeff * FM(MRD)
                 + mel_coeff * log-mel L1 + commit_coeff * VQ commitment,
discriminator loss = hinge(MPD) + mrd_coeff * hinge(MRD), as in the official training code
(minus its DAC discriminator, left out to keep CPU runs affordable). Submodules are attributes
named like the official experiment so ``state_dict`` keys carry the official prefixes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from tokenizers_impl.varstok.train.discriminators import (
    MultiPeriodDiscriminator,
    MultiResolutionDiscriminator,
)
from tokenizers_impl.varstok.train.forward import GeneratorOutput, generator_forward
from tokenizers_impl.varstok.train.losses import (
    MelReconstructionLoss,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
)


def cosine_with_warmup(step: int, warmup: int, total: int) -> float:
    """Learning-rate factor: linear warm-up, then half a cosine down to 0 at ``total``."""
    if step < warmup:
        return step / max(1, warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress))))


class CodecGanModule(pl.LightningModule):
    """Trains feature extractor (encoder + VQ), Vocos backbone and ISTFT head against MPD+MRD."""

    def __init__(
        self,
        feature_extractor: nn.Module,
        backbone: nn.Module,
        head: nn.Module,
        sample_rate: int = 24000,
        initial_learning_rate: float = 2e-4,
        num_warmup_steps: int = 0,
        mel_loss_coeff: float = 45.0,
        mrd_loss_coeff: float = 1.0,
        commit_loss_coeff: float = 1000.0,
        pretrain_mel_steps: int = 0,
        num_bandwidths: int = 1,
        mpd_channels: Sequence[int] = (32, 128, 512, 1024, 1024),
        mrd_channels: int = 64,
        total_steps: int = 1000,
    ) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.feature_extractor = feature_extractor
        self.backbone = backbone
        self.head = head
        self.multiperioddisc = MultiPeriodDiscriminator(channels=tuple(mpd_channels),
                                                        num_embeddings=num_bandwidths)
        self.multiresddisc = MultiResolutionDiscriminator(channels=mrd_channels,
                                                          num_embeddings=num_bandwidths)
        self.melspec_loss = MelReconstructionLoss(sample_rate=sample_rate)
        self.sample_rate = sample_rate
        self.lr = initial_learning_rate
        self.num_warmup_steps = num_warmup_steps
        self.mel_loss_coeff = mel_loss_coeff
        self.mrd_loss_coeff = mrd_loss_coeff
        self.commit_loss_coeff = commit_loss_coeff
        self.pretrain_mel_steps = pretrain_mel_steps
        self.num_bandwidths = num_bandwidths
        self.total_steps = total_steps
        self.history: list[dict[str, float]] = []
        self.step_count = 0

    # ---- model pieces -------------------------------------------------------------------------
    def generator_parameters(self) -> list[nn.Parameter]:
        return [p for m in (self.feature_extractor, self.backbone, self.head)
                for p in m.parameters() if p.requires_grad]

    def discriminator_parameters(self) -> list[nn.Parameter]:
        return [*self.multiperioddisc.parameters(), *self.multiresddisc.parameters()]

    def forward(self, audio: torch.Tensor, bandwidth_id: torch.Tensor) -> GeneratorOutput:
        return generator_forward(self.feature_extractor, self.backbone, self.head, audio,
                                 bandwidth_id)

    def configure_optimizers(self) -> Any:
        opt_disc = torch.optim.AdamW(self.discriminator_parameters(), lr=self.lr)
        opt_gen = torch.optim.AdamW(self.generator_parameters(), lr=self.lr)

        def factor(step: int) -> float:
            return cosine_with_warmup(step, self.num_warmup_steps, self.total_steps)

        sched_disc = torch.optim.lr_scheduler.LambdaLR(opt_disc, factor)
        sched_gen = torch.optim.lr_scheduler.LambdaLR(opt_gen, factor)
        return [opt_disc, opt_gen], [sched_disc, sched_gen]

    # ---- losses -------------------------------------------------------------------------------
    def discriminator_step_loss(self, audio: torch.Tensor, audio_hat: torch.Tensor,
                                bandwidth_id: torch.Tensor) -> dict[str, torch.Tensor]:
        real_mp, fake_mp, _, _ = self.multiperioddisc(audio, audio_hat.detach(), bandwidth_id)
        real_mr, fake_mr, _, _ = self.multiresddisc(audio, audio_hat.detach(), bandwidth_id)
        loss_mp = discriminator_loss(real_mp, fake_mp)
        loss_mr = discriminator_loss(real_mr, fake_mr)
        total = loss_mp + self.mrd_loss_coeff * loss_mr
        return {"disc/total": total, "disc/mpd": loss_mp, "disc/mrd": loss_mr}

    def generator_step_loss(self, audio: torch.Tensor, out: GeneratorOutput,
                            bandwidth_id: torch.Tensor, adversarial: bool
                            ) -> dict[str, torch.Tensor]:
        mel = self.melspec_loss(out.audio, audio)
        commit = out.commit_loss.mean()
        total = self.mel_loss_coeff * mel + self.commit_loss_coeff * commit
        terms = {"gen/mel": mel, "gen/commit": commit}
        if adversarial:
            _, fake_mp, maps_r_mp, maps_g_mp = self.multiperioddisc(audio, out.audio, bandwidth_id)
            _, fake_mr, maps_r_mr, maps_g_mr = self.multiresddisc(audio, out.audio, bandwidth_id)
            adv_mp = generator_adversarial_loss(fake_mp)
            adv_mr = generator_adversarial_loss(fake_mr)
            fm_mp = feature_matching_loss(maps_r_mp, maps_g_mp)
            fm_mr = feature_matching_loss(maps_r_mr, maps_g_mr)
            total = total + adv_mp + fm_mp + self.mrd_loss_coeff * (adv_mr + fm_mr)
            terms.update({"gen/adv_mpd": adv_mp, "gen/adv_mrd": adv_mr,
                          "gen/fm_mpd": fm_mp, "gen/fm_mrd": fm_mr})
        terms["gen/total"] = total
        return terms

    # ---- Lightning hooks ----------------------------------------------------------------------
    def _bandwidth_id(self) -> torch.Tensor:
        return torch.randint(0, self.num_bandwidths, (1,), device=self.device)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        opt_disc, opt_gen = self.optimizers()
        sched_disc, sched_gen = self.lr_schedulers()
        audio = batch
        bandwidth_id = self._bandwidth_id()
        adversarial = self.step_count >= self.pretrain_mel_steps
        logs: dict[str, torch.Tensor] = {}

        out = self(audio, bandwidth_id)
        if adversarial:
            disc_terms = self.discriminator_step_loss(audio, out.audio, bandwidth_id)
            opt_disc.zero_grad()
            self.manual_backward(disc_terms["disc/total"])
            opt_disc.step()
            sched_disc.step()
            logs.update(disc_terms)

        gen_terms = self.generator_step_loss(audio, out, bandwidth_id, adversarial)
        opt_gen.zero_grad()
        self.manual_backward(gen_terms["gen/total"])
        opt_gen.step()
        sched_gen.step()
        logs.update(gen_terms)
        if self.feature_extractor.cluster is not None:
            logs["tokens_per_frame"] = (out.spans > 0).sum() / out.spans.sum()
        self.step_count += 1
        record = {k: float(v.detach()) for k, v in logs.items()}
        record["step"] = float(self.step_count)
        self.history.append(record)
        self.log_dict({k: v for k, v in record.items() if k != "step"}, prog_bar=False,
                      on_step=True, on_epoch=False, batch_size=audio.shape[0])

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        bandwidth_id = torch.zeros(1, dtype=torch.long, device=self.device)
        out = self(batch, bandwidth_id)
        mel = self.melspec_loss(out.audio, batch)
        self.log("val/mel", mel, batch_size=batch.shape[0], prog_bar=True)
        return mel
