"""The least value among the first items of a list whose level is at most a limit, for many
queries at once: the Python face, over ``ctypes``, of ``matcher/_dominance.cpp``.

The depot pricer keeps each group's supplies in order of their last available day, latest
first, and asks for each demand the cheapest supply among those still available on its first
day (the first ``count`` of the list) that are available by its last day (``level``, the rank
of a supply's first available day, at most ``limit``): the demand's best transfer.
"""

from __future__ import annotations

import ctypes
from functools import cache

import numpy as np
import numpy.typing as npt

from matcher.native import load_library


@cache
def _library() -> ctypes.CDLL:
    lib = load_library("matcher._dominance")
    ptr, i32, i64 = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64
    lib.mm_least_below.restype = None
    lib.mm_least_below.argtypes = [i64, ptr, ptr, i32, i64, ptr, ptr, ptr, ptr]
    return lib


def least_below(
    value: npt.ArrayLike,
    level: npt.ArrayLike,
    n_levels: int,
    count: npt.ArrayLike,
    limit: npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """For each query ``j``: the least ``value[i]`` over the items ``i < count[j]`` whose
    ``level[i]`` (from 0 to ``n_levels - 1``) is at most ``limit[j]``, and the first such
    ``i`` that has it; ``inf`` and 0 where none qualifies."""
    value_ = np.ascontiguousarray(value, np.float64)
    level_ = np.ascontiguousarray(level, np.int32)
    count_ = np.ascontiguousarray(count, np.int64)
    limit_ = np.ascontiguousarray(limit, np.int32)
    if value_.shape != level_.shape or count_.shape != limit_.shape:
        raise ValueError("value and level, and count and limit, must have the same length")
    if level_.size and (level_.min() < 0 or level_.max() >= n_levels):
        raise ValueError(f"levels must lie between 0 and {n_levels - 1}")
    best = np.empty(count_.size)
    at = np.empty(count_.size, np.int64)
    _library().mm_least_below(
        value_.size,
        value_.ctypes.data,
        level_.ctypes.data,
        n_levels,
        count_.size,
        count_.ctypes.data,
        limit_.ctypes.data,
        best.ctypes.data,
        at.ctypes.data,
    )
    return best, at
