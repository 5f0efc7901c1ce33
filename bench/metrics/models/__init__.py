"""Model code and loaders shared by the neural metrics (UTMOS network, crepe, whisper helpers)."""
