"""Argument checks shared by every entry point: one rule per question.

The Python API, the command line, ``zipfit.dask``, ``zipfit.hf`` and
``zipfit.compat`` all validate through these functions, so the same mistake
gets the same error everywhere.  numpy integers count as integers.
"""
from __future__ import annotations

import os
from typing import Any, Optional, Tuple

import numpy as np

from .errors import warn

__all__ = ["check_int", "check_limits", "check_level", "check_dtype", "resolve_workers", "usable_cores"]


def check_int(name: str, value: Any, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``; bools and non-integers are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_limits(k: Any, budget_tokens: Any, budget_bytes: Any
                 ) -> Tuple[Optional[int], Optional[int], Optional[str]]:
    """(k, budget, unit) of a selection; unit is "tokens", "bytes" or None."""
    k = None if k is None else check_int("k", k)
    if budget_tokens is not None and budget_bytes is not None:
        raise ValueError("give budget_tokens or budget_bytes, not both")
    if budget_tokens is not None:
        return k, check_int("budget_tokens", budget_tokens), "tokens"
    if budget_bytes is not None:
        return k, check_int("budget_bytes", budget_bytes), "bytes"
    if k is None:
        raise ValueError("give k, budget_tokens or budget_bytes")
    return k, None, None


def check_level(level: Any) -> Optional[int]:
    """A compression level: None (the compressor's default) or an int."""
    if level is None:
        return None
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
        raise TypeError(f"level must be an int or None, not {type(level).__name__}")
    return int(level)


def check_dtype(dtype: Any) -> np.dtype:
    """float64 or float32, the two types the engines write."""
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype must be float64 or float32, not {dt}")
    return dt


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def resolve_workers(workers: Any) -> int:
    """Threads to use: 1 = serial, -1 = all usable cores, -2 = all but one...

    Usable cores respect the process's CPU affinity.  0 is an error.  More
    threads than usable cores run (they are what was asked for) but only
    slow the work down, so they draw a ``ZipFitWarning``.
    """
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)):
        raise TypeError(f"workers must be an int, not {type(workers).__name__}")
    workers = int(workers)
    if workers == 0:
        raise ValueError(
            "workers=0 is not allowed: use a positive thread count, "
            "-1 for all usable cores, or -2, -3... to leave cores free")
    cores = usable_cores()
    if workers > cores:
        warn(f"workers={workers} is more than the {cores} usable cores: the extra "
             "threads only slow the work down (use -1 for all usable cores)")
    if workers > 0:
        return workers
    return max(1, cores + 1 + workers)
