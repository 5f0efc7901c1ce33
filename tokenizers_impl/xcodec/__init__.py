"""X-Codec (Ye et al. 2024): acoustic + HuBERT semantic features, residual VQ; over
``transformers.XcodecModel``."""
