"""Training Plutok's learned parts on top of a (pretrained) OpenVoice converter:

1. ``embed``: content latents z_p of every manifest utterance, one ``.npy`` [1, C, T] each
   (the converter itself is not trained here);
2. ``vqvae``: the VQ-VAE on random crops of those latents (MSE/0.2 + VQ loss, Adam with
   amsgrad, dead-code replacement), then the '#id' strings of every latent in eval mode;
3. ``bpe``: HF ``tokenizers`` BPE on the '#id' strings (no pre-tokenizer, official special
   tokens) to a target vocabulary;
``all`` runs the three and writes the inference layout (converter/, vqvae/model.pth,
tokenizer/tokenizer.json, model_card.json) that ``Plutok`` and the adapter load.

    tokbench train plutok all --ov-ckpt DIR --manifest M.jsonl --out OUT --vocab-size 600
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from tokenizers.models import BPE
from tokenizers.trainers import BpeTrainer

from bench.audio import load_audio
from bench.data.manifest import read_manifest
from bench.trust import safe_torch_load
from tokenizers_impl.plutok.bpe import ids_to_text
from tokenizers_impl.plutok.spectrogram import linear_spectrogram
from tokenizers_impl.plutok.tokenizer import Plutok, load_converter
from tokenizers_impl.plutok.vqvae import VQVAE

SPECIAL_TOKENS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
RECON_SCALE = 0.2
IDS_DIR = "centroid_ids"


# ---- 1. content embeddings ---------------------------------------------------------------
@torch.no_grad()
def extract_embeddings(ov_ckpt: Path, manifest: Path, out_dir: Path, tau: float = 0.3,
                       seed: int = 0, min_frames: int = 100) -> int:
    """Write z_p [1, C, T] per utterance (tau = posterior noise, official 0.3); utterances
    shorter than ``min_frames`` spectrogram frames are skipped (official: 100). Returns count."""
    model = load_converter(ov_ckpt, "cpu")
    cfg = model.cfg
    out_dir.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(seed)
    written = 0
    for utt in read_manifest(manifest):
        wav, _ = load_audio(utt.resolved_path(manifest.parent), target_sr=cfg.sampling_rate)
        if len(wav) < cfg.filter_length:
            continue
        spec = linear_spectrogram(torch.from_numpy(wav)[None], cfg.filter_length,
                                  cfg.hop_length, cfg.win_length)
        if spec.shape[-1] < min_frames:
            continue
        se = model.speaker_embedding(spec)
        m, logs, mask = model.posterior(spec, se)
        z = m + torch.randn(m.shape, generator=gen) * tau * torch.exp(logs)
        z_p = model.content_latent(z, mask, se)
        np.save(out_dir / f"{utt.id}.npy", z_p.numpy().astype(np.float32))
        written += 1
    return written


# ---- 2. VQ-VAE -----------------------------------------------------------------------------
def load_latents(emb_dir: Path) -> list[np.ndarray]:
    files = sorted(emb_dir.glob("*.npy"))
    if not files:
        raise FileNotFoundError(f"no .npy latents in {emb_dir}")
    return [np.load(f)[0] for f in files]


def sample_batch(latents: list[np.ndarray], batch: int, crop: int, rng: np.random.Generator
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Random crops [B, C, crop] (zero padded) and their validity masks [B, 1, crop]."""
    chans = latents[0].shape[0]
    x = np.zeros((batch, chans, crop), np.float32)
    mask = np.zeros((batch, 1, crop), np.float32)
    for b in range(batch):
        lat = latents[rng.integers(len(latents))]
        start = rng.integers(max(1, lat.shape[1] - crop + 1))
        piece = lat[:, start : start + crop]
        x[b, :, : piece.shape[1]] = piece
        mask[b, :, : piece.shape[1]] = 1.0
    return torch.from_numpy(x), torch.from_numpy(mask)


def train_vqvae(emb_dir: Path, out_dir: Path, num_codes: int = 200, steps: int = 1000,
                batch: int = 16, crop: int = 128, lr: float = 1e-4, seed: int = 0,
                log_every: int = 50) -> list[float]:
    """Train, save ``model.pth`` (official key names) and the eval-mode id strings of every
    latent under ``centroid_ids/``. Returns the loss of every step."""
    if crop % 2:
        raise ValueError(f"crop must be even (stride-2 VQ-VAE), got {crop}")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    latents = load_latents(emb_dir)
    model = VQVAE(h_dim=latents[0].shape[0], num_codes=num_codes)
    opt = torch.optim.Adam(model.parameters(), lr=lr, amsgrad=True)
    model.train()
    losses = []
    start = time.time()
    for step in range(steps):
        x, mask = sample_batch(latents, batch, crop, rng)
        recon, vq_loss, ids = model(x)
        recon_loss = (((recon - x) ** 2) * mask).sum() / (mask.sum() * x.shape[1]) / RECON_SCALE
        loss = recon_loss + vq_loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        if log_every and (step % log_every == 0 or step == steps - 1):
            print(f"step {step:5d} loss {losses[-1]:.4f} recon {recon_loss.item():.4f} "
                  f"vq {vq_loss.item():.4f} codes used {ids.unique().numel()}/{num_codes} "
                  f"({time.time() - start:.0f}s)", flush=True)
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out_dir / "model.pth")
    (out_dir / "eval.json").write_text(json.dumps(evaluate_vqvae(model, latents), indent=1))
    write_id_strings(model, emb_dir, out_dir / IDS_DIR)
    return losses


@torch.no_grad()
def evaluate_vqvae(model: VQVAE, latents: list[np.ndarray]) -> dict[str, float]:
    """Eval-mode reconstruction of whole latents: MSE vs the latent variance, code usage and
    perplexity of the ids."""
    model.eval()
    err, var, frames = 0.0, 0.0, 0
    counts = torch.zeros(model.num_codes)
    for lat in latents:
        x = torch.from_numpy(lat)[None]
        ids = model.predict(x)
        recon = model.decode(ids)[..., : x.shape[-1]]
        err += float(((recon - x) ** 2).sum())
        var += float(((x - x.mean(dim=-1, keepdim=True)) ** 2).sum())
        frames += x.shape[-1] * x.shape[1]
        counts += torch.bincount(ids.reshape(-1), minlength=model.num_codes).float()
    probs = counts / counts.sum()
    nz = probs[probs > 0]
    return {"recon_mse": err / frames, "latent_variance": var / frames,
            "codes_used": int((counts > 0).sum()),
            "perplexity": float(torch.exp(-(nz * nz.log()).sum()))}


@torch.no_grad()
def write_id_strings(model: VQVAE, emb_dir: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for f in sorted(emb_dir.glob("*.npy")):
        ids = model.predict(torch.from_numpy(np.load(f)))[0].tolist()
        (out_dir / f"{f.stem}.txt").write_text(ids_to_text(ids))


# ---- 3. BPE --------------------------------------------------------------------------------
def _read_texts(text_dir: Path) -> Iterator[str]:
    for f in sorted(text_dir.glob("*.txt")):
        yield f.read_text()


def train_bpe(text_dir: Path, vocab_size: int, out_dir: Path) -> Path:
    """BPE over the '#id' files of ``text_dir`` (sorted by name) → ``out_dir/tokenizer.json``."""
    return train_bpe_from_texts(_read_texts(text_dir), vocab_size, out_dir)


def train_bpe_from_texts(texts: Iterable[str], vocab_size: int, out_dir: Path) -> Path:
    """BPE over '#id' strings, no pre-tokenizer (merges may cross '#'), official specials."""
    tokenizer = Tokenizer(BPE(unk_token="[UNK]"))
    trainer = BpeTrainer(special_tokens=SPECIAL_TOKENS, vocab_size=vocab_size,
                         show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "tokenizer.json"
    tokenizer.save(str(path))
    return path


# ---- CLI -----------------------------------------------------------------------------------
def _add_embed_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ov-ckpt", type=Path, required=True, help="dir with converter/")
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--tau", type=float, default=0.3)
    p.add_argument("--min-frames", type=int, default=100)


def _add_vqvae_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--num-codes", type=int, default=200)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--crop", type=int, default=128, help="latent frames per crop (even)")
    p.add_argument("--lr", type=float, default=1e-4)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tokbench train plutok", description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    sub = p.add_subparsers(dest="stage", required=True)
    e = sub.add_parser("embed", help="converter content latents of a manifest")
    _add_embed_args(e)
    e.add_argument("--out", type=Path, required=True)
    v = sub.add_parser("vqvae", help="train the VQ-VAE on latents")
    v.add_argument("--emb-dir", type=Path, required=True)
    v.add_argument("--out", type=Path, required=True)
    _add_vqvae_args(v)
    b = sub.add_parser("bpe", help="train the BPE on '#id' strings")
    b.add_argument("--text-dir", type=Path, required=True)
    b.add_argument("--vocab-size", type=int, required=True)
    b.add_argument("--out", type=Path, required=True)
    a = sub.add_parser("all", help="embed + vqvae + bpe, written in the inference layout")
    _add_embed_args(a)
    _add_vqvae_args(a)
    a.add_argument("--vocab-size", type=int, required=True)
    a.add_argument("--out", type=Path, required=True)
    a.add_argument("--fp16", action="store_true", help="store the VQ-VAE weights as float16")
    return p


def converter_is_trained(ov_ckpt: Path) -> bool:
    """False for the golden parity weights (seeded random) or a card that says so."""
    readme, card = ov_ckpt / "README.md", ov_ckpt / "model_card.json"
    if readme.is_file() and "seeded random weights" in readme.read_text()[:200]:
        return False
    return not (card.is_file() and not json.loads(card.read_text()).get("converter_trained"))


def train_all(args: argparse.Namespace) -> Path:
    """The full recipe into ``args.out``; returns the model-card path."""
    out: Path = args.out
    work = out / "work"
    n = extract_embeddings(args.ov_ckpt, args.manifest, work / "emb", args.tau, args.seed,
                           args.min_frames)
    print(f"extracted {n} latents")
    losses = train_vqvae(work / "emb", work / "vqvae", args.num_codes, args.steps,
                         args.batch_size, args.crop, args.lr, args.seed)
    train_bpe(work / "vqvae" / IDS_DIR, args.vocab_size, out / "tokenizer")
    (out / "converter").mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "checkpoint.pth"):
        shutil.copy(args.ov_ckpt / "converter" / name, out / "converter" / name)
    state = safe_torch_load(work / "vqvae" / "model.pth")
    if args.fp16:
        state = {k: v.half() for k, v in state.items()}
    (out / "vqvae").mkdir(parents=True, exist_ok=True)
    torch.save(state, out / "vqvae" / "model.pth")
    converter_trained = converter_is_trained(args.ov_ckpt)
    card = {
        "recipe": {k: str(v) for k, v in vars(args).items()},
        "latents": n,
        "vqvae_loss_first_last_50_steps_mean": [float(np.mean(losses[:50])),
                                                float(np.mean(losses[-50:]))],
        "vqvae_eval_on_training_latents": json.loads(
            (work / "vqvae" / "eval.json").read_text()),
        "converter_trained": converter_trained,
        "summary": "VQ-VAE and BPE trained by tokbench on the given converter"
        + ("" if converter_trained else "; the converter weights are RANDOM (golden parity "
           "weights), so the audio quality of this model is meaningless"),
    }
    card_path = out / "model_card.json"
    card_path.write_text(json.dumps(card, indent=1))
    Plutok(out, out / "vqvae" / "model.pth", out / "tokenizer" / "tokenizer.json")  # loads back
    return card_path


def cli(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.stage == "embed":
        n = extract_embeddings(args.ov_ckpt, args.manifest, args.out, args.tau, args.seed,
                               args.min_frames)
        print(f"wrote {n} latents to {args.out}")
    elif args.stage == "vqvae":
        losses = train_vqvae(args.emb_dir, args.out, args.num_codes, args.steps,
                             args.batch_size, args.crop, args.lr, args.seed)
        print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}; saved {args.out / 'model.pth'}")
    elif args.stage == "bpe":
        print(f"saved {train_bpe(args.text_dir, args.vocab_size, args.out)}")
    else:
        print(f"saved {train_all(args)}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(cli(sys.argv[1:]))
