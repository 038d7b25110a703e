"""What a budget counts: whitespace tokens, UTF-8 bytes, or a tokenizer's tokens.

Costs are computed a chunk at a time (``Costs(texts) -> int64 array``), so a
real tokenizer encodes whole batches instead of one call per document.
"""
from __future__ import annotations

import os
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

__all__ = ["Costs", "count_tokens", "load_tokenizer"]


def count_tokens(text: Any) -> int:
    """Whitespace tokens of a text: ``str.split()`` of its characters.

    One definition for str and bytes: bytes are read as UTF-8 (an invalid
    byte counts as a non-space character), so U+3000 or U+00A0 separate
    tokens either way.
    """
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8", "replace")
    return len(text.split())


def _as_str(texts: Sequence[Any]) -> List[str]:
    return [t if isinstance(t, str) else bytes(t).decode("utf-8", "replace") for t in texts]


def load_tokenizer(name_or_path: str) -> Callable[[List[str]], List[int]]:
    """A batch token counter: a ``tokenizer.json`` file through ``tokenizers``,
    or any name or path ``transformers.AutoTokenizer`` loads (when installed).

    Tokens are counted without special tokens (a document's own tokens).
    """
    if os.path.isfile(name_or_path) or name_or_path.endswith(".json"):
        try:
            from tokenizers import Tokenizer
        except ImportError:
            raise ImportError('--tokenizer with a tokenizer.json file needs tokenizers: '
                              'pip install "zipfit[hf]"') from None
        try:
            tok = Tokenizer.from_file(name_or_path)
        except Exception as e:  # tokenizers raises its own exception type
            raise ValueError(f"cannot load the tokenizer {name_or_path!r}: {e}") from None
        return lambda texts: [len(e.ids) for e in
                              tok.encode_batch(texts, add_special_tokens=False)]
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise ImportError(f"tokenizer {name_or_path!r} is not a tokenizer.json file; names and "
                          "directories need transformers: pip install transformers") from None
    try:
        auto = AutoTokenizer.from_pretrained(name_or_path)
    except Exception as e:  # transformers raises many types
        raise ValueError(f"cannot load the tokenizer {name_or_path!r}: {e}") from None
    return lambda texts: [len(ids) for ids in
                          auto(texts, add_special_tokens=False)["input_ids"]]


class Costs:
    """The cost of each text of a chunk against a budget.

    ``unit`` is ``"tokens"`` or ``"bytes"``; ``tokenizer`` (with tokens) is
    a ``tokenizer.json`` path or a transformers name; None counts
    whitespace tokens (:func:`count_tokens`).  Pickles by its settings, so a
    Dask worker loads the tokenizer once, where it is used.
    """

    def __init__(self, unit: str, tokenizer: Optional[str] = None) -> None:
        if unit not in ("tokens", "bytes"):
            raise ValueError(f"unit must be 'tokens' or 'bytes', not {unit!r}")
        if tokenizer is not None and unit != "tokens":
            raise ValueError("a tokenizer counts tokens: use it with budget_tokens")
        self.unit = unit
        self.tokenizer = tokenizer
        self._encode = load_tokenizer(tokenizer) if tokenizer is not None else None

    def __reduce__(self):
        return (Costs, (self.unit, self.tokenizer))

    def __call__(self, texts: Sequence[Any]) -> np.ndarray:
        if self.unit == "bytes":
            return np.fromiter((len(t.encode("utf-8")) if isinstance(t, str) else len(t)
                                for t in texts), dtype=np.int64, count=len(texts))
        if self._encode is not None:
            return np.asarray(self._encode(_as_str(texts)), dtype=np.int64)
        return np.fromiter((count_tokens(t) for t in texts), dtype=np.int64, count=len(texts))
