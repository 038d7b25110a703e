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
from ._api import (
    Selection,
    Text,
    ZipFit,
    ZipFitWarning,
    alignment,
    cdist,
    compressed_size,
    ncd,
    resolve_workers,
    zlib_version,
)
from ._compressors import names as _compressor_names
from ._version import __version__


def compressors() -> tuple:
    """Names of the available compressors."""
    return _compressor_names()


__all__ = [
    "Selection",
    "Text",
    "ZipFit",
    "ZipFitWarning",
    "alignment",
    "cdist",
    "compressed_size",
    "compressors",
    "ncd",
    "resolve_workers",
    "zlib_version",
    "__version__",
]
