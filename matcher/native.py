"""The package's C++ parts (built by setup.py), loaded with ``ctypes``."""

from __future__ import annotations

import ctypes
import importlib.util


def load_library(module: str) -> ctypes.CDLL:
    """The shared library of the extension module ``module`` (such as
    ``"matcher._netsimplex"``), whose entry points are C functions."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:  # pragma: no cover - the package is installed
        raise ImportError(f"{module} is not built: install the package (make install) to build it")
    return ctypes.CDLL(spec.origin)
