"""X-Codec2 (Ye et al. 2025): one FSQ codebook of 65536 at 50 Hz; over
``transformers.Xcodec2Model``."""
