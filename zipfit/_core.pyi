"""Type stubs for the compiled bridge to the C engine (zipfit/_core.pyx)."""
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

ENGINES: Tuple[str, ...]
WRAPPERS: dict
# Longest text or pair (bytes) each C engine computes itself; None: no
# limit.  Longer ones take the library path (system zlib, lz4 package).
MAX_INPUT: Dict[str, Optional[int]]

def zlib_runtime_version() -> str: ...

# A target set's memory budget when Targets() is given none: 256 MiB.
DEFAULT_MEMORY_BUDGET: int

class Targets:
    engine: str
    level: int
    wrapper: int
    texts: Tuple[Union[str, bytes], ...]
    memory_budget: int  # bytes of precomputed state the set may hold
    state_bytes: int    # bytes its states hold (<= memory_budget)
    prepared: int       # targets with their whole state
    trimmed: int        # targets with a trimmed state (lz4: hashes only)
    def __init__(self, texts: Sequence[Union[str, bytes]], *, engine: str, level: int,
                 wrapper: int, what: str = ...,
                 memory_budget: Optional[int] = ...) -> None: ...
    def __len__(self) -> int: ...

def sizes(texts: Sequence[Union[str, bytes]], *, engine: str, level: int, wrapper: int,
          workers: int, what: str = ...,
          progress: Optional[Callable[[int], None]] = ...) -> np.ndarray: ...

def ncd_matrix(rows_texts: Sequence[Union[str, bytes]], targets: Targets, *, workers: int,
               row_sizes: Any, col_sizes: Any, dtype: Any = ..., pair_sizes: bool = ...,
               progress: Optional[Callable[[int], None]] = ...,
               what: str = ...) -> Any: ...
