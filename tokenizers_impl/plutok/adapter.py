"""tokbench adapter for Plutok: ``build(**settings) -> Tokenizer``.

Tokens are the BPE ids (vocab = BPE vocabulary); ``frame_rate`` is the VQ-id rate (≈43.07 Hz).
The speaker embedding travels as ``SideInfo("speaker_embedding")`` with its bit cost at
``se_bits`` (32/16/8); decoding uses the quantised values, i.e. exactly what would be sent.

Durations: a BPE token has no whole number of VQ frames. Merges cross '#' boundaries and may
split one id over two tokens ("#82#1" + "1#11"), so some tokens start no id at all. Durations
are therefore left as None. The number of VQ ids of each utterance is exposed as
``SideInfo("vq_frames", bits_per_utterance=0)``: it can be recomputed from the tokens, so it
costs nothing.

Settings: ov_ckpt (folder holding converter/config.json and converter/checkpoint.pth),
vqvae_ckpt (model.pth), tokenizer_file (tokenizer.json), encode_noise (official 0.3),
decode_noise (official 0.3), seed (noise seed for each call; None = global RNG), se_bits,
name, device, trained (None = infer: golden vectors and the shipped tiny model are untrained).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from bench.contract import SideInfo, TokenBatch, TokenizerInfo
from tokenizers_impl.plutok.side_info import quantize_se, se_bits_per_utterance
from tokenizers_impl.plutok.tokenizer import OFFICIAL_DECODE_NOISE, OFFICIAL_ENCODE_NOISE, Plutok

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
SHIPPED_MODEL = PRETRAINED_DIR / "tiny_synth"
MODEL_CARD = "model_card.json"
EXPECTED_LAYOUT = (
    "Plutok needs three artefacts: ov_ckpt=<dir> with <dir>/converter/config.json and "
    "<dir>/converter/checkpoint.pth (OpenVoice v2 tone-colour converter), vqvae_ckpt=<file> "
    "(the VQ-VAE model.pth) and tokenizer_file=<file> (the BPE tokenizer.json), e.g. from "
    "https://github.com/Zengyi-Qin/plutok/releases/download/v0.1/pretrained.zip"
)


@dataclass(frozen=True)
class PlutokPaths:
    ov_ckpt: Path
    vqvae_ckpt: Path
    tokenizer_file: Path

    def check(self) -> None:
        needed = [self.ov_ckpt / "converter" / "config.json",
                  self.ov_ckpt / "converter" / "checkpoint.pth", self.vqvae_ckpt,
                  self.tokenizer_file]
        missing = [str(p) for p in needed if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"missing Plutok files: {', '.join(missing)}. "
                                    f"{EXPECTED_LAYOUT}")


def shipped_paths(root: Path | None = None) -> PlutokPaths:
    root = SHIPPED_MODEL if root is None else root
    return PlutokPaths(root, root / "vqvae" / "model.pth", root / "tokenizer" / "tokenizer.json")


def resolve_paths(ov_ckpt: str | Path | None, vqvae_ckpt: str | Path | None,
                  tokenizer_file: str | Path | None) -> PlutokPaths:
    """Explicit paths, or the shipped tiny model when none is given."""
    given = [ov_ckpt, vqvae_ckpt, tokenizer_file]
    if all(p is None for p in given):
        shipped = shipped_paths()
        if not (shipped.ov_ckpt / "converter" / "checkpoint.pth").is_file():
            raise FileNotFoundError(f"no Plutok paths given and no shipped model in "
                                    f"{SHIPPED_MODEL}. {EXPECTED_LAYOUT}")
        paths = shipped
    elif any(p is None for p in given):
        raise FileNotFoundError(f"give all of ov_ckpt, vqvae_ckpt and tokenizer_file "
                                f"(got {given}). {EXPECTED_LAYOUT}")
    else:
        paths = PlutokPaths(Path(ov_ckpt), Path(vqvae_ckpt), Path(tokenizer_file))
    paths.check()
    return paths


def infer_trained(paths: PlutokPaths) -> tuple[bool, str]:
    """(trained, note): golden parity vectors and model cards saying so mark untrained weights."""
    for folder in {paths.ov_ckpt, paths.vqvae_ckpt.parent, paths.vqvae_ckpt.parent.parent}:
        card = folder / MODEL_CARD
        if card.is_file():
            meta = json.loads(card.read_text())
            if not meta.get("converter_trained", True):
                return False, str(meta.get("summary", "converter weights are random"))
        readme = folder / "README.md"
        if readme.is_file() and "seeded random weights" in readme.read_text()[:200]:
            return False, "golden parity weights (seeded random): audio quality is meaningless"
    return True, "assumed trained (official checkpoint layout)"


class PlutokTokenizer:
    """``bench.contract.Tokenizer`` over a ``Plutok`` instance."""

    def __init__(self, model: Plutok, name: str, se_bits: int, info: TokenizerInfo) -> None:
        self.model = model
        self.name = name
        self.se_bits = int(se_bits)
        self.se_dim = model.ov.cfg.gin_channels
        self.se_bits_per_utterance = se_bits_per_utterance(self.se_dim, self.se_bits)
        self.sample_rate = model.sample_rate
        self.vocab_size = model.bpe.vocab_size
        self.frame_rate = model.vq_frame_rate
        self.info = info

    def encode(self, waveforms: torch.Tensor, lengths: torch.Tensor) -> TokenBatch:
        if waveforms.dim() != 2 or lengths.shape != (waveforms.shape[0],):
            raise ValueError(f"expected waveforms [B, T] and lengths [B], got "
                             f"{tuple(waveforms.shape)} and {tuple(lengths.shape)}")
        sequences, ses, frames = [], [], []
        for wav, n in zip(waveforms, lengths.tolist(), strict=True):
            st = self.model.encode_stages(wav[: int(n)].detach().float().cpu())
            sequences.append(torch.tensor(st.bpe_ids, dtype=torch.long))
            ses.append(st.se[0, :, 0].float().cpu())
            frames.append(len(st.vq_ids))
        se = quantize_se(torch.stack(ses), self.se_bits)
        side = {
            "speaker_embedding": SideInfo(
                se, float(self.se_bits_per_utterance),
                f"OpenVoice speaker embedding ({self.se_dim} values at {self.se_bits} bits"
                f"{', int8 + fp16 scale' if self.se_bits == 8 else ''})"),
            "vq_frames": SideInfo(
                torch.tensor(frames, dtype=torch.long), 0.0,
                "VQ ids (43 Hz frames) behind the BPE tokens; recomputable from them: 0 bits"),
        }
        return TokenBatch.from_sequences(sequences, side_info=side)

    def decode(self, batch: TokenBatch) -> tuple[torch.Tensor, torch.Tensor]:
        if "speaker_embedding" not in batch.side_info:
            raise ValueError("Plutok decoding needs the speaker_embedding side information")
        se = batch.side_info["speaker_embedding"].values
        wavs = []
        for i in range(batch.batch_size):
            vq_ids = self.model.vq_ids_from_bpe(batch.item_tokens(i).tolist())
            feat = self.model.features(vq_ids)
            emb = se[i].reshape(1, -1, 1).to(feat)
            wavs.append(self.model.decode_features(feat, emb)[0, 0].float().cpu())
        out_lengths = torch.tensor([w.numel() for w in wavs], dtype=torch.long)
        out = torch.zeros(len(wavs), int(out_lengths.max()) if wavs else 0)
        for i, w in enumerate(wavs):
            out[i, : w.numel()] = w
        return out, out_lengths

    def token_breakdown(self, bpe_ids: Sequence[int]) -> dict[str, int]:
        """BPE tokens of one utterance and the VQ ids (43 Hz frames) they expand to."""
        ids = [int(i) for i in bpe_ids]
        return {"bpe_tokens": len(ids), "vq_ids": len(self.model.vq_ids_from_bpe(ids))}

    def to(self, device: torch.device | str) -> PlutokTokenizer:
        self.model.device = torch.device(device)
        self.model.ov.to(device)
        self.model.vqvae.to(device)
        return self


def build(
    ov_ckpt: str | Path | None = None,
    vqvae_ckpt: str | Path | None = None,
    tokenizer_file: str | Path | None = None,
    encode_noise: float = OFFICIAL_ENCODE_NOISE,
    decode_noise: float = OFFICIAL_DECODE_NOISE,
    seed: int | None = 0,
    se_bits: int = 32,
    name: str = "plutok",
    device: str = "cpu",
    trained: bool | None = None,
) -> PlutokTokenizer:
    """Load Plutok for the harness (see the module docstring for every setting)."""
    se_bits_per_utterance(1, se_bits)  # validates se_bits before any loading
    paths = resolve_paths(ov_ckpt, vqvae_ckpt, tokenizer_file)
    model = Plutok(paths.ov_ckpt, paths.vqvae_ckpt, paths.tokenizer_file, device,
                   encode_noise=encode_noise, decode_noise=decode_noise, seed=seed)
    auto_trained, note = infer_trained(paths)
    is_trained = auto_trained if trained is None else bool(trained)
    notes = (f"{note}; encode_noise {encode_noise}, decode_noise {decode_noise}, seed {seed}, "
             f"speaker embedding side info at {se_bits} bits/value")
    if not is_trained:
        notes = "UNTRAINED (random) weights: " + notes
    checkpoint = (f"ov_ckpt={paths.ov_ckpt}; vqvae_ckpt={paths.vqvae_ckpt}; "
                  f"tokenizer_file={paths.tokenizer_file}")
    info = TokenizerInfo(family="plutok", checkpoint=checkpoint, trained=is_trained, notes=notes)
    return PlutokTokenizer(model, name, se_bits, info)
