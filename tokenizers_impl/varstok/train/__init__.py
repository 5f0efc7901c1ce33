"""Training of WavTokenizer / VARSTok tokenizers (``tokbench train varstok CONFIG``).

The objective is the official one (log-mel L1 x45, hinge GAN with multi-period and
multi-resolution discriminators plus feature matching, VQ commitment x1000, EMA codebook); the
checkpoints use the official Lightning layout so ``VARSTok.from_pretrained`` loads them.
``cli(argv)`` is the command-line entry point called by the tokbench CLI.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from tokenizers_impl.varstok.train.config import CLUSTERING_CHOICES, load_config


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokbench train varstok",
        description="Train a WavTokenizer (clustering none) or VARSTok (clustering original/"
                    "fixed) tokenizer from a LightningCLI-style YAML whose data section points "
                    "at tokbench manifests.",
    )
    parser.add_argument("config", type=Path, help="training YAML (model/data/trainer sections)")
    parser.add_argument("--out", type=Path, default=None,
                        help="run folder (default: trainer.default_root_dir of the config)")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="generator updates (default: trainer.max_steps)")
    parser.add_argument("--max-minutes", type=float, default=None,
                        help="wall-clock budget (default: trainer.max_minutes)")
    parser.add_argument("--clustering", choices=CLUSTERING_CHOICES, default=None,
                        help="override model.init_args.clustering")
    parser.add_argument("--init-from", type=Path, default=None,
                        help="initialise from this Lightning checkpoint (e.g. a WavTokenizer)")
    parser.add_argument("--export", type=Path, default=None,
                        help="also write a float16 tokenizer-only model.ckpt + config.yaml here")
    return parser


def cli(argv: list[str]) -> int:
    """Parse ``argv``, train, print a JSON summary; returns the process exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cfg = load_config(args.config)
    if args.clustering is not None:
        cfg.clustering = args.clustering
    if args.init_from is not None:
        cfg.resume_model = str(args.init_from)
    from tokenizers_impl.varstok.train.run import train  # heavy imports only when training

    out_dir = args.out or Path(cfg.default_root_dir)
    summary = train(cfg, out_dir, max_steps=args.max_steps, max_minutes=args.max_minutes,
                    export_dir=args.export)
    print(json.dumps(summary, indent=1))
    return 0


__all__ = ["cli"]
