"""Drop-in replacement for the official ``zip-fit`` package's API.

Change ``from zip_fit import ZIPFIT`` to ``from zipfit.compat import ZIPFIT``
and the same code writes the same top-k, computed by zipfit's engine.

``ZIPFIT`` follows zip-fit 1.0.9 (signature, defaults: gzip at level 0,
messages, output format).  ``compute_zipfit_alignment`` follows the
function of the same name on the project's main branch (default lz4,
level 0).  As in the official package, the level is passed to gzip, lz4 and
zstd, and ignored for brotli and lzma (they run at their library defaults).
"""
from __future__ import annotations

import json
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from ._api import Scorer, Setup, as_texts
from ._checks import resolve_workers
from ._select import CHUNK_DOCS

__all__ = ["ZIPFIT", "compute_zipfit_alignment"]

_LEVEL_IGNORED = ("brotli", "lzma")
_SUPPORTED = ("gzip", "lz4", "zstd", "brotli", "lzma")


def _setup(algorithm: str, level: int) -> Setup:
    if algorithm not in _SUPPORTED:
        raise ValueError(f"Unsupported compression algorithm: {algorithm}")
    return Setup(algorithm, None if algorithm in _LEVEL_IGNORED else level)


class ZIPFIT:
    """The official ``ZIPFIT`` class (zip-fit 1.0.9 signature and behaviour).

    ``workers`` is the only addition: threads for zipfit's engine
    (-1 = all usable cores, as the official package uses all cores).
    """

    def __init__(
        self,
        source_dataset: Optional[str],
        target_dataset: Optional[str],
        k: int,
        source_load_fn: Optional[Callable[[str], List[Any]]] = None,
        source_parse_fn: Optional[Callable[[Any], str]] = None,
        target_load_fn: Optional[Callable[[str], List[Any]]] = None,
        target_parse_fn: Optional[Callable[[Any], str]] = None,
        output_file: str = "top_k_sequences.jsonl",
        compression_algorithm: str = "gzip",
        compress_level: int = 0,
        cache_size: int = 100000,
        *,
        workers: int = -1,
    ) -> None:
        self.source_dataset = source_dataset
        self.target_dataset = target_dataset
        self.source_load_fn = source_load_fn
        self.source_parse_fn = source_parse_fn
        self.target_load_fn = target_load_fn
        self.target_parse_fn = target_parse_fn
        self.output_file = output_file
        self.cache_size = cache_size  # kept for compatibility; zipfit needs no cache
        self.k = k
        self.compress_level = compress_level
        self.compression_algorithm = compression_algorithm
        self.workers = resolve_workers(workers)

    # -- loading, as in the official package -------------------------------
    def load_jsonl(self, file_path: str) -> List[str]:
        data = []
        try:
            with open(file_path, "r") as f:
                for line in f:
                    item = json.loads(line)
                    data.append(item["text"])
        except FileNotFoundError:
            print(f"Error: The file {file_path} was not found.")
        except json.JSONDecodeError:
            print("Error: Failed to decode JSON from the file.")
        return data

    def load_and_process_datasets(self, file_path: Optional[str],
                                  load_fn: Optional[Callable],
                                  parse_fn: Optional[Callable]) -> List[str]:
        if load_fn and parse_fn:
            return [parse_fn(ex) for ex in load_fn(file_path)]
        if file_path and file_path.endswith(".jsonl"):
            return self.load_jsonl(file_path)
        raise ValueError(
            "Invalid input: Provide a JSONL file path or valid loading/parsing functions.")

    # -- scoring ---------------------------------------------------------
    def _setup(self) -> Setup:
        return _setup(self.compression_algorithm, self.compress_level)

    def compress(self, data: str) -> int:
        """Compressed size of one text."""
        return int(self._setup().sizes([data], 1, "data")[0])

    def normalized_compression_distance(self, c1: int, c2: int, c12: int) -> float:
        return (c12 - min(c1, c2)) / max(c1, c2)

    def similarity(self, args: Tuple[str, str, int, int, int]) -> Tuple[int, float]:
        s1, s2, c1, c2, source_idx = args
        c12 = self.compress(s1 + s2)
        return (source_idx, 1 - self.normalized_compression_distance(c1, c2, c12))

    def _similarities(self, source_data: Sequence[str], target_data: Sequence[str]):
        """Yield (offset, 1 - NCD block) over chunks of the sources."""
        scorer = Scorer(self._setup(), as_texts(target_data, "targets"), self.workers)
        sources = as_texts(source_data, "sources")
        for lo in range(0, len(sources), CHUNK_DOCS):
            yield lo, 1.0 - scorer.ncd(sources[lo:lo + CHUNK_DOCS])

    def rank_sequences_by_alignment(self, source_data: list,
                                    target_data: list) -> List[Tuple[str, float]]:
        """Top-k (text, mean similarity), best first, as the official method."""
        print("Precomputing compression sizes...")
        print("Computing similarities...")
        if not source_data or not target_data:
            return []  # the official method finds no pairs and returns nothing
        scores = np.empty(len(source_data), dtype=np.float64)
        for lo, sim in self._similarities(source_data, target_data):
            # np.mean over each row, as the official np.mean(list) per source
            scores[lo:lo + len(sim)] = np.mean(sim, axis=1)
        order = sorted(range(len(source_data)), key=lambda i: scores[i], reverse=True)
        return [(source_data[i], scores[i]) for i in order[:self.k]]

    def compute_zipfit_alignment(self, texts_a: List[str], texts_b: List[str]) -> float:
        """Mean similarity over all pairs (official main-branch method)."""
        if not texts_a or not texts_b:
            return 0.0
        print(f"Computing compression sizes for {len(texts_a)} and {len(texts_b)} texts...")
        print("Computing alignment scores...")
        total = 0.0
        for _, sim in self._similarities(texts_a, texts_b):
            # left-to-right running sum, as the official loop adds pair by pair
            total = float(np.cumsum(np.concatenate(([total], sim.ravel())))[-1])
        avg = total / (len(texts_a) * len(texts_b))
        print(f"ZIPFIT alignment score: {avg:.4f}")
        return avg

    def run(self) -> None:
        print("Loading datasets...")
        source_data = self.load_and_process_datasets(
            self.source_dataset, self.source_load_fn, self.source_parse_fn)
        target_data = self.load_and_process_datasets(
            self.target_dataset, self.target_load_fn, self.target_parse_fn)
        print(f"Loaded {len(source_data)} source sequences and "
              f"{len(target_data)} target sequences")
        top_k = self.rank_sequences_by_alignment(source_data, target_data)
        print(f"Writing top {self.k} sequences to {self.output_file}")
        with open(self.output_file, "w") as f:
            for text, _score in top_k:
                f.write(json.dumps({"text": text}) + "\n")


def compute_zipfit_alignment(texts_a: List[str], texts_b: List[str],
                             compression_algorithm: str = "lz4",
                             compress_level: int = 0) -> float:
    """Average alignment over all pairs of two text sets (official signature)."""
    z = ZIPFIT(None, None, k=1, compression_algorithm=compression_algorithm,
               compress_level=compress_level)
    return z.compute_zipfit_alignment(texts_a, texts_b)
