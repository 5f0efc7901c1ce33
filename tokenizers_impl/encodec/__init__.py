"""EnCodec (Défossez et al. 2022) as a tokbench family, over ``transformers.EncodecModel``."""
