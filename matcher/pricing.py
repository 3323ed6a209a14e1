"""Pricing kernels for column generation: the Python face, over ``ctypes``, of
``matcher/_pricing.cpp``.

:func:`route_costs` prices a pool's routes in one pass: their objective coefficients less
the duals of their rows, with their volume times the values of the depot days they hold
(:func:`matcher.solve._reduced_costs` and :func:`matcher.solve._column_costs`).

:func:`least_below` answers the depot pricer's question for each demand: the cheapest supply
among those still available on its first day (the first ``count`` of a group's supplies, in
order of their last available day, latest first) that are available by its last day
(``level``, the rank of a supply's first available day, at most ``limit``): its best
transfer.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from matcher.native import load_library

if TYPE_CHECKING:  # (matcher.routes imports this module: no import at run time)
    from matcher.routes import RoutePool

FloatArray = npt.NDArray[np.float64]


@cache
def _library() -> ctypes.CDLL:
    lib = load_library("matcher._pricing")
    ptr, i32, i64, f64 = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64, ctypes.c_double
    lib.mm_route_costs.restype = None
    lib.mm_route_costs.argtypes = [i64] + [ptr] * 11 + [i64, i64, ptr, i64, i64, f64, ptr]
    lib.mm_least_below.restype = None
    lib.mm_least_below.argtypes = [i64, ptr, ptr, i32, i64, ptr, ptr, ptr, ptr]
    return lib


@dataclass(frozen=True)
class DayValues:
    """Per depot, the sum of per-day values over the days before each day: ``prefix[k, i]``
    covers depot ``k``'s days before ``first + i``, and its last entry all of them."""

    prefix: FloatArray  # (depots, days)
    first: int

    @classmethod
    def of(cls, day_prefix: Sequence[tuple[npt.NDArray[np.int64], FloatArray]]) -> DayValues | None:
        """From sorted days and prefix sums per depot (``prefix[j]``: the sum over the first
        ``j`` days, one entry more than days), laid out on every day from the first day with
        a value to the day after the last; None where no depot has a day."""
        valued = [days for days, _ in day_prefix if days.size]
        if not valued:
            return None
        first = min(int(days[0]) for days in valued)
        width = max(int(days[-1]) for days in valued) - first + 2
        every_day = first + np.arange(width)
        prefix = np.stack(
            [prefix[np.searchsorted(days, every_day, "left")] for days, prefix in day_prefix]
        )
        return cls(np.ascontiguousarray(prefix, np.float64), first)


def _pointer(a: npt.NDArray[np.generic] | None) -> int | None:
    return None if a is None else int(a.ctypes.data)


def route_costs(
    pool: RoutePool,
    m3_per_mat: npt.ArrayLike,
    routes: npt.ArrayLike | None = None,
    obj: npt.ArrayLike | None = None,
    row_dual: npt.ArrayLike | None = None,
    stock_offset: int = 0,
    dem_offset: int = 0,
    days: DayValues | None = None,
    sign: float = 1.0,
) -> FloatArray:
    """Per route of ``routes`` (every route of ``pool`` where None):

        obj[r] - row_dual[src row] - row_dual[dem[r] + dem_offset] + sign * m3 * held

    with ``obj`` 0 where None and no duals where ``row_dual`` is None.  A route's src row is
    ``src[r]``, plus ``stock_offset`` for a stock route; ``m3`` is ``m3_per_mat[mat[r]]``;
    ``held`` is the sum of ``days``' values over the days the route holds room in its depot
    (``p <= day < q``), or minus that over the days a stock route frees (``day >= q``); none
    for a direct route or where ``days`` is None.

    The pool's indices (rows, materials, depots) are trusted to fit ``row_dual``,
    ``m3_per_mat`` and ``days``: checking them would take as many passes as the pricing."""
    n_routes = int(pool.kind.size)
    idx = None if routes is None else np.ascontiguousarray(routes, np.int64)
    if idx is not None and idx.size and (idx.min() < 0 or idx.max() >= n_routes):
        raise IndexError(f"routes must lie between 0 and {n_routes - 1}")
    obj_ = None if obj is None else np.ascontiguousarray(obj, np.float64)
    if obj_ is not None and obj_.size < n_routes:
        raise ValueError("obj must have a coefficient per route of the pool")
    dual = None if row_dual is None else np.ascontiguousarray(row_dual, np.float64)
    m3 = np.ascontiguousarray(m3_per_mat, np.float64)
    # (RoutePool's arrays are contiguous and of these types already: no copies)
    kind = np.ascontiguousarray(pool.kind, np.int8)
    src, dem, depot, p, q, mat = (
        np.ascontiguousarray(getattr(pool, field), np.int32)
        for field in ("src", "dem", "depot", "p", "q", "mat")
    )
    out = np.empty(n_routes if idx is None else idx.size)
    _library().mm_route_costs(
        out.size,
        _pointer(idx),
        _pointer(obj_),
        _pointer(src),
        _pointer(dem),
        _pointer(kind),
        _pointer(depot),
        _pointer(p),
        _pointer(q),
        _pointer(mat),
        _pointer(m3),
        _pointer(dual),
        stock_offset,
        dem_offset,
        None if days is None else _pointer(days.prefix),
        0 if days is None else days.prefix.shape[1],
        0 if days is None else days.first,
        sign,
        _pointer(out),
    )
    return out


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
        _pointer(value_),
        _pointer(level_),
        n_levels,
        count_.size,
        _pointer(count_),
        _pointer(limit_),
        _pointer(best),
        _pointer(at),
    )
    return best, at
