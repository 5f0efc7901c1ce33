"""tokbench: evaluation harness for speech tokenizers."""

from bench import warning_filters as _warning_filters

_warning_filters.install()
