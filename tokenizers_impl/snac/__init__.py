"""SNAC, the multi-scale neural audio codec (Siuzdak et al. 2024), over the `snac` package."""
