"""Limitations of metrics worth saying wherever they are listed (report footnotes and
``tokbench list``); a module without imports so the quick listing stays torch-free."""

ENGLISH_ONLY_NOTE = ("the default CPU model (faster-whisper tiny.en) is English-only: other "
                     "languages are recorded as missing unless a multilingual model is set")

LISTED_NOTES = {"wer": ENGLISH_ONLY_NOTE, "cer": ENGLISH_ONLY_NOTE}
"""Notes ``tokbench list`` prints under a metric's status."""
