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

try:
    from . import _core  # noqa: F401  (the compiled engine; everything needs it)
except ImportError as _exc:
    import os as _os
    from importlib.machinery import EXTENSION_SUFFIXES as _suffixes

    _here = _os.path.dirname(_os.path.abspath(__file__))
    if not _os.path.exists(_os.path.join(_here, "_core.pyx")):
        raise  # an installed zipfit whose engine fails to load: the real error
    _built = any(_os.path.exists(_os.path.join(_here, "_core" + s)) for s in _suffixes)
    raise ImportError(
        f"you are importing zipfit from its source tree ({_here}), where its "
        "compiled engine zipfit._core "
        + (f"fails to load ({_exc})" if _built else "is not built")
        + ". Started in the repository root, Python finds the checkout's zipfit/ "
        "before any installed zipfit. Run Python from another directory to use the "
        "installed package, or build the engine in place with 'pip install -e .' "
        "in the repository root."
    ) from None

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
from ._version import __version__
from .errors import InputError, OutputError, UsageError, ZipFitError, ZipFitWarning


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
