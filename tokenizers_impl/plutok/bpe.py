"""Plutok's BPE layer: VQ ids → ``#id`` string → HF ``tokenizers`` BPE ids, and back.

The tokenizer has no pre-tokenizer, so merged tokens cross ``#`` boundaries and may even split
one id in two ("#82#1" + "1#11"). Decoding therefore concatenates the token strings first and
only then splits on ``#`` (the official code joins with spaces and removes them: same text).
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer

ID_MARK = "#"


def ids_to_text(ids: list[int]) -> str:
    """[82, 11] → '#82#11'."""
    return "".join(f"{ID_MARK}{int(i)}" for i in ids)


def text_to_ids(text: str) -> list[int]:
    """'#82#11' → [82, 11]; pieces that are not all digits (special tokens) are dropped, as in
    the official decoder."""
    return [int(part) for part in text.replace(" ", "").split(ID_MARK) if part.isdigit()]


class BpeLayer:
    """Wraps a ``tokenizer.json`` (official format) for encoding id strings."""

    def __init__(self, tokenizer_file: Path | str) -> None:
        path = Path(tokenizer_file)
        if not path.is_file():
            raise FileNotFoundError(f"BPE tokenizer file not found: {path}")
        self.path = path
        self.tokenizer = Tokenizer.from_file(str(path))

    @property
    def vocab_size(self) -> int:
        return int(self.tokenizer.get_vocab_size(with_added_tokens=True))

    def encode_text(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text).ids)

    def encode(self, vq_ids: list[int]) -> list[int]:
        """VQ ids → BPE ids."""
        return self.encode_text(ids_to_text(vq_ids))

    def token_strings(self, bpe_ids: list[int]) -> list[str]:
        out = []
        for i in bpe_ids:
            tok = self.tokenizer.id_to_token(int(i))
            if tok is None:
                raise ValueError(f"BPE id {int(i)} is outside the vocabulary ({self.vocab_size})")
            out.append(tok)
        return out

    def decode_text(self, bpe_ids: list[int]) -> str:
        """BPE ids → the concatenated '#id' text."""
        return "".join(self.token_strings(bpe_ids))

    def decode(self, bpe_ids: list[int]) -> list[int]:
        """BPE ids → VQ ids."""
        return text_to_ids(self.decode_text(bpe_ids))

    def starts_per_token(self, bpe_ids: list[int]) -> list[int]:
        """How many VQ ids begin (with their '#') inside each token; sums to the VQ id count."""
        return [tok.count(ID_MARK) for tok in self.token_strings(bpe_ids)]
