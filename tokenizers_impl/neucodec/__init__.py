"""NeuCodec (Neuphonic 2025): X-Codec2-style FSQ codec, 16 kHz in, 24 kHz out; over
``transformers.NeuCodecModel``."""
