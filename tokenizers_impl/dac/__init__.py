"""DAC, the Descript Audio Codec (Kumar et al. 2023), over ``transformers.DacModel``."""
