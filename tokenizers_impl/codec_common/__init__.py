"""Shared body of the field-codec adapters (EnCodec, DAC, Mimi, X-Codec, X-Codec2, NeuCodec,
SNAC): one base adapter, one weight resolver, one tiny-model writer."""
