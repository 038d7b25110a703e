"""zipfit: fast, exact ZIP-FIT data selection.

ZIP-FIT (Obbad et al.) scores each source document by how well it
compresses together with examples of a target task::

    NCD(x, y) = (C(x ⊕ y) - min(C(x), C(y))) / max(C(x), C(y))
    align(x)  = 1 - mean_j NCD(x, y_j)

zipfit computes the same numbers as the reference implementation, from a C
engine running in threads that release the GIL.

>>> import zipfit
>>> zf = zipfit.ZipFit(["def add(a, b):\\n    return a + b\\n"], workers=1)
>>> zf.select(["def mul(a, b):\\n    return a * b\\n", "Paris is in France."], k=1).indices
array([0])
"""
from typing import Dict

from . import _compressors
from ._api import (
    Selection,
    Text,
    ZipFit,
    alignment,
    cdist,
    compressed_size,
    ncd,
    resolve_workers,
    zlib_version,
)
from .errors import InputError, OutputError, UsageError, ZipFitError, ZipFitWarning

__version__ = "0.1.0"


def compressors() -> Dict[str, str]:
    """Every compressor, and whether it is usable now or what to install for it.

    >>> import zipfit
    >>> zipfit.compressors()["gzip"]
    'ready'
    """
    return {name: _compressors.get(name).status() for name in _compressors.names()}


__all__ = [
    "Selection",
    "Text",
    "ZipFit",
    "ZipFitWarning",
    "ZipFitError",
    "InputError",
    "OutputError",
    "UsageError",
    "alignment",
    "cdist",
    "compressed_size",
    "compressors",
    "ncd",
    "resolve_workers",
    "zlib_version",
    "__version__",
]
