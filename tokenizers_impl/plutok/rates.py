"""Honest rate accounting for Plutok on a manifest: VQ ids/s (43 Hz) and BPE tokens/s, the BPE
compression ratio, token bitrates, and the speaker embedding's side-information cost at
32/16/8 bits with its measured cosine error, per language and overall.

    python -m tokenizers_impl.plutok.rates --manifest M.jsonl --ov-ckpt DIR \
        --vqvae-ckpt model.pth --tokenizer-file tokenizer.json [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import torch

from bench.audio import load_audio
from bench.data.manifest import read_manifest
from tokenizers_impl.plutok.side_info import SE_BITS_CHOICES, cosine_error, se_bits_per_utterance
from tokenizers_impl.plutok.tokenizer import Plutok


@dataclass
class UtteranceRates:
    """What one utterance produced."""

    language: str
    seconds: float
    vq_ids: int
    bpe_tokens: int
    se: torch.Tensor  # [D]


@dataclass
class RateTotals:
    """Sums over a group of utterances, turned into rates by ``summary``."""

    rows: list[UtteranceRates] = field(default_factory=list)

    def summary(self, vq_codes: int, bpe_vocab: int) -> dict[str, float]:
        secs = sum(r.seconds for r in self.rows)
        n_vq = sum(r.vq_ids for r in self.rows)
        n_bpe = sum(r.bpe_tokens for r in self.rows)
        dim = int(self.rows[0].se.numel())
        out: dict[str, float] = {
            "utterances": len(self.rows),
            "seconds": secs,
            "vq_ids_per_s": n_vq / secs,
            "bpe_tokens_per_s": n_bpe / secs,
            "bpe_compression_ratio": n_vq / n_bpe,
            "vq_bits_per_s": n_vq * math.log2(vq_codes) / secs,
            "bpe_bits_per_s": n_bpe * math.log2(bpe_vocab) / secs,
        }
        se = torch.stack([r.se for r in self.rows])
        for bits in SE_BITS_CHOICES:
            per_utt = se_bits_per_utterance(dim, bits)
            side_rate = len(self.rows) * per_utt / secs
            out[f"se{bits}_bits_per_utterance"] = per_utt
            out[f"se{bits}_bits_per_s"] = side_rate
            out[f"total_bits_per_s_se{bits}"] = out["bpe_bits_per_s"] + side_rate
            err = cosine_error(se, bits)
            out[f"se{bits}_cosine_error_mean"] = float(err.mean())
            out[f"se{bits}_cosine_error_max"] = float(err.max())
        return out


def measure(model: Plutok, manifest: Path) -> list[UtteranceRates]:
    """Encode every manifest row (audio resampled to the model rate on load)."""
    root = Path(manifest).parent
    rows = []
    for utt in read_manifest(Path(manifest)):
        wav, _ = load_audio(utt.resolved_path(root), target_sr=model.sample_rate)
        st = model.encode_stages(wav)
        rows.append(UtteranceRates(utt.language or "unknown", len(wav) / model.sample_rate,
                                   len(st.vq_ids), len(st.bpe_ids), st.se[0, :, 0].float()))
    return rows


def rate_report(model: Plutok, manifest: Path) -> dict[str, dict[str, float]]:
    """{language | 'all': rate summary} for the utterances of ``manifest``."""
    rows = measure(model, manifest)
    if not rows:
        raise ValueError(f"{manifest}: no utterances")
    groups: dict[str, RateTotals] = defaultdict(RateTotals)
    for r in rows:
        groups[r.language].rows.append(r)
        groups["all"].rows.append(r)
    return {lang: g.summary(model.vqvae.num_codes, model.bpe.vocab_size)
            for lang, g in sorted(groups.items())}


def format_table(report: dict[str, dict[str, float]]) -> str:
    cols = [("lang", None), ("utts", "utterances"), ("sec", "seconds"),
            ("vq/s", "vq_ids_per_s"), ("bpe/s", "bpe_tokens_per_s"),
            ("ratio", "bpe_compression_ratio"), ("bpe b/s", "bpe_bits_per_s"),
            ("se32 b/s", "se32_bits_per_s"), ("se16 b/s", "se16_bits_per_s"),
            ("se8 b/s", "se8_bits_per_s"), ("se8 1-cos", "se8_cosine_error_mean")]
    lines = [" ".join(f"{c:>10}" for c, _ in cols)]
    for lang, s in report.items():
        cells = [f"{lang:>10}"]
        for _, key in cols[1:]:
            v = s[key]
            cells.append(f"{v:>10.3g}" if isinstance(v, float) else f"{v:>10}")
        lines.append(" ".join(cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifest", type=Path, required=True)
    p.add_argument("--ov-ckpt", type=Path, required=True)
    p.add_argument("--vqvae-ckpt", type=Path, required=True)
    p.add_argument("--tokenizer-file", type=Path, required=True)
    p.add_argument("--encode-noise", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="write the report here")
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    model = Plutok(args.ov_ckpt, args.vqvae_ckpt, args.tokenizer_file, "cpu",
                   encode_noise=args.encode_noise, decode_noise=0.0, seed=args.seed)
    report = rate_report(model, args.manifest)
    print(format_table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
