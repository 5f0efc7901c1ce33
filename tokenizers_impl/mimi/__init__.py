"""Mimi, the Moshi codec (Kyutai 2024), over ``transformers.MimiModel``."""
