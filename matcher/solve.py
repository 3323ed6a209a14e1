"""The optimisation model and the call into the solver.

The model
---------
Every feasible route ``r`` of the :class:`~matcher.routes.RoutePool` carries ``x[r] >= 0`` whole
units.  A route starts at a *supply* ``s`` (or a *stock* item ``i``) and ends at a *demand* ``d``;
a depot route passes through depot ``k``, picked up on day ``p`` and delivered on day ``q``::

    minimise    constant + sum_r obj[r] * x[r]
      obj[r]   = unit_cost[r] - disposal[s] - unmet[d]        (supply routes)
               = unit_cost[r] - unmet[d]                       (stock routes: staying is free)
      constant = sum_s disposal[s] * qty[s] + sum_d unmet[d] * qty[d]
    subject to
      supply row s:      sum of x over routes from s  <= qty[s]
      stock row i:       sum of x over routes from i  <= qty[i]
      demand row d:      sum of x over routes to d    <= qty[d]
      depot-day row (k, t), the capacity:
          sum of m3 * x over depot routes of k with p <= t < q
        - sum of m3 * x over stock routes of k with q <= t      <= capacity[k] - stock_m3[k]
      x integer.

``unit_cost`` holds transport, priced CO2, substitution, handling and holding per unit; leaving
a unit of supply costs its disposal fee, an unmet unit of demand its new price plus its priced
embodied carbon, so ``obj[r]`` is what sending one unit along ``r`` saves or costs.

How it is solved (``method="column-generation"``, the default)
--------------------------------------------------------------
The full route pool grows with the square of listing density, so the linear relaxation is solved
on a *working set* of routes with HiGHS, and the rest are priced against its duals:
a route's reduced cost is ``obj[r]`` minus the duals of its rows (for a depot route, ``m3``
times the duals of the depot-day rows it spans).  Routes with a negative reduced cost join the
working set and HiGHS re-solves from its previous basis, until no route improves: then the
relaxation is optimal over every route (exact pricing, not a heuristic).  Depot-day rows are
added lazily the same way: only days on which the current solution overfills a depot; a round
that adds rows adds no routes (they are priced after the re-solve).

Without depot-day rows the model is a transportation problem, whose basic solutions are whole
numbers, so the relaxation's optimum is the integer optimum.  When depot capacity binds across
materials the relaxation may split units; then HiGHS's branch and bound runs on the working set,
started from the rounded-down solution, and the result reports the relaxation's value as the
proven lower bound (status ``"feasible"`` unless the two meet).

Routes with ``obj[r] >= 0`` never carry units in an optimum (their reduced cost stays >= 0:
supply and demand duals are <= 0 and a supply route only adds to depot occupancy), so they are
dropped up front; stock routes stay, since moving stock out early can free depot space.

``method="full-lp"`` hands HiGHS every route at once (for comparison); ``method="networkx"``
solves depot-free instances as a min-cost flow with networkx (costs scaled to integer cents, as
its documentation asks), an independent reference.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import pickle
import sys
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache, cached_property
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as connection_wait
from typing import TYPE_CHECKING, Any, cast

import highspy
import numpy as np
import numpy.typing as npt

from matcher.blas import on_one_blas_thread
from matcher.bulk import collector_paused
from matcher.domain import Demand, Instance, Supply
from matcher.geo import great_circle_km
from matcher.netsimplex import GrowingNetwork
from matcher.pricing import DayValues, route_costs
from matcher.result import Allocation, CostBreakdown, Kpis, Leftover, MatchResult
from matcher.routes import (
    DEPOT,
    DIRECT,
    STOCK,
    BoolArray,
    DepotGroup,
    DepotPricer,
    RoutePool,
    Tables,
    build_routes,
    build_tables,
    count_depot_pairs,
    demands_with_requirements,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Progress = Callable[[str], None]

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

DEFAULT_METHOD = "column-generation"
METHODS = ("column-generation", "full-lp", "networkx")

_INF = highspy.kHighsInf
_RC_TOL = 1e-7  # a route improves when its reduced cost is below -_RC_TOL euros per unit
_CAP_TOL = 1e-7  # m3 of overfill that counts as a violation
_INT_TOL = 1e-6
_INIT_PER_DEMAND = 4
_INIT_PER_SUPPLY = 2
_ENTER_PER_ROW = 2  # per supply and per demand row, each round (more only adds LP work)
_MIP_REL_GAP = 1e-6  # the final run over every route that could still improve
_MIP_ABS_GAP = 1e-6  # HiGHS's own default, in euros
_MIP_TIME_LIMIT_S = 300.0  # a safety net only; the node limit decides
_MIP_MAX_NODES = 300
_BRANCH_AND_BOUND_MAX_ROUTES = 800  # larger models keep the dive's solution and the LP bound
# A family solved again on the family path keeps its floored solution (see below) however far it
# is from the relaxation from this many routes in play on: there the search around the relaxation
# took 44 s of a 100 s re-solve (100k listings a side, 20 depots), and on smaller ones it finds
# solutions a few 0.01 % cheaper.
_FLOOR_ROUNDING_MIN_ROUTES = 100_000
# Rounding keeps the floored solution (depot routes rounded down, one re-solve) when it is within
# this fraction of the relaxation's value; only above it does the search around the relaxation
# (RENS, then a dive) run.  At 10k listings a side with 20 depots the search took 1.8 s of 5.4 s
# to improve the floored result (gap 2.0e-5) to a gap of 3.0e-6.
_ROUNDING_CLOSE_ENOUGH = 1e-4
_LIST_DEPOT_PAIRS = 4_000_000
# An objective within half a cent of a proven bound counts as proven: costs are in euros, and the
# spec's own accounting tolerance is a cent.
_PROOF_TOL_EUR = 0.005
# Independent parts are solved in worker processes from this many listings on (supply plus
# demand); below it, starting the workers costs more than they save.
_PARALLEL_MIN_LISTINGS = 20_000
_CHEAPEST_SORT_MAX = 1 << 12  # candidates sorted as they are; more are narrowed down first
WORKERS_ENV = "MATERIALMATCH_WORKERS"


class SolverError(RuntimeError):
    """HiGHS did not reach an optimal relaxation (it should not happen: x = 0 is feasible)."""


@dataclass
class _Model:
    """The instance's pool, objective coefficients and row layout."""

    tables: Tables
    pool: RoutePool
    obj: FloatArray
    constant: float
    cap_rhs: FloatArray  # per depot: capacity minus the stock's volume
    stock_m3: FloatArray  # per depot: volume of its stock on today
    n_base_rows: int
    cap_days: list[list[int]] = field(default_factory=list)  # per depot: days with a row
    cap_rows: list[list[int]] = field(default_factory=list)  # per depot: their row indices
    pricer: DepotPricer | None = None  # prices depot routes that are not in the pool
    # per depot: volume already promised outside the instance, a step function of the day
    # (from ``days[j]`` on, ``m3[j]``; nothing before the first day)
    reserved: list[tuple[IntArray, FloatArray]] = field(default_factory=list)
    # per depot: sorted days and a price per m3 on each, charged on top of ``obj`` for the
    # volume a route holds there on those days (a family priced by :func:`_price_families`)
    prices: list[tuple[IntArray, FloatArray]] | None = None
    # the buffers that the pool's arrays and obj view, once the pool has grown
    # (:func:`_extend_pool`)
    buffers: list[npt.NDArray[Any]] = field(default_factory=list)

    # A route's rows and volume per unit follow from its pool entry; they are worked out
    # where needed, not kept per route (100k listings a side: 23 million routes in the
    # families' pools, 24 bytes each, 0.55 GB, and more in the pools' spare room)

    def src_rows(self, routes: IntArray | None = None) -> IntArray:
        """The supply or stock row of each of ``routes`` (of every route where None)."""
        pool = self.pool
        src, kind = (
            (pool.src, pool.kind) if routes is None else (pool.src[routes], pool.kind[routes])
        )
        rows = src.astype(np.int64)
        rows[kind == STOCK] += len(self.tables.s_ids) + len(self.tables.d_ids)
        return rows

    def dem_rows(self, routes: IntArray | None = None) -> IntArray:
        """The demand row of each of ``routes`` (of every route where None)."""
        dem = self.pool.dem if routes is None else self.pool.dem[routes]
        return dem.astype(np.int64) + len(self.tables.s_ids)

    def m3_of(self, routes: IntArray | None = None) -> FloatArray:
        """The volume per unit of the material that each of ``routes`` supplies."""
        return self.tables.mat_m3[self.pool.mat if routes is None else self.pool.mat[routes]]

    def reserved_at(self, k: int, days: IntArray) -> FloatArray:
        """Volume promised in depot ``k`` outside the instance on each of ``days``."""
        if not self.reserved or self.reserved[k][0].size == 0:
            return np.zeros(np.shape(days))
        step_days, m3 = self.reserved[k]
        pos = np.searchsorted(step_days, days, "right") - 1
        return np.where(pos >= 0, m3[np.maximum(pos, 0)], 0.0)


def _route_obj(tables: Tables, pool: RoutePool) -> FloatArray:
    """Objective coefficient of each route."""
    stock = pool.kind == STOCK
    src_disposal = np.zeros(len(pool))
    src_disposal[~stock] = tables.mat_disposal[tables.s_mat[pool.src[~stock]]]
    return pool.unit_cost - src_disposal - tables.mat_unmet[tables.d_mat[pool.dem]]


def _row_qty(tables: Tables) -> IntArray:
    """Units per base row: supply, then demand, then stock."""
    return np.concatenate([tables.s_qty, tables.d_qty, tables.i_qty]).astype(np.int64)


def _leftover_costs(tables: Tables) -> FloatArray:
    """Per base row, what a unit left where it costs on its arc to or from ``Z`` in
    :func:`_transport_flow` (never negative): a supply's disposal fee, or nothing where
    disposal earns money (the route's objective counts that); a demand's unmet cost; nothing
    for stock, which stays for free."""
    n_s, n_d = len(tables.s_ids), len(tables.d_ids)
    out = np.zeros(n_s + n_d + len(tables.i_ids))
    out[:n_s] = np.maximum(tables.mat_disposal[tables.s_mat], 0.0)
    out[n_s : n_s + n_d] = tables.mat_unmet[tables.d_mat]
    return out


def _priced_leftover_costs(model: _Model) -> FloatArray:
    """:func:`_leftover_costs` where ``model`` has prices: stock that stays pays the price of
    the room it holds on every priced day."""
    tables = model.tables
    out = _leftover_costs(tables)
    if model.prices is not None and len(tables.i_ids):
        held = np.array([float(price.sum()) for _, price in model.prices])
        out[len(tables.s_ids) + len(tables.d_ids) :] = (
            tables.mat_m3[tables.i_mat] * held[tables.i_depot]
        )
    return out


def _reserved_steps(
    tables: Tables, stock_m3: FloatArray, reserved_m3: Mapping[str, Sequence[tuple[date, float]]]
) -> list[tuple[IntArray, FloatArray]]:
    """Promised volume per depot as step functions of the day, clipped so that a day that is
    already full takes nothing new in (x = 0 must stay feasible)."""
    out = []
    for k, depot_id in enumerate(tables.k_ids):
        steps = sorted(reserved_m3.get(depot_id, ()))
        days = np.array([d.toordinal() for d, _ in steps], dtype=np.int64)
        room = max(float(tables.k_capacity_m3[k] - stock_m3[k]), 0.0)
        m3 = np.minimum(np.array([float(v) for _, v in steps], dtype=np.float64), room)
        out.append((days, np.maximum(m3, 0.0)))
    return out


def _build_model(
    tables: Tables,
    pool: RoutePool,
    pricer: DepotPricer | None,
    reserved_m3: Mapping[str, Sequence[tuple[date, float]]] | None = None,
    *,
    prune: bool = True,
) -> _Model:
    """The model of ``pool``; ``prune`` drops the routes that can never carry units."""
    obj = _route_obj(tables, pool)
    if prune:
        useful = (pool.kind == STOCK) | (obj < 0)
        if not useful.all():
            rows = np.nonzero(useful)[0]
            pool, obj = pool.take(rows), obj[rows]
    constant = float(
        (tables.mat_disposal[tables.s_mat] * tables.s_qty).sum()
        + (tables.mat_unmet[tables.d_mat] * tables.d_qty).sum()
    )
    n_k = len(tables.k_ids)
    stock_m3 = np.zeros(n_k)
    np.add.at(stock_m3, tables.i_depot, tables.mat_m3[tables.i_mat] * tables.i_qty)
    return _Model(
        tables=tables,
        pool=pool,
        obj=obj,
        constant=constant,
        cap_rhs=tables.k_capacity_m3 - stock_m3,
        stock_m3=stock_m3,
        n_base_rows=len(tables.s_ids) + len(tables.d_ids) + len(tables.i_ids),
        cap_days=[[] for _ in range(n_k)],
        cap_rows=[[] for _ in range(n_k)],
        pricer=pricer,
        reserved=_reserved_steps(tables, stock_m3, reserved_m3 or {}),
    )


_POOL_GROWTH = 1.25  # room for priced routes, as a multiple of the pool, when it runs out


def _extend_pool(model: _Model, new: RoutePool) -> IntArray:
    """Append priced depot routes to the pool; returns their pool indices.

    The pool's arrays (and ``obj``) are views of longer buffers, which grow by
    ``_POOL_GROWTH`` when full: copying the whole pool for every
    pricing took 3 s of the workers' time at 100k listings a side with 20 depots (2.4
    million routes in the largest family, some 60,000 added each time)."""
    obj = _route_obj(model.tables, new)
    first, n = len(model.pool), len(new)
    fields = list(RoutePool.__dataclass_fields__)
    now = [getattr(model.pool, f) for f in fields]
    now.append(model.obj)
    added = [getattr(new, f) for f in fields]
    added.append(obj)
    buffers = model.buffers
    if not buffers or buffers[0].size < first + n:
        size = int((first + n) * _POOL_GROWTH)
        buffers = [np.empty(size, a.dtype) for a in now]
        for buffer, a in zip(buffers, now, strict=True):
            buffer[:first] = a
        model.buffers = buffers
    views = []
    for buffer, a in zip(buffers, added, strict=True):
        buffer[first : first + n] = a
        views.append(buffer[: first + n])
    model.pool = RoutePool(*views[: len(fields)])
    model.obj = views[len(fields)]
    return np.arange(first, first + n, dtype=np.int64)


def _depot_day_duals(model: _Model, row_dual: FloatArray) -> list[tuple[IntArray, FloatArray]]:
    """Per depot: sorted days with a capacity row or a price, and prefix sums of their duals
    less their prices (a price is what a dual of -price would charge)."""
    out: list[tuple[IntArray, FloatArray]] = []
    for k, days in enumerate(model.cap_days):
        day_arr = np.asarray(days, dtype=np.int64)
        duals = row_dual[np.asarray(model.cap_rows[k], dtype=np.int64)] if days else np.empty(0)
        if model.prices is not None and model.prices[k][0].size:
            price_days, price = model.prices[k]
            day_arr = np.concatenate([day_arr, price_days])
            duals = np.concatenate([duals, -price])
        order = np.argsort(day_arr, kind="stable")
        out.append((day_arr[order], np.concatenate([[0.0], np.cumsum(duals[order])])))
    return out


def _column_costs(model: _Model, cols: IntArray) -> FloatArray:
    """The objective coefficients of routes ``cols`` in HiGHS: ``obj`` plus their prices."""
    if model.prices is None:
        return model.obj[cols]
    prefixes = [(days, np.concatenate([[0.0], np.cumsum(v)])) for days, v in model.prices]
    return route_costs(
        model.pool, model.tables.mat_m3, cols, model.obj, days=DayValues.of(prefixes)
    )


def _day_entries(
    model: _Model, cols: IntArray, days: Sequence[IntArray]
) -> tuple[IntArray, IntArray, FloatArray]:
    """Where routes ``cols`` hold volume among each depot's sorted ``days``: per entry, the
    route's position in ``cols``, the day's position among all the depots' days laid end to
    end, and the volume per unit: ``+m3`` on the days ``p <= day < q`` that a route through
    the depot holds it, ``-m3`` on the days ``>= q`` from which a stock route has freed it."""
    pool = model.pool
    pos_parts: list[IntArray] = []
    at_parts: list[IntArray] = []
    val_parts: list[FloatArray] = []
    first = 0  # the position of depot k's first day
    for k, on_days in enumerate(days):
        if on_days.size == 0:
            continue
        sel = np.nonzero(pool.depot[cols] == k)[0]
        r = cols[sel]
        is_stock = pool.kind[r] == STOCK
        lo = np.where(
            is_stock,
            np.searchsorted(on_days, pool.q[r], "left"),
            np.searchsorted(on_days, pool.p[r], "left"),
        )
        hi = np.where(is_stock, on_days.size, np.searchsorted(on_days, pool.q[r], "left"))
        counts = np.maximum(hi - lo, 0)
        owner = np.repeat(np.arange(sel.size), counts)
        offset = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
        pos_parts.append(sel[owner])
        at_parts.append(first + lo[owner] + offset)
        m3 = model.m3_of(r)
        val_parts.append(np.where(is_stock, -m3, m3)[owner])
        first += on_days.size
    if not pos_parts:
        z = np.empty(0, np.int64)
        return z, z, np.empty(0)
    return np.concatenate(pos_parts), np.concatenate(at_parts), np.concatenate(val_parts)


def _capacity_entries(model: _Model, cols: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Entries (column position, row, value) of routes ``cols`` in the existing depot-day rows."""
    days: list[IntArray] = []
    rows: list[IntArray] = []
    for k, on_days in enumerate(model.cap_days):
        day_arr = np.asarray(on_days, dtype=np.int64)
        order = np.argsort(day_arr)
        days.append(day_arr[order])
        rows.append(np.asarray(model.cap_rows[k], dtype=np.int64)[order])
    pos, at, val = _day_entries(model, cols, days)
    return pos, (np.concatenate(rows)[at] if rows else at), val


def _add_columns(h: highspy.Highs, model: _Model, cols: IntArray) -> None:
    """Add routes ``cols`` to the HiGHS model with their supply, demand and depot-day entries."""
    n = cols.size
    if n == 0:
        return
    cap_pos, cap_row, cap_val = _capacity_entries(model, cols)
    pos = np.concatenate([np.arange(n), np.arange(n), cap_pos])
    rows = np.concatenate([model.src_rows(cols), model.dem_rows(cols), cap_row])
    vals = np.concatenate([np.ones(2 * n), cap_val])
    order = np.lexsort((rows, pos))
    pos, rows, vals = pos[order], rows[order], vals[order]
    starts = np.searchsorted(pos, np.arange(n)).astype(np.int32)
    h.addCols(
        n,
        _column_costs(model, cols),
        np.zeros(n),
        np.full(n, _INF),
        int(rows.size),
        starts,
        rows.astype(np.int32),
        vals,
    )


def _occupancy(model: _Model, work: IntArray, x: FloatArray, k: int, days: IntArray) -> FloatArray:
    """Volume in depot ``k`` on each of ``days`` under the working solution ``x``."""
    pool = model.pool
    active = (x > _INT_TOL) & (pool.depot[work] == k)
    r, xv = work[active], x[active]
    vol = model.m3_of(r) * xv
    is_stock = pool.kind[r] == STOCK
    occ: FloatArray = np.asarray(model.stock_m3[k] + model.reserved_at(k, days), dtype=np.float64)

    def arrived_by(day_of: IntArray, v: FloatArray) -> FloatArray:
        """Sum of ``v`` over entries whose day is <= each of ``days``."""
        order = np.argsort(day_of, kind="stable")
        cum = np.concatenate([[0.0], np.cumsum(v[order])])
        return cum[np.searchsorted(day_of[order], days, "right")]

    through = ~is_stock
    occ += arrived_by(pool.p[r][through], vol[through])
    occ -= arrived_by(pool.q[r][through], vol[through])
    occ -= arrived_by(pool.q[r][is_stock], vol[is_stock])
    return occ


def _volume_held(model: _Model, routes: IntArray, units: FloatArray, grid: IntArray) -> FloatArray:
    """Volume per depot on each day of ``grid`` (sorted) with ``units`` on pool ``routes``:
    what :func:`_occupancy` gives depot by depot, for every depot at once.  Each route adds
    its volume from the first grid day on or after its arrival and, like stock, takes it out
    again from the first on or after its departure; one cumulative sum per depot follows.
    (100k listings a side with 20 depots: a family's columns were built depot by depot in
    1.7 ms each, 2.2 s of the workers' time.)"""
    pool, tables = model.pool, model.tables
    n_k, n_g = len(tables.k_ids), grid.size
    active = units > _INT_TOL
    r = routes[active]
    on_depot = pool.depot[r] >= 0
    r, vol = r[on_depot], (model.m3_of(r) * units[active])[on_depot]
    k = pool.depot[r]
    through = pool.kind[r] != STOCK
    # per depot and grid day (the last column: after the grid's last day), what changes
    # there, summed in the order np.add.at would (arrivals, then departures), so to the same
    # bits: bincount took a column of 30k routes of a family at 100k listings a side from
    # 3.6 to 2.0 ms
    k = k.astype(np.int64)
    at = np.concatenate(
        [
            k[through] * (n_g + 1) + np.searchsorted(grid, pool.p[r][through], "left"),
            k * (n_g + 1) + np.searchsorted(grid, pool.q[r], "left"),
        ]
    )
    weights = np.concatenate([vol[through], -vol])
    # (float even where nothing arrives: bincount counts in integers when it has no weights)
    change = np.bincount(at, weights, n_k * (n_g + 1)).astype(np.float64, copy=False)
    held = np.cumsum(change.reshape(n_k, n_g + 1)[:, :n_g], axis=1)
    for depot in range(n_k):
        held[depot] += model.stock_m3[depot] + model.reserved_at(depot, grid)
    return held


def _violated_days(model: _Model, work: IntArray, x: FloatArray) -> list[tuple[int, int]]:
    """Depot-day pairs whose volume exceeds capacity under ``x`` (and have no row yet)."""
    pool = model.pool
    found: list[tuple[int, int]] = []
    tables = model.tables
    for k in range(len(tables.k_ids)):
        active = (x > _INT_TOL) & (pool.depot[work] == k) & (pool.kind[work] == DEPOT)
        steps = model.reserved[k][0] if model.reserved else np.empty(0, np.int64)
        days = np.unique(np.concatenate([pool.p[work[active]], [tables.today], steps]))
        days = days[days >= tables.today]
        occ = _occupancy(model, work, x, k, days)
        over = days[occ > tables.k_capacity_m3[k] + _CAP_TOL * max(1.0, tables.k_capacity_m3[k])]
        have = set(model.cap_days[k])
        found.extend((k, int(t)) for t in over if int(t) not in have)
    return found


def _add_capacity_rows(
    h: highspy.Highs, model: _Model, work: IntArray, new: list[tuple[int, int]]
) -> None:
    """Add depot-day rows for ``new`` with the entries of every working-set route."""
    pool = model.pool
    first_row = h.getNumRow()
    lowers, uppers, starts, idx, vals = [], [], [], [], []
    nnz = 0
    for n, (k, t) in enumerate(new):
        on_k = pool.depot[work] == k
        r = work[on_k]
        cols = np.nonzero(on_k)[0]
        is_stock = pool.kind[r] == STOCK
        spans = np.where(is_stock, pool.q[r] <= t, (pool.p[r] <= t) & (t < pool.q[r]))
        c = cols[spans]
        m3 = model.m3_of(r[spans])
        v = np.where(is_stock[spans], -m3, m3)
        starts.append(nnz)
        idx.append(c)
        vals.append(v)
        nnz += c.size
        lowers.append(-_INF)
        uppers.append(model.cap_rhs[k] - float(model.reserved_at(k, np.array([t]))[0]))
        model.cap_days[k].append(t)
        model.cap_rows[k].append(first_row + n)
    h.addRows(
        len(new),
        np.asarray(lowers, dtype=np.float64),
        np.asarray(uppers, dtype=np.float64),
        nnz,
        np.asarray(starts, dtype=np.int32),
        np.concatenate(idx).astype(np.int32) if idx else np.empty(0, np.int32),
        np.concatenate(vals) if vals else np.empty(0),
    )


def _reduced_costs(
    model: _Model, row_dual: FloatArray, routes: IntArray | None = None
) -> FloatArray:
    """Reduced cost of the pool's ``routes`` (default: all) against the current duals, in
    one pass over the pool's arrays (:func:`matcher.pricing.route_costs`: numpy took 10.7 s
    of the workers' time over a run of 100k listings a side with 20 depots)."""
    n_s, n_d = len(model.tables.s_ids), len(model.tables.d_ids)
    return route_costs(
        model.pool,
        model.tables.mat_m3,
        routes,
        model.obj,
        row_dual,
        stock_offset=n_s + n_d,
        dem_offset=n_s,
        days=DayValues.of(_depot_day_duals(model, row_dual)),
        sign=-1.0,
    )


def _cheapest_per(group: IntArray, key: FloatArray, candidates: IntArray, n: int) -> IntArray:
    """Up to ``n`` candidates with the smallest ``key`` for each value of ``group`` (both given
    per candidate; ties go to the earlier candidate), in the order of their group, then key."""
    if candidates.size == 0:
        return candidates
    if candidates.size > _CHEAPEST_SORT_MAX:
        # sort only what could be chosen (100k x 20 depots: 19 s of the workers' time went to
        # sorting millions of improving routes by demand and reduced cost, for two each)
        keep = _among_nth_least(group, key, n)
        group, key, candidates = group[keep], key[keep], candidates[keep]
    order = np.lexsort((key, group))
    g = group[order]
    first = np.searchsorted(g, g, "left")
    rank = np.arange(g.size) - first
    return candidates[order][rank < n]


def _among_nth_least(group: IntArray, key: FloatArray, n: int) -> BoolArray:
    """Which entries' ``key`` is at most the ``n``-th least distinct key of their ``group``
    (every key of a group with fewer distinct ones): a superset of each group's ``n`` least,
    found by ``n`` passes of a per-group minimum, without sorting."""
    left = key.copy()
    least = np.empty(int(group.max()) + 1)
    for _ in range(n):
        least.fill(np.inf)
        np.minimum.at(least, group, left)
        left[left <= least[group]] = np.inf
    return key <= least[group]


_banner_shown = False


def _new_highs() -> highspy.Highs:
    global _banner_shown
    if not _banner_shown:
        # HiGHS prints a copyright banner on stdout at its first construction, before any option
        # can be set; keep it out of a command's output (stdout may carry the result JSON).
        _banner_shown = True
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    else:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    # One thread: HiGHS's concurrent parts may finish in a different order from run to run,
    # and the nightly run must propose the same matches twice on the same data.
    h.setOptionValue("threads", 1)
    return h


def _run(h: highspy.Highs) -> None:
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"HiGHS ended with {h.modelStatusToString(status)}")


@dataclass
class _Solution:
    x: IntArray  # whole units per pool route
    lower_bound: float  # of sum obj * x, without the constant
    proven: bool
    stats: dict[str, float | int | str]


class _Generation:
    """The HiGHS model of the relaxation on a working set of routes, grown by pricing."""

    def __init__(
        self, model: _Model, column_generation: bool, work: IntArray | None = None
    ) -> None:
        """``work``, where given, is the working set to start from (a family that changes
        worker, :meth:`_LocalFamilies.adopt`); else the cheapest routes per row."""
        self.model = model
        self.column_generation = column_generation
        self._highs = _new_highs()
        self._costs_stale = False  # whether the prices changed since HiGHS last had them
        tables, pool = model.tables, model.pool
        n_rows = model.n_base_rows
        self._highs.addRows(
            n_rows,
            np.full(n_rows, -_INF),
            _row_qty(tables).astype(np.float64),
            0,
            np.zeros(n_rows, np.int32),
            np.empty(0, np.int32),
            np.empty(0),
        )
        if work is None:
            all_routes = np.arange(len(pool), dtype=np.int64)
            work = (
                np.union1d(
                    _cheapest_per(pool.dem, model.obj, all_routes, _INIT_PER_DEMAND),
                    _cheapest_per(model.src_rows(), model.obj, all_routes, _INIT_PER_SUPPLY),
                )
                if column_generation
                else all_routes
            )
        self.work = work
        self.in_work = np.zeros(len(pool), bool)
        self.in_work[work] = True
        _add_columns(self._highs, model, work)
        self.network: _FlowNetwork | None = None  # LEMON's graph on ``work``, once solved
        self.shortfall = 0.0  # after pricing: how far below the working set's optimum lies
        self.stopped_short = False  # whether routes still entered when the last search ended
        self.priced = _Pricing(  # what the last pricing found
            np.empty(0, np.int64), np.empty(0), np.zeros(len(tables.d_ids)), None
        )
        self.rounds = 0
        self.lp_seconds = 0.0
        self.pricing_seconds = 0.0
        self.network_seconds = 0.0  # the last network simplex solve's (:func:`_network_solve`)

    @property
    def h(self) -> highspy.Highs:
        """The HiGHS model, its working columns costed at the model's prices.

        Prices change every round while the network simplex, not HiGHS, solves the family
        (:func:`_network_solve`), so HiGHS gets the new costs only when it is asked for (100k
        x 20 depots: 2.8 s of the workers' time went into handing HiGHS costs it never used)."""
        if self._costs_stale:
            work = self.work
            cols = np.arange(work.size, dtype=np.int32)
            self._highs.changeColsCost(work.size, cols, _column_costs(self.model, work))
            self._costs_stale = False
        return self._highs

    def prices_changed(self) -> None:
        """The model's prices changed: HiGHS's costs are brought up to date when next used."""
        self._costs_stale = True

    def solve(self, progress: Progress | None) -> tuple[FloatArray, FloatArray]:
        """Re-solve and price until no route improves and no depot day is overfilled.

        Returns the working set's values and the row duals.
        """
        model, h = self.model, self.h
        while True:
            self.rounds += 1
            t0 = time.perf_counter()
            if self.work.size == 0:  # nothing can be sent anywhere: every unit stays put
                x, row_dual = np.empty(0), np.zeros(h.getNumRow())
            else:
                _run(h)
                sol = h.getSolution()
                x, row_dual = np.asarray(sol.col_value), np.asarray(sol.row_dual)
            self.lp_seconds += time.perf_counter() - t0
            t0 = time.perf_counter()
            new_rows = _violated_days(model, self.work, x)
            if new_rows:
                # A round that adds depot-day rows adds no routes: rows alone leave the basis
                # dual feasible and routes alone primal feasible, so either re-solve goes on
                # from it, while both at once leave it neither, and that re-solve cost most.
                _add_capacity_rows(h, model, self.work, new_rows)
                self.pricing_seconds += time.perf_counter() - t0
                self._report(progress, x, f"{len(new_rows)} depot-day rows added")
                continue
            entering, n_improving = self.entering(row_dual, _RC_TOL)
            self.pricing_seconds += time.perf_counter() - t0
            self._report(progress, x, f"{n_improving:,} improving routes")
            if entering.size == 0:
                return x, row_dual
            self.admit(entering)

    def entering(self, row_dual: FloatArray, tol: float) -> tuple[IntArray, int]:
        """The routes that enter the working set against ``row_dual``: up to
        ``_ENTER_PER_ROW`` per supply and per demand of those whose reduced cost is below
        ``-tol``, depot routes priced by the pricer included (they join the pool); and how
        many routes improve."""
        model = self.model
        tables = model.tables
        rc = _reduced_costs(model, row_dual)
        rc[self.in_work] = 0.0
        improving = np.nonzero(rc < -tol)[0]
        listed = improving  # the pool's routes, every one of which was priced
        transfer_floor = np.zeros(len(tables.d_ids))
        duals: _PricerDuals | None = None
        if model.pricer is not None and self.column_generation:
            n_s = len(tables.s_ids)
            duals = (
                row_dual[:n_s],
                row_dual[n_s : n_s + len(tables.d_ids)],
                _depot_day_duals(model, row_dual),
                tol,
            )
            priced = model.pricer.price(*duals, transfer_floor)
            if len(priced):
                new_idx = _extend_pool(model, priced)
                self.in_work = np.concatenate([self.in_work, np.zeros(new_idx.size, bool)])
                rc = np.concatenate([rc, _reduced_costs(model, row_dual, new_idx)])
                improving = np.concatenate([improving, new_idx[rc[new_idx] < -tol]])
        improving_rc = rc[improving]  # (the rows of the improving routes only)
        entering = np.union1d(
            _cheapest_per(model.pool.dem[improving], improving_rc, improving, _ENTER_PER_ROW),
            _cheapest_per(model.src_rows(improving), improving_rc, improving, _ENTER_PER_ROW),
        )
        self.priced = _Pricing(listed, rc[listed], transfer_floor, duals)
        return entering, int(improving.size)

    def improvement_bound(self) -> float:
        """How far (<= 0) below the working set's optimum the optimum over every route can
        lie, by what the last pricing (:meth:`entering`) found: :func:`_improvement_bound`
        on the improving routes of the pool, every storage route through a depot that the
        pool does not list (the pricer's groups, each a chain of days), and for each demand
        the best transfer through a depot that the pricer found."""
        model, priced = self.model, self.priced
        chains: list[tuple[DepotGroup, FloatArray, FloatArray]] = []
        if model.pricer is not None and priced.duals is not None:
            chains = model.pricer.storage(*priced.duals)
        return _improvement_bound(model, priced.listed, priced.rc, chains, priced.transfer_floor)

    def admit(self, entering: IntArray) -> None:
        """Add routes ``entering`` to the working set and to the HiGHS model (at the
        model's prices, whether or not the other columns have them yet)."""
        _add_columns(self._highs, self.model, entering)
        self.work = np.concatenate([self.work, entering])
        self.in_work[entering] = True

    def _report(self, progress: Progress | None, x: FloatArray, news: str) -> None:
        if progress:
            model = self.model
            value = float(model.obj[self.work] @ x) + model.constant if x.size else model.constant
            progress(
                f"round {self.rounds}: LP {value:,.2f} EUR, {self.work.size:,} routes in play,"
                f" {news}"
            )


# what the depot pricer prices by: supply and demand duals, depot-day duals, tolerance
_PricerDuals = tuple[FloatArray, FloatArray, list[tuple[IntArray, FloatArray]], float]


@dataclass
class _Pricing:
    """What a pricing of a family's working set found (see :meth:`_Generation.entering`)."""

    listed: IntArray  # the pool's routes outside the working set that improve
    rc: FloatArray  # their reduced costs
    transfer_floor: FloatArray  # per demand: the best reduced cost (<= 0) of a transfer
    duals: _PricerDuals | None  # what the depot pricer priced by (None: no pricer)


def _improvement_bound(
    model: _Model,
    routes: IntArray,
    rc: FloatArray,
    chains: Sequence[tuple[DepotGroup, FloatArray, FloatArray]] = (),
    transfer_floor: FloatArray | None = None,
) -> float:
    """At most how much (<= 0) the routes outside a family's working set can lower its
    optimum: ``min rc . x`` over ``routes`` (the pool's improving routes, reduced costs
    ``rc``), the storage routes of ``chains`` and the transfers, with each supply and stock
    item sending, and each demand receiving, at most its quantity.

    With the working set's row duals ``y <= 0`` (those ``rc`` go by), any solution ``x`` over
    every route costs ``c . x = rc . x + y . A x >= rc . x + y . qty``, and ``y . qty`` is the
    working set's optimum; routes with ``rc >= 0`` only raise it.  The storage routes that
    the pool does not list are there implicitly: per group of the pricer (one depot, one
    material and condition), a chain of nodes, one per last available day of its supplies:
    a supply enters on its day at ``a``, units move on to later days at no cost, and a demand
    takes them at ``b`` from the last day before its first (:meth:`DepotPricer.storage`), so
    every path is a storage route at its reduced cost ``a + b``.  Transfers are known only
    by the best per demand (``transfer_floor``), so each demand may take all it needs at
    that, whatever the supplies hold: every other route into it then saves only what it
    does better.  The best reduced cost per demand times its quantity, the bound this
    replaced, counts a supply's units once for every demand they could reach (100k listings
    a side with 20 depots, after 10 and 21 price rounds: 5.6 million and 117,000 EUR; with
    the storage routes known only by the best per demand too, 4.8 million and 73,000; this
    way 263,000 and 41,000, and the bound after 21 rounds, 29.377 million EUR, was close
    enough to end the pricing, where before it took 3 rounds more).

    A min-cost flow (:class:`~matcher.netsimplex.GrowingNetwork`, solved from nothing; LEMON
    through ``pylmcf`` found the same optima in 9.9 s over the 240 bounds of 100k listings a
    side with 20 depots, seed 4, this in 5.3 s) over the rows that have an arc: what a supply
    does not send goes to a node ``Z``, what a demand does not receive comes from it, and each
    row's arcs, its arc to or from ``Z`` included, cost as much more as its cheapest arc lies
    below zero, so that no cost is negative and a flow costs ``rc . x`` plus a constant.  (One
    lift for every sender and one for every receiver, with every row in the network, left the
    network simplex a degenerate problem: 8.2 s over the 95 bounds of 100k listings a side
    with 20 depots, against 0.7 s this way.)  Costs are rounded to whole units of
    ``1 / scale``, which moves a flow's cost by at most half of one per unit, per row (moving
    units along a chain costs nothing)."""
    tables = model.tables
    n_s, n_d, n_rows = len(tables.s_ids), len(tables.d_ids), model.n_base_rows
    qty = _row_qty(tables)
    floor = np.zeros(n_rows)  # per demand row
    if transfer_floor is not None:
        floor[n_s : n_s + n_d] = np.minimum(transfer_floor, 0.0)
    z = n_rows
    nodes = n_rows + 1
    # arcs that leave a supply row, arcs that enter a demand row, and arcs between chain nodes
    out_s, out_t, out_c = [model.src_rows(routes)], [model.dem_rows(routes)], [rc]
    into_s, into_t, into_c = [np.empty(0, np.int64)], [np.empty(0, np.int64)], [np.empty(0)]
    chain_s, chain_t = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for group, a, b in chains:
        days, day_of = np.unique(group.b_sorted, return_inverse=True)
        node_of = np.searchsorted(days, tables.d_a[group.d], "left") - 1  # last day before
        reach = node_of >= 0
        d, node_of, b = group.d[reach], node_of[reach], b[reach] - floor[n_s + group.d[reach]]
        # only a supply with a demand after it that it saves with, and the other way round,
        # can lower the bound: the others' arcs would only make the flow longer to find
        entry = np.full(days.size, np.inf)
        np.minimum.at(entry, day_of, a)
        exit_ = np.full(days.size, np.inf)
        np.minimum.at(exit_, node_of, b)
        later = np.minimum.accumulate(exit_[::-1])[::-1]  # the best exit on or after each day
        sends = a + later[day_of] < 0
        takes = b + np.minimum.accumulate(entry)[node_of] < 0
        if not sends.any():
            continue
        # the days kept: those with an entry or an exit kept, in order
        kept = np.unique(np.concatenate([day_of[sends], node_of[takes]]))
        out_s.append(group.s_by_b[sends])
        out_t.append(nodes + np.searchsorted(kept, day_of[sends]))
        out_c.append(a[sends])
        into_s.append(nodes + np.searchsorted(kept, node_of[takes]))
        into_t.append(n_s + d[takes])
        into_c.append(b[takes])
        chain_s.append(nodes + np.arange(kept.size - 1))
        chain_t.append(nodes + np.arange(1, kept.size))
        nodes += kept.size
    starts_out, ends_out = np.concatenate(out_s), np.concatenate(out_t)
    starts_in, ends_in = np.concatenate(into_s), np.concatenate(into_t)
    # a demand's best transfer comes off every route into it (on the chains' exits: above)
    cost_out = np.concatenate(out_c)
    cost_out[: routes.size] -= floor[model.dem_rows(routes)]
    cost_in = np.concatenate(into_c)
    if starts_out.size == 0:  # nothing but the transfers
        return min(float(qty @ floor), 0.0)
    # per row: how far below zero its cheapest arc out (a sender) or in (a receiver) goes;
    # its arcs, and its arc to or from Z, cost that much more, so that none is negative
    lift = np.zeros(n_rows)
    np.minimum.at(lift, starts_out, cost_out)
    np.minimum.at(lift, ends_in, cost_in)
    lift = -lift
    cost_out += lift[starts_out]
    cost_out[: routes.size] += lift[ends_out[: routes.size]]  # a pool route enters a demand
    cost_in += lift[ends_in]
    # only the rows with an arc besides Z's take part: the others send all to Z, or take all
    # from it, at no cost
    senders = np.unique(starts_out)
    receivers = np.unique(np.concatenate([ends_out[: routes.size], ends_in]))
    chain_from, chain_to = np.concatenate(chain_s), np.concatenate(chain_t)
    starts = np.concatenate([starts_out, starts_in, chain_from])
    ends = np.concatenate([ends_out, ends_in, chain_to])
    touched = int(qty[senders].sum() + qty[receivers].sum())
    node_ids, compact = np.unique(np.concatenate([starts, ends, [z]]), return_inverse=True)
    hub = int(np.searchsorted(node_ids, z))
    supply = np.zeros(node_ids.size, np.int64)
    supply[np.searchsorted(node_ids, senders)] = qty[senders]
    supply[np.searchsorted(node_ids, receivers)] = -qty[receivers]
    supply[hub] = -int(supply.sum())
    # the network's first tree: u -> Z from each sender and Z -> v to each receiver, at their
    # lifts, and an arc from Z to each chain node that can carry nothing
    others = np.delete(np.arange(node_ids.size), hub)
    row = node_ids[others]
    sends = np.isin(row, senders)
    hub_euros = np.where(row < z, lift[np.minimum(row, z - 1)], 0.0)  # (chain nodes: above Z)
    euros = np.concatenate([hub_euros, cost_out, cost_in, np.zeros(chain_from.size)])
    scale = _network_scale(euros, touched)
    capacity = max(touched, 1)
    graph = GrowingNetwork(
        supply,
        hub,
        np.where(sends, others, hub),
        np.where(sends, hub, others),
        np.where(row > z, 0, capacity),
    )
    graph.add_arcs(compact[: starts.size], compact[starts.size : 2 * starts.size], capacity)
    graph.set_costs(np.maximum(np.round(euros * scale), 0).astype(np.int64))
    graph.solve(_BOUND_PIVOT_RULE, cold=True)
    rounded = graph.total_cost()  # in whole 1 / scale euros
    value = rounded / scale - float(lift @ qty) - touched / 2 / scale
    return min(value + float(qty @ floor), 0.0)


def _solve_lp(model: _Model, progress: Progress | None, column_generation: bool) -> _Solution:
    """Column and row generation on the relaxation, then whole units.

    With column generation, the network simplex first finds the optimum without depot-day
    rows (:func:`_network_generation`, as each family does on the family path), and HiGHS
    goes on from its tree in exact costs, adding the depot-day rows and the routes that still
    improve: the proof is HiGHS's either way.  (10k listings a side with 20 depots, seed 9:
    the relaxation took 2.36 s in HiGHS from the cheapest routes, and 0.15 + 0.91 s so.)"""
    gen = _Generation(model, column_generation)
    if column_generation and gen.work.size:
        found = _network_generation(gen)
        _start_highs_from(gen, found)
        if progress:
            progress(
                f"network simplex without depot capacity: {gen.rounds} rounds,"
                f" {gen.work.size:,} routes in play"
            )
    x, row_dual = gen.solve(progress)
    return _whole_solution(gen, x, row_dual, progress)


def _whole_solution(
    gen: _Generation,
    x: FloatArray,
    row_dual: FloatArray | None,
    progress: Progress | None,
    close_enough: float | None = None,
    gap_eur: float = 0.0,
) -> _Solution:
    """Whole units from the relaxation's optimum ``x`` (with its duals; None where ``x`` is
    the optimum of other costs than the model's, so that nothing is proven) on ``gen``'s
    model; ``close_enough`` and ``gap_eur`` as in :func:`_whole_units` (default
    ``_ROUNDING_CLOSE_ENOUGH``)."""
    model = gen.model
    lp_value = float(model.obj[gen.work] @ x) if gen.work.size else 0.0
    stats: dict[str, float | int | str] = {
        "lp_rounds": gen.rounds,
        "lp_seconds": gen.lp_seconds,
        "pricing_seconds": gen.pricing_seconds,
        "routes_in_play": int(gen.work.size),
        "depot_day_rows": sum(len(d) for d in model.cap_days),
        "relaxation_eur": lp_value + model.constant,
    }
    x_int = np.round(x).astype(np.int64)
    lower, proven = lp_value, row_dual is not None
    work = gen.work
    if np.abs(x - np.round(x)).max(initial=0.0) > _INT_TOL:
        if close_enough is None:
            close_enough = _ROUNDING_CLOSE_ENOUGH
        work, x_int, lower, proven = _whole_units(
            gen, x, row_dual, lp_value, progress, stats, close_enough, gap_eur
        )
    x_full = np.zeros(len(model.pool), np.int64)
    x_full[work] = np.maximum(x_int, 0)
    return _Solution(x=x_full, lower_bound=lower, proven=proven, stats=stats)


def _branch_and_bound(
    h: highspy.Highs, model: _Model, work: IntArray, start: FloatArray, rel_gap: float
) -> FloatArray:
    """Run HiGHS's MIP on the working set, adding depot-day rows until no day is overfilled.

    The node limit, not a clock, bounds the search, so the same instance gives the same answer
    on a busy machine and an idle one (the nightly run must propose the same matches twice).
    """
    h.setOptionValue("mip_rel_gap", rel_gap)
    h.setOptionValue("mip_max_nodes", _MIP_MAX_NODES)
    h.setOptionValue("time_limit", _MIP_TIME_LIMIT_S)
    _add_capacity_rows(h, model, work, _every_entry_day_of_binding_depots(model, work))
    while True:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
        h.run()
        value = np.round(np.asarray(h.getSolution().col_value))
        if not _reports_its_solution(h, value):
            # HiGHS 1.16 may report the optimum of a search that its presolve settled while
            # handing back the start it was given (on a 27-route instance: -3.0 reported,
            # the start's -2.5 returned, whose depot days all fit the rows so far); from
            # scratch it returns the solution it reports
            h.clearSolver()
            h.run()
            value = np.round(np.asarray(h.getSolution().col_value))
        status = h.getModelStatus()
        if h.getInfo().primal_solution_status == 0 and status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(
                f"branch and bound found no solution ({h.modelStatusToString(status)})"
            )
        new_rows = _violated_days(model, work, value)
        if not new_rows:
            return value
        _add_capacity_rows(h, model, work, new_rows)
        start = value


def _reports_its_solution(h: highspy.Highs, value: FloatArray) -> bool:
    """Whether HiGHS's reported objective is that of ``value``, its solution made whole."""
    if h.getInfo().primal_solution_status == 0:
        return True  # nothing to compare
    lp = h.getLp()
    reported = float(h.getInfo().objective_function_value)
    cost = float(np.asarray(lp.col_cost_) @ value) + float(lp.offset_)
    return abs(cost - reported) <= 1e-6 * max(1.0, abs(reported))


def _every_entry_day_of_binding_depots(model: _Model, work: IntArray) -> list[tuple[int, int]]:
    """Depot-day rows not yet present for every pick-up day at a depot that already has one.

    Adding them before branch and bound saves re-running it each time a whole-unit solution
    overfills another day of a depot whose capacity binds.
    """
    pool = model.pool
    out: list[tuple[int, int]] = []
    for k, days in enumerate(model.cap_days):
        if not days:
            continue
        on_k = (pool.depot[work] == k) & (pool.kind[work] == DEPOT)
        stored = work[on_k][pool.q[work[on_k]] > pool.p[work[on_k]]]
        have = set(days)
        out.extend((k, int(t)) for t in np.unique(pool.p[stored]) if int(t) not in have)
    return out


def _set_integer(h: highspy.Highs, first: int, n: int) -> None:
    h.changeColsIntegrality(
        n, np.arange(first, first + n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
    )


def _resolve(gen: _Generation) -> bool:
    """Re-run HiGHS on the working set after a bound change; False when infeasible."""
    gen.h.run()
    status = gen.h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return False
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"HiGHS ended with {gen.h.modelStatusToString(status)}")
    return True


def _floored(gen: _Generation, x: FloatArray) -> FloatArray | None:
    """Whole units from the relaxation's ``x``: each route through a depot keeps the whole part
    of its units, and one more solve moves the direct and stock routes.  Fewer units through a
    depot only free space, so the depot-day rows still hold, and with the depot routes fixed
    what is left is a transportation problem, whose optimum is whole, unless stock that leaves
    early to make room splits units: then :func:`_dive` rounds the few routes that split, with
    the depot routes still fixed.  The relaxation splits units on at most one route per binding
    depot-day row, so this gives up little on each of them.  None where no whole solution was
    found that way; the model's bounds are as before either way."""
    model, h = gen.model, gen.h
    work = gen.work
    n = work.size
    cols = np.arange(n, dtype=np.int32)
    supply_depot = model.pool.kind[work] == DEPOT
    fixed = np.floor(x + _INT_TOL)
    h.changeColsBounds(
        n, cols, np.where(supply_depot, fixed, 0.0), np.where(supply_depot, fixed, _INF)
    )
    whole = None
    if _resolve(gen):
        whole = _dive(gen, np.asarray(h.getSolution().col_value), give_up=True)
    h.changeColsBounds(n, cols, np.zeros(n), np.full(n, _INF))
    return whole


def _dive(gen: _Generation, x: FloatArray, give_up: bool = False) -> FloatArray | None:
    """Round the routes the relaxation splits to whole units and re-optimise the rest, until
    every route carries whole units.

    Each step fixes the split routes at their nearest whole number and lets the relaxation
    move the other routes to make room or fill the gap, so the cascade ends on routes whose
    units are small.  Where that leaves no feasible solution, the step only caps the split
    routes at their whole part; where even that fails (earlier fixings left no room), every
    earlier fixing is released to a cap.  Caps alone are always feasible: a supply route
    carrying fewer units only frees depot space, and with no supply routes the stock, which
    fits on today, can only leave.  Before each step, depot days that ``x`` overfills without
    a row yet get one (stock that stays longer than in the relaxation may overfill them).  With
    ``give_up``, where routes that the caller fixed leave no such way out, this returns None
    instead of raising.
    """
    model, h = gen.model, gen.h
    work = gen.work
    n = work.size
    lower, upper = np.zeros(n), np.full(n, _INF)
    while True:
        new_rows = _violated_days(model, work, x)
        while new_rows:
            _add_capacity_rows(h, model, work, new_rows)
            if not _resolve(gen):
                if give_up:
                    return None
                raise SolverError("a depot-day row made the rounded model infeasible")
            x = np.asarray(h.getSolution().col_value)
            new_rows = _violated_days(model, work, x)
        split = np.nonzero(np.abs(x - np.round(x)) > _INT_TOL)[0]
        if split.size == 0:
            return np.round(x)
        idx = split.astype(np.int32)
        nearest = np.round(x[split])
        lower[split], upper[split] = nearest, nearest
        h.changeColsBounds(idx.size, idx, lower[split], upper[split])
        if not _resolve(gen):
            lower[split], upper[split] = 0.0, np.floor(x[split] + _INT_TOL)
            h.changeColsBounds(idx.size, idx, lower[split], upper[split])
            if not _resolve(gen):
                fixed = np.nonzero(lower > 0)[0]
                upper[fixed] = np.minimum(upper[fixed], lower[fixed])
                lower[fixed] = 0.0
                h.changeColsBounds(fixed.size, fixed.astype(np.int32), lower[fixed], upper[fixed])
                if not _resolve(gen):
                    if give_up:
                        return None
                    raise SolverError("rounding lost feasibility; capped routes should not")
        x = np.asarray(h.getSolution().col_value)


def _rens(
    gen: _Generation, x: FloatArray, gap_eur: float = 0.0, exact: bool = True
) -> FloatArray | None:
    """Whole units by a small branch and bound around the relaxation (RENS).

    Depot and stock routes the relaxation sends whole units along keep them; each split one may
    take the whole number just below or just above; direct routes stay continuous.  HiGHS
    searches a model of the routes still to decide only (:func:`_highs_of_columns`): the
    others hold their units, and each row's room is less what they take of it.  (10k listings
    a side with 20 depots, seed 9: over all 71k working routes, 641k entries, HiGHS's presolve
    spent 0.48 s removing the 37k settled ones.  This search, with the changes below, took
    1.0 s against 2.4 s; seeds 2 and 10, 0.7 s against 1.6 s; the same solutions.)  The
    search stops within ``_MIP_REL_GAP`` of its bound, or within ``gap_eur`` euros of it.

    Once the depot routes carry whole units, what is left is a transportation problem, whose
    basic solutions are whole.  Where the search's solution is not whole already, one more
    solve of that relaxation makes every route whole: HiGHS's, in exact costs, or, where not
    ``exact``, LEMON's network simplex on the direct routes (costs rounded to 0.1 micro-euro;
    the largest family solved again within its room at 100k x 20 depots: 2.9 s in HiGHS, its
    basis after branch and bound being far off).  Without ``exact`` that solve always runs,
    since a search that stops ``gap_eur`` early may leave the direct routes short of their
    best.  ``gen``'s HiGHS model gains depot-day rows, and keeps its bounds.
    Returns None when no whole-unit solution lies in that neighbourhood.
    """
    model, h = gen.model, gen.h
    work = gen.work
    via_depot = model.pool.kind[work] != DIRECT
    _add_capacity_rows(h, model, work, _every_entry_day_of_binding_depots(model, work))
    lower: FloatArray = np.where(via_depot, np.floor(x + _INT_TOL), 0.0)
    upper: FloatArray = np.where(via_depot, np.ceil(x - _INT_TOL), _INF)
    # and a row for every day that the fullest solution around the relaxation overfills (each
    # split route through a depot rounded up, each split stock route down): no solution the
    # search can find then overfills a day without a row, so it runs once (family 31 at 100k:
    # one day of a depot without rows was overfilled, and the search ran again, 12.6 s)
    fullest = np.where(model.pool.kind[work] == STOCK, lower, np.where(via_depot, upper, 0.0))
    _add_capacity_rows(h, model, work, _violated_days(model, work, fullest))
    free = np.nonzero(lower < upper)[0]  # the direct routes and the split ones
    split = np.nonzero(via_depot[free])[0].astype(np.int32)  # among ``free``
    while True:
        search = _highs_of_columns(h, free, lower, upper)
        search.changeColsIntegrality(
            split.size, split, np.full(split.size, highspy.HighsVarType.kInteger)
        )
        search.setOptionValue("mip_rel_gap", _MIP_REL_GAP)
        search.setOptionValue("mip_abs_gap", max(gap_eur, _MIP_ABS_GAP))
        search.setOptionValue("mip_max_nodes", _MIP_MAX_NODES)
        search.setOptionValue("time_limit", _MIP_TIME_LIMIT_S)
        # HiGHS's feasibility jump finds a first solution far from the optimum, which its own
        # RINS then finds from the relaxation anyway (10k x 20 depots, seed 9: the search
        # took 1.46 s with it, 0.4 s of it jumping, and 0.94 s without; seeds 2, 9 and 10
        # found the same solutions)
        search.setOptionValue("mip_heuristic_run_feasibility_jump", False)
        search.run()
        if search.getInfo().primal_solution_status == 0:
            return None
        value = lower.copy()
        value[free] = np.asarray(search.getSolution().col_value)
        new_rows = _violated_days(model, work, np.round(value))
        if not new_rows:
            break
        _add_capacity_rows(h, model, work, new_rows)
    fixed = np.where(via_depot, np.round(value), 0.0)
    if not exact:
        return fixed + _send_directly(model, work, fixed, ~via_depot)
    if np.abs(value - np.round(value)).max(initial=0.0) <= _INT_TOL:
        # the search's own solution is whole already, within ``_MIP_REL_GAP`` of its bound,
        # which the solve below could not go under (10k x 20 depots, seeds 2, 9, 10: 0.3 s
        # each, for the same cost)
        return np.round(value)
    units = fixed[free][split]
    search.changeColsIntegrality(
        split.size, split, np.full(split.size, highspy.HighsVarType.kContinuous)
    )
    search.changeColsBounds(split.size, split, units, units)
    _run(search)
    fixed[free] = np.asarray(search.getSolution().col_value)
    return fixed


def _highs_of_columns(
    h: highspy.Highs, keep: IntArray, lower: FloatArray, upper: FloatArray
) -> highspy.Highs:
    """A new HiGHS model with ``h``'s rows and costs but only its columns ``keep``, each
    between its ``lower`` and ``upper`` (given per column of ``h``); every other column is
    held at its ``lower`` (its ``upper`` too), and each row's bounds are less what those
    columns take of it."""
    from scipy.sparse import csc_matrix, csr_matrix

    lp = h.getLp()
    a, shape = lp.a_matrix_, (lp.num_row_, lp.num_col_)
    entries = (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_))
    if a.format_ == highspy.MatrixFormat.kRowwise:
        matrix = csr_matrix(entries, shape=shape).tocsc()
    else:
        matrix = csc_matrix(entries, shape=shape)
    held = np.ones(shape[1], bool)
    held[keep] = False
    taken = matrix[:, held] @ lower[held]
    part = matrix[:, keep]
    out = _new_highs()
    out.addRows(
        shape[0],
        np.asarray(lp.row_lower_) - taken,
        np.asarray(lp.row_upper_) - taken,
        0,
        np.zeros(shape[0], np.int32),
        np.empty(0, np.int32),
        np.empty(0),
    )
    out.addCols(
        keep.size,
        np.asarray(lp.col_cost_)[keep],
        lower[keep],
        upper[keep],
        part.nnz,
        part.indptr[:-1].astype(np.int32),
        part.indices.astype(np.int32),
        part.data,
    )
    return out


def _send_directly(model: _Model, work: IntArray, x: FloatArray, direct: BoolArray) -> FloatArray:
    """Units per working route (``direct`` ones only) that send what ``x`` leaves unsent and
    unmet at least cost, by LEMON's network simplex (:func:`_transport_flow`)."""
    routes = work[direct]
    out = np.zeros(work.size)
    if routes.size:
        left = _left_per_row(model, work, x)
        flow = _transport_flow(
            model, routes, model.obj[routes], left, _leftover_costs(model.tables)
        )
        out[direct] = flow.flow[: routes.size]
    return out


def _left_per_row(model: _Model, routes: IntArray, units: npt.ArrayLike) -> IntArray:
    """Per base row, the units that ``units`` (whole, one per route of ``routes``) leave
    unsent (supply and stock) or unmet (demand)."""
    n_rows = model.n_base_rows
    left = _row_qty(model.tables)
    left -= np.bincount(model.src_rows(routes), units, n_rows).astype(np.int64)
    left -= np.bincount(model.dem_rows(routes), units, n_rows).astype(np.int64)
    return left


def _whole_units(
    gen: _Generation,
    x: FloatArray,
    row_dual: FloatArray | None,
    lp_value: float,
    progress: Progress | None,
    stats: dict[str, float | int | str],
    close_enough: float,
    gap_eur: float = 0.0,
) -> tuple[IntArray, IntArray, float, bool]:
    """Whole units where depot capacity splits them.

    An incumbent comes from :func:`_floored` where that is within ``close_enough`` (a fraction)
    of the relaxation (the search around the relaxation could improve it by less than that), else
    from :func:`_rens` and :func:`_dive`.  Where the routes are listed and the model is small,
    branch and bound then closes the gap with reduced-cost fixing: a route whose reduced cost at
    the relaxation's optimum exceeds (incumbent - relaxation) can carry no unit in any better
    solution (each unit on it raises the objective above the bound by its reduced cost), so
    branch and bound over the working set plus the remaining routes searches the whole pool,
    and its dual bound is a valid lower bound.  Otherwise the relaxation's value is the bound;
    without ``row_dual`` (``x`` optimal for other costs) the incumbent is all there is, and
    the search may stop ``gap_eur`` euros above its bound.
    """
    model, h = gen.model, gen.h
    t0 = time.perf_counter()
    # (before the search adds depot-day rows, which ``row_dual`` has no duals for)
    rc = None if row_dual is None else _reduced_costs(model, row_dual)
    if progress:
        progress(f"depot capacity splits units: rounding {gen.work.size:,} routes")
    work = gen.work
    incumbent = _floored(gen, x)
    close = close_enough * max(abs(lp_value + model.constant), 1.0)
    if incumbent is None or float(model.obj[work] @ incumbent) - lp_value > close:
        proving = rc is not None
        around = _rens(gen, x, 0.0 if proving else gap_eur, exact=proving)
        incumbent = _dive(gen, x if around is None else around)
        assert incumbent is not None  # without give_up, _dive raises instead
        stats.update(rounding="search")
    else:
        stats.update(rounding="floor")
    upper = float(model.obj[work] @ incumbent)
    stats.update(dive_seconds=time.perf_counter() - t0)
    if rc is None:
        return work, incumbent.astype(np.int64), lp_value, False
    slack = upper - lp_value
    tolerance = _PROOF_TOL_EUR
    extra = np.nonzero(~gen.in_work[: rc.size] & (rc <= slack + _RC_TOL))[0]
    if (
        slack <= tolerance
        or model.pricer is not None
        or work.size + extra.size > _BRANCH_AND_BOUND_MAX_ROUTES
    ):
        # Depot routes that are priced, not listed, cannot be listed by reduced cost either.
        return work, incumbent.astype(np.int64), lp_value, slack <= tolerance
    if progress:
        progress(f"branch and bound over {work.size + extra.size:,} routes")
    h.changeColsBounds(
        work.size,
        np.arange(work.size, dtype=np.int32),
        np.zeros(work.size),
        np.full(work.size, _INF),
    )
    _add_columns(h, model, extra)
    work = np.concatenate([work, extra])
    _set_integer(h, 0, work.size)
    start = np.concatenate([incumbent, np.zeros(extra.size)])
    value = _branch_and_bound(h, model, work, start, _MIP_REL_GAP)
    x_int = value.astype(np.int64)
    int_value = float(model.obj[work] @ x_int)
    if int_value > upper:  # branch and bound stopped early on a worse solution
        x_int = start.astype(np.int64)
        int_value = upper
    status = h.getModelStatus()
    bound = lp_value
    if status == highspy.HighsModelStatus.kOptimal:
        bound = max(lp_value, min(float(h.getInfo().mip_dual_bound), int_value))
    stats.update(
        mip_seconds=time.perf_counter() - t0 - float(stats["dive_seconds"]),
        mip_status=h.modelStatusToString(status),
        mip_extra_routes=int(extra.size),
    )
    return work, x_int, bound, int_value <= bound + tolerance


def _solve_networkx(model: _Model) -> _Solution:
    """Min-cost flow with networkx on integer cents; depot-free instances only."""
    import networkx as nx

    tables, pool = model.tables, model.pool
    if np.any(pool.kind == DEPOT) or np.any(pool.kind == STOCK):
        raise ValueError("method='networkx' solves depot-free instances only")
    g = nx.DiGraph()
    total = int(tables.s_qty.sum())
    g.add_node("source", demand=-total)
    g.add_node("sink", demand=total)
    for s, qty in enumerate(tables.s_qty):
        g.add_edge("source", ("s", s), capacity=int(qty), weight=0)
        g.add_edge(
            ("s", s), "sink", capacity=int(qty), weight=0
        )  # leftover: disposal (in constant)
    for d, qty in enumerate(tables.d_qty):
        g.add_edge(("d", d), "sink", capacity=int(qty), weight=0)
    weights = np.round(model.obj * 100).astype(np.int64)
    for r in range(len(pool)):
        g.add_edge(
            ("s", int(pool.src[r])), ("d", int(pool.dem[r])), weight=int(weights[r]), route=r
        )
    flow = nx.network_simplex(g)[1]
    x = np.zeros(len(pool), np.int64)
    for r in range(len(pool)):
        x[r] = flow[("s", int(pool.src[r]))].get(("d", int(pool.dem[r])), 0)
    return _Solution(x=x, lower_bound=float(model.obj @ x), proven=True, stats={})


def _result(model: _Model, solution: _Solution, stats: dict[str, object]) -> MatchResult:
    tables, pool = model.tables, model.pool
    cost = tables.instance.cost
    chosen = np.nonzero(solution.x > 0)[0]
    x = solution.x[chosen].astype(np.float64)
    kind, src, dem, depot = (
        pool.kind[chosen],
        pool.src[chosen],
        pool.dem[chosen],
        pool.depot[chosen],
    )
    mat = pool.mat[chosen]
    t = tables.mat_t[mat]
    km = pool.km[chosen]
    tkm = t * km * x
    transport = tkm * cost.transport_eur_per_tonne_km
    co2_kg = tkm * cost.co2_kg_per_tonne_km
    co2_eur = co2_kg / 1000.0 * cost.co2_price_eur_per_tonne
    _, penalty = tables.penalty(mat, tables.d_mat[dem])
    substitution = penalty * x
    via_depot = np.nonzero(kind == DEPOT)[0]
    k = depot[via_depot]
    handling = np.zeros(chosen.size)
    holding = np.zeros(chosen.size)
    handling[via_depot] = t[via_depot] * tables.k_handling[k] * x[via_depot]
    days = pool.q[chosen][via_depot] - pool.p[chosen][via_depot]
    holding[via_depot] = tables.mat_m3[mat[via_depot]] * days * tables.k_hold[k] * x[via_depot]
    from_supply = kind != STOCK
    sent = np.zeros(len(tables.s_ids), np.int64)
    np.add.at(sent, src[from_supply], solution.x[chosen][from_supply])
    received = np.zeros(len(tables.d_ids), np.int64)
    np.add.at(received, dem, solution.x[chosen])
    left_s = tables.s_qty - sent
    left_d = tables.d_qty - received
    if (left_s < 0).any() or (left_d < 0).any():
        raise SolverError("solution exceeds a supply or demand quantity")
    breakdown = CostBreakdown(
        transport_eur=float(transport.sum()),
        co2_eur=float(co2_eur.sum()),
        substitution_eur=float(substitution.sum()),
        handling_eur=float(handling.sum()),
        holding_eur=float(holding.sum()),
        disposal_eur=float((tables.mat_disposal[tables.s_mat] * left_s).sum()),
        new_purchase_eur=float((tables.mat_unmet[tables.d_mat] * left_d).sum()),
    )
    objective = breakdown.total_eur
    lower = solution.lower_bound + model.constant
    if solution.proven:
        lower = objective
    alloc_cost = transport + co2_eur + substitution + handling + holding
    # as Python lists, and each day's date made once: reading the arrays element by element
    # took 1.7 s of the 2.0 s this function took at 100k listings a side (199k allocations)
    p_days, q_days = pool.p[chosen], pool.q[chosen]
    dates = {d: date.fromordinal(d) for d in np.union1d(p_days, q_days).tolist()}
    with collector_paused():  # 204k allocations at 100k listings a side
        allocations = tuple(
            Allocation(
                supply_id=(tables.i_ids if k == STOCK else tables.s_ids)[s],
                demand_id=tables.d_ids[d],
                depot_id=None if via < 0 else tables.k_ids[via],
                quantity=units,
                pickup_date=dates[p],
                delivery_date=dates[q],
                road_km=road_km,
                cost_eur=eur,
                co2_kg=kg,
            )
            for k, s, d, via, units, p, q, road_km, eur, kg in zip(
                kind.tolist(),
                src.tolist(),
                dem.tolist(),
                depot.tolist(),
                solution.x[chosen].astype(np.int64).tolist(),
                p_days.tolist(),
                q_days.tolist(),
                km.tolist(),
                alloc_cost.tolist(),
                co2_kg.tolist(),
                strict=True,
            )
        )
    demanded = int(tables.d_qty.sum())
    kpis = Kpis(
        tonnes_reused=float((t * x).sum()),
        transport_co2_kg=float(co2_kg.sum()),
        embodied_co2_avoided_kg=float((tables.mat_embodied_kg[mat] * x).sum()),
        demand_met_fraction=1.0 if demanded == 0 else float(received.sum()) / demanded,
    )
    return MatchResult(
        status="optimal" if solution.proven else "feasible",
        objective_eur=objective,
        lower_bound_eur=lower,
        cost_breakdown=breakdown,
        allocations=allocations,
        unmatched_supply=tuple(
            Leftover(tables.s_ids[s], int(left_s[s])) for s in np.nonzero(left_s > 0)[0]
        ),
        unmet_demand=tuple(
            Leftover(tables.d_ids[d], int(left_d[d])) for d in np.nonzero(left_d > 0)[0]
        ),
        kpis=kpis,
        stats=stats,
    )


def _independent_parts(
    instance: Instance, tables: Tables, reserved_m3: Mapping[str, Sequence[tuple[date, float]]]
) -> list[Instance] | None:
    """The instance split by material family, or None where depot capacity could couple them.

    Families share nothing but depot capacity.  A depot's capacity cannot bind when its stock
    plus every unit of supply within reach of it fits at once; if that holds for every depot,
    the families are independent problems and their optima add up to the optimum.
    """
    for k in range(len(tables.k_ids)):
        reach = great_circle_km(tables.s_lat, tables.s_lon, tables.k_lat[k], tables.k_lon[k])
        near = reach <= tables.max_gc_km
        volume = float((tables.mat_m3[tables.s_mat[near]] * tables.s_qty[near]).sum())
        on_k = tables.i_depot == k
        volume += float((tables.mat_m3[tables.i_mat[on_k]] * tables.i_qty[on_k]).sum())
        volume += max((float(m3) for _, m3 in reserved_m3.get(tables.k_ids[k], ())), default=0.0)
        if volume > tables.k_capacity_m3[k]:
            return None
    return _family_parts(instance, tables)


def _family_parts(instance: Instance, tables: Tables) -> list[Instance]:
    """The instance split by material family; each depot keeps the stock of the family."""
    family_of = dict(zip(tables.mat_codes, tables.mat_family.tolist(), strict=True))
    supply: dict[int, list[Supply]] = {}
    demand: dict[int, list[Demand]] = {}
    for s in instance.supply:
        supply.setdefault(family_of[s.material], []).append(s)
    for d in instance.demand:
        demand.setdefault(family_of[d.material], []).append(d)
    parts = []
    for fam in sorted(set(supply) | set(demand)):
        depots = tuple(
            replace(k, stock=tuple(i for i in k.stock if family_of[i.material] == fam))
            for k in instance.depots
        )
        parts.append(
            replace(
                instance,
                supply=tuple(supply.get(fam, ())),
                demand=tuple(demand.get(fam, ())),
                depots=depots,
            )
        )
    return parts


def _combine(instance: Instance, results: list[MatchResult], seconds: float) -> MatchResult:
    """One result from the results of independent parts."""
    fields = CostBreakdown.__dataclass_fields__
    breakdown = CostBreakdown(
        **{f: float(sum(getattr(r.cost_breakdown, f) for r in results)) for f in fields}
    )
    allocations = tuple(a for r in results for a in r.allocations)
    left_s = {x.id: x for r in results for x in r.unmatched_supply}
    left_d = {x.id: x for r in results for x in r.unmet_demand}
    demanded = sum(d.quantity for d in instance.demand)
    delivered = sum(a.quantity for a in allocations)
    optimal = all(r.status == "optimal" for r in results)
    objective = breakdown.total_eur
    stats: dict[str, object] = {"method": results[0].stats.get("method"), "parts": len(results)}
    for r in results:
        for key, value in r.stats.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                stats[key] = stats.get(key, 0) + value  # type: ignore[operator]
    stats["seconds"] = seconds
    return MatchResult(
        status="optimal" if optimal else "feasible",
        objective_eur=objective,
        lower_bound_eur=objective if optimal else float(sum(r.lower_bound_eur for r in results)),
        cost_breakdown=breakdown,
        allocations=allocations,
        unmatched_supply=tuple(left_s[s.id] for s in instance.supply if s.id in left_s),
        unmet_demand=tuple(left_d[d.id] for d in instance.demand if d.id in left_d),
        kpis=Kpis(
            tonnes_reused=float(sum(r.kpis.tonnes_reused for r in results)),
            transport_co2_kg=float(sum(r.kpis.transport_co2_kg for r in results)),
            embodied_co2_avoided_kg=float(sum(r.kpis.embodied_co2_avoided_kg for r in results)),
            demand_met_fraction=1.0 if demanded == 0 else delivered / demanded,
        ),
        stats=stats,
    )


def _demands_in(tables: Tables, pairs: set[tuple[str, str]]) -> npt.NDArray[np.bool_]:
    """Demands that appear in any of ``pairs``."""
    named = {demand_id for _, demand_id in pairs}
    return np.fromiter((d in named for d in tables.d_ids), bool, len(tables.d_ids))


def _is_excluded(
    tables: Tables, pool: RoutePool, pairs: set[tuple[str, str]]
) -> npt.NDArray[np.bool_]:
    """Which routes join a pair that must not be matched."""
    out = np.zeros(len(pool), bool)
    for r in np.nonzero(_demands_in(tables, pairs)[pool.dem])[0].tolist():
        source = tables.i_ids if pool.kind[r] == STOCK else tables.s_ids
        out[r] = (source[pool.src[r]], tables.d_ids[pool.dem[r]]) in pairs
    return out


# ---------------------------------------------------------------------------------------------
# Large instances whose depot capacity may bind: the families apart, joined by depot-day prices
# ---------------------------------------------------------------------------------------------

_UNBOUNDED_M3 = 1e30  # a depot's capacity while it is set aside
_FAMILY_MAX_GAP = 0.005  # the spec's limit on the gap of a "feasible" result
# Pricing stops once the master's value is this close (a fraction) to the best bound; the
# whole-unit result then usually lies below the master's value (the families solved again
# within their room do better than the master's mix of their columns).
_PRICE_GAP = 2e-3
_PRICE_MAX_ROUNDS = 40
# Where the rounded mix just misses _ACCEPT_GAP (:func:`_tighten_bound`): what part of the
# last full round's shortfalls solving its families again may be counted on to make up (100k
# x 20 depots seed 3, after 33 rounds: 51,581 of 125,387 EUR, every family solved again), and
# how much more than the bound lacks the shortfalls of the families solved again should come to.
_TIGHTEN_REACH = 0.4
_TIGHTEN_COVER = 1 / _TIGHTEN_REACH
# restricted rounds (each family on its working routes) before every route is priced again
_RESTRICTED_MAX_ROUNDS = 10
# network simplex solves per family in the capacity-free pass where depots may bind (the
# price rounds go on from there); the pass goes on to the optimum where the result fits.
# 100k x 20 depots, run in pairs: at 6, seeds 1 / 2 / 3 took 45.1 / 49.7 / 82.4 s (25 / 27 /
# 43 rounds), at 8 43.8 / 55.0 / 90.2 s (22 / 26 / 43): the pass takes 14 s, not 17-19, and
# the smaller working sets make each round cheaper.  At 4 or 5 seed 3 took 51-55 rounds.
_FIRST_SOLVES = 6
# A family moves to the other worker after the first pass where that narrows the difference
# between the workers' time per round by at least this fraction of the whole
# (:meth:`_InWorkers.share`).
_SHARE_MIN_GAIN = 0.02
# network simplex solves per family in a full round, each followed by pricing; where routes
# still enter after the last, the bound deducts what they could save
_FULL_ROUND_SOLVES = 1
# The weight of the best bound's prices in the next prices tried, after a round that raised
# the bound; after one that did not, the weight moves halfway to 1.  The prices then move less
# from one round to the next, and a restricted round's warm network simplex has less to do.
# 100k x 20 depots, seeds 1 / 2 / 3, in one slow hour: at 0.7, 44.9 / 49.1 / 86.0 s (gaps
# 0.361 / 0.235 / 0.352 %; seed 3 in 40 rounds), against 51.7 / 61.0 / 121.0 s (0.241 / 0.285 /
# 0.333 %; 48 rounds) at 0.5; at 0.8 seed 3 took 39 rounds and 77.6 s, but ended 0.447 % above
# its bound, and at 0.3, 55 rounds.  30k x 20 depots seeds 1 / 2: 0.175 / 0.174 % in 5.7 /
# 4.7 s, against 0.331 / 0.171 % in 5.3 / 4.6 s.  Since the network simplex's longer candidate
# list (e147672) a restricted round costs less the less its prices move, and higher weights
# pay: 100k x 20 depots, one fast hour (2026-12-07), seeds 1 / 2 / 3 / 4 / 5 in seconds of
# ``match`` (gap): at 0.7, 24.9 / 26.2 / 39.1-40.4 / 43.3-47.7 / 26.6 (0.275 / 0.301 / 0.404 /
# 0.397 / 0.319 %); at 0.8, seeds 3 / 4 35.3-35.7 / 37.8-38.8 (0.440 / 0.358 %); at 0.85,
# 23.1 / 24.9 / 34.3 / 36.4 / 24.3 (0.298 / 0.234 / 0.334 / 0.361 / 0.412 %); at 0.9, 24.0 /
# 23.9 / 33.2 / 34.6 / 26.1 (0.307 / 0.279 / 0.292 / 0.390 / 0.346 %), seeds 3 / 4 in 43 / 42
# restricted rounds against 37 / 39; at 0.95, seeds 3 / 4 36.8 / 35.5 s in 60 / 56.  30k
# seeds 1 / 2: 3.6 / 3.6 s (0.339 / 0.161 %) at 0.9, 3.9 / 3.4 s (0.321 / 0.177 %) at 0.7.
_PRICE_SMOOTHING = 0.9
_MASTER_SLACK_EUR = 1e4  # per m3 and day over capacity in the master: a safety net only
# Solves after which the master drops the row of a depot day that has had no price and spare
# room all along (:class:`_Master`).  Replayed on the 41 master solves of 100k x 20 depots
# seed 3 (2,099 columns), the solves took 4.5-5.0 s at 3 (133-180 rows at the end), 6.0 s at
# 10 (313), 7.8 s without dropping any (621), and 16.4 s with a chain of rows over every day.
_MASTER_ROW_IDLE = 3
# Solves after which the master drops a column that has stayed out of its basis all along.
# Replayed on the 44 master solves of 100k x 20 depots seed 4 (the same columns each time),
# HiGHS took 6.2-6.5 s keeping every column, 4.7 s dropping them after 20 solves, 3.3-3.4 s
# after 10 and 1.7-1.8 s after 5; the values rose by at most 0.0014 %, 0.043 % and 0.18 % on
# the way, and ended 0.00001 %, 0.0004 % and 0.007 % above (seed 3: 4.9 s kept, 2.3 s at 10).
# In whole runs, at 5 seeds 3 / 4 took 46 / 49 price rounds against 41 / 45 at 10.
_MASTER_COLUMN_IDLE = 10
# Quantiles of the saving per m3 and day held at which a family's first columns cut off its
# storage routes (see :meth:`_LocalFamilies.first`).  At 30k listings a side with 20 depots the
# master started 7 % above the bound with all-or-nothing columns, and took six rounds of pricing
# to come within 0.5 %.
_FIRST_LEVELS = (0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875)
_WHOLE_TOL = 1e-9  # a family whose master weight on one column is this close to 1 keeps it
# Once a round that priced every route leaves the master this close (a fraction) to the best
# bound, its mix is rounded to whole units (:func:`_round_master_mix`); where pricing ends
# with a rounded mix further from the bound than _ACCEPT_GAP, the families that rounding cost
# most are solved again until the rest is this close.  Rounded over every family at once,
# the mix comes out close to the master's value, sometimes below it (100k x 20 depots:
# +2.4k EUR of 29.47M for seed 1, -6.2k EUR of 29.08M for seed 2, +19k EUR of 25.96M for
# seed 3), so a master within _ACCEPT_GAP might be rounded within it too; but the rounding
# then ends the pricing further from the bound.  At 0.45 % the results of 30k x 20 depots
# seed 1 and 100k seed 2 were 0.371 % and 0.418 % above their bounds in 6.1 and 59.5 s,
# against 0.170 % and 0.237 % in 6.7 and 62.5 s at 0.37 %: nightly, the cheaper result is
# worth seconds.
_MIX_GAP = 3.7e-3
# A rounded mix this close to the best bound ends the pricing too, and is the result: what
# more rounds and families solved again would gain is small beside their time (100k x 20
# depots: the mix rounded at 0.415 % above the bound after 27 rounds; another restricted
# round and a family solved again brought it to 0.372 % in 12 s more, of 85 s).  It keeps a
# margin below the spec's 0.5 %.
_ACCEPT_GAP = 4.5e-3
# A family whose part of the mix loses more than this (a fraction of the master's value) by
# rounding route by route is rounded by a small branch and bound around the mix too.
_ROUNDING_SEARCH = 2e-4


def _match_by_family(
    instance: Instance,
    tables: Tables,
    progress: Progress | None,
    depot_routes: str,
    reserved_m3: Mapping[str, Sequence[tuple[date, float]]],
    excluded_pairs: Collection[tuple[str, str]],
    t0: float,
    workers: int | None = None,
) -> MatchResult | None:
    """Solve each material family on its own, joined by prices on depot days.

    Material families share nothing but depot capacity, so with capacity set aside they are
    independent problems, and the sum of their optima bounds the instance's optimum from below.
    Where their joint solution fits every depot on every day, it is optimal.  Otherwise the
    families are coordinated by Dantzig-Wolfe decomposition (see :func:`_price_families`).
    The result is returned, with its proven lower bound, when its gap stays under the spec's
    0.5 %.  Otherwise, and for instances small enough to list every depot route (or when
    ``depot_routes`` is not "auto"), this returns None and the instance is solved as one
    problem.  The families are solved in ``workers`` processes (see :class:`_InWorkers`).
    """
    if not instance.depots or depot_routes != "auto":
        return None
    if count_depot_pairs(tables) <= _LIST_DEPOT_PAIRS:
        return None
    relaxed = replace(
        instance,
        depots=tuple(replace(k, capacity_m3=_UNBOUNDED_M3) for k in instance.depots),
    )
    parts = _family_parts(relaxed, tables)
    n_workers = _workers_for(instance, len(parts), workers)
    families = _family_solvers(parts, excluded_pairs, n_workers)
    try:
        return _price_families(
            instance, tables, parts, families, progress, reserved_m3, t0, n_workers
        )
    finally:
        families.close()


@dataclass
class _Column:
    """One solution of a family, as the master sees it: its cost (constant included), the
    volume it holds in each depot on each day of the grid (the family's own stock included),
    and whether its units are whole."""

    cost: float
    volume: FloatArray  # (depots, grid days)
    whole: bool
    error: float = 0.0  # how far ``cost`` may lie above the optimum it stands for (rounding)
    # (<= 0) how far the priced optimum over every route may lie below this column's priced
    # cost, where it was found on working routes that pricing then showed could do better
    shortfall: float = 0.0

    def bound_part(self, prices: FloatArray) -> float:
        """What this column, found at ``prices``, adds to the Lagrangian bound there: its
        cost with the prices on the volume it holds, less its shortfall."""
        return self.cost + float((prices * self.volume).sum()) + self.shortfall


class _Master:
    """The Dantzig-Wolfe master: per family, a convex combination of its columns, such that
    the depots' volume fits on every day of the grid, at least cost.

    Few depot days bind (100k listings a side with 20 depots, seed 3: 83 of 8,740 at the end
    of the pricing), so the master has a row only for days that its solutions overfilled:
    ``sum over columns of weight * volume(day) <= room(day)``.  A solve goes on until its
    solution fits every day of the grid, each time adding a row for the day each depot
    overfills most (``_overfilled``); a row whose day has had no price and spare room for
    ``_MASTER_ROW_IDLE`` solves goes (it comes back if that day overfills again), and so does
    a column that has stayed out of the basis for ``_MASTER_COLUMN_IDLE`` solves (its weight
    is 0 from then on: the columns are dense, so each simplex iteration costs in proportion
    to how many there are).  The solution is then that of the master over the columns it
    keeps with a row for every day, and so are its duals (a day without a row has price 0).
    The price of a depot day is what one more m3 of room there would save: minus the dual of
    its row.  An overfill column per row, at ``_MASTER_SLACK_EUR`` per m3, keeps the master
    feasible whatever the columns; the families' depot-free columns make it unnecessary.  One
    HiGHS model goes on from its last basis: by the primal simplex after new columns (the
    basis stays feasible), by the dual simplex after new rows (it stays optimal for the
    others)."""

    def __init__(self, n_families: int, room: FloatArray) -> None:
        self.room = room
        self.n_families = n_families
        self.family: list[int] = []
        self.columns: list[_Column] = []
        self.h = _new_highs()
        ones = np.ones(n_families)  # each family's weights add up to 1
        self.h.addRows(
            n_families,
            ones,
            ones,
            0,
            np.zeros(n_families, np.int32),
            np.empty(0, np.int32),
            np.empty(0),
        )
        self.cells = np.empty(0, np.int64)  # the depot day (flat) of each capacity row
        self.idle = np.empty(0, np.int64)  # per capacity row: solves since it last mattered
        self.over_of = np.empty(0, np.int64)  # per capacity row: its overfill column
        self.col_of = np.empty(0, np.int64)  # the HiGHS column of each master column (-1: gone)
        self.unused = np.empty(0, np.int64)  # per master column: solves it has been nonbasic
        self.emptied = np.empty(0, np.int64)  # overfill columns whose row has gone
        self.tol = _room_tol(room)
        self.solved = False

    def add(self, family: int, column: _Column) -> None:
        self.family.append(family)
        self.columns.append(column)

    def solve(self) -> tuple[FloatArray, FloatArray, float]:
        """The weights of the columns, the prices per m3 on each depot day, and the master's
        value."""
        self._add_columns()
        strategy = 4  # new columns leave the last basis feasible: the primal simplex
        while True:
            self.h.setOptionValue("simplex_strategy", strategy if self.solved else 1)
            self.h.run()
            if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                # A warm solve once ended with status "Unknown" (100k x 20 depots, seed 3,
                # after 55 rounds, with _FIRST_SOLVES at 4): the master is feasible whatever
                # its columns, so start again from nothing.
                self.h.clearSolver()
                self.h.setOptionValue("simplex_strategy", 1)
                _run(self.h)
            self.solved = True
            solution = self.h.getSolution()
            live = self.col_of >= 0
            weights = np.zeros(self.col_of.size)
            weights[live] = np.asarray(solution.col_value)[self.col_of[live]]
            over = self._overfilled(weights)
            if over.size == 0:
                break
            self._add_rows(over)
            strategy = 1  # new rows leave the basis optimal for the others: the dual simplex
        duals = np.asarray(solution.row_dual)[self.n_families :]
        prices = np.zeros(self.room.size)
        prices[self.cells] = np.maximum(-duals, 0.0)
        value = float(self.h.getInfo().objective_function_value)
        self._drop_idle_rows(duals, np.asarray(solution.row_value)[self.n_families :])
        self._drop_unused_columns()
        return weights, prices.reshape(self.room.shape), value

    def _overfilled(self, weights: FloatArray) -> IntArray:
        """The depot days (flat) without a row that the mix with ``weights`` overfills most:
        one per depot that it overfills."""
        held = np.zeros(self.room.shape)
        for j in np.nonzero(weights > 0)[0]:
            held += weights[j] * self.columns[j].volume
        excess = held - self.room
        excess.ravel()[self.cells] = 0.0  # (a fresh array: ravel is a view)
        worst = np.argmax(excess, axis=1)
        depots = np.nonzero(excess[np.arange(self.room.shape[0]), worst] > self.tol)[0]
        cells: IntArray = depots * int(self.room.shape[1]) + worst[depots]
        return cells

    def _add_rows(self, cells: IntArray) -> None:
        """Rows for the depot days ``cells``, with every column's volume there, and their
        overfill columns."""
        first_row = self.h.getNumRow()
        known = np.nonzero(self.col_of >= 0)[0]
        volume = np.zeros((cells.size, known.size))  # rows x columns
        for i, j in enumerate(known):
            volume[:, i] = self.columns[j].volume.ravel()[cells]
        rows, cols = np.nonzero(volume)
        self.h.addRows(
            cells.size,
            np.full(cells.size, -_INF),
            self.room.ravel()[cells],
            rows.size,
            np.searchsorted(rows, np.arange(cells.size)).astype(np.int32),
            self.col_of[known[cols]].astype(np.int32),
            volume[rows, cols],
        )
        self.cells = np.concatenate([self.cells, cells])
        self.idle = np.concatenate([self.idle, np.zeros(cells.size, np.int64)])
        first_col = self.h.getNumCol()
        self.over_of = np.concatenate([self.over_of, first_col + np.arange(cells.size)])
        self.h.addCols(
            cells.size,
            np.full(cells.size, _MASTER_SLACK_EUR),
            np.zeros(cells.size),
            np.full(cells.size, _INF),
            cells.size,
            np.arange(cells.size, dtype=np.int32),
            np.arange(first_row, first_row + cells.size, dtype=np.int32),
            np.full(cells.size, -1.0),
        )

    def _drop_idle_rows(self, duals: FloatArray, held: FloatArray) -> None:
        """Drop the rows whose day has had no price and spare room for ``_MASTER_ROW_IDLE``
        solves.  Their overfill columns, empty now, go with the unused columns."""
        idle = (duals == 0.0) & (held < self.room.ravel()[self.cells] - self.tol)
        self.idle = np.where(idle, self.idle + 1, 0)
        drop = self.idle >= _MASTER_ROW_IDLE
        if drop.any():
            rows = self.n_families + np.nonzero(drop)[0]
            self.h.deleteRows(rows.size, rows.astype(np.int32))
            self.emptied = np.concatenate([self.emptied, self.over_of[drop]])
            self.cells, self.idle = self.cells[~drop], self.idle[~drop]
            self.over_of = self.over_of[~drop]

    def _drop_unused_columns(self) -> None:
        """Drop the columns that have been nonbasic for ``_MASTER_COLUMN_IDLE`` solves in a
        row, and the overfill columns of dropped rows.  The master's columns are dense (a
        family holds stock on most days of a row), so each simplex iteration costs in
        proportion to them; a nonbasic column goes without changing the solution or the
        basis, and a family's column that leaves the master stays its column all the same
        (its weight is 0 from then on)."""
        status = np.asarray(self.h.getBasis().col_status)
        basic = status == highspy.HighsBasisStatus.kBasic
        live = np.nonzero(self.col_of >= 0)[0]
        self.unused[live] = np.where(basic[self.col_of[live]], 0, self.unused[live] + 1)
        retire = live[self.unused[live] >= _MASTER_COLUMN_IDLE]
        gone = np.concatenate([self.col_of[retire], self.emptied[~basic[self.emptied]]])
        if gone.size == 0:
            return
        gone = np.sort(gone)
        self.h.deleteCols(gone.size, gone.astype(np.int32))
        self.emptied = self.emptied[basic[self.emptied]]
        self.col_of[retire] = -1

        def moved(cols: IntArray) -> IntArray:  # HiGHS closes the gaps, in order
            return cols - np.searchsorted(gone, cols)

        kept = self.col_of >= 0
        self.col_of[kept] = moved(self.col_of[kept])
        self.over_of, self.emptied = moved(self.over_of), moved(self.emptied)

    def _add_columns(self) -> None:
        """The columns found since the last solve, with their convexity and capacity entries."""
        known = self.col_of.size
        fresh = self.columns[known:]
        if not fresh:
            return
        first = self.h.getNumCol()
        rows: list[IntArray] = []
        values: list[FloatArray] = []
        for j, column in enumerate(fresh):
            volume = column.volume.ravel()[self.cells]
            on = np.nonzero(volume)[0]
            rows.append(np.concatenate([[self.family[known + j]], self.n_families + on]))
            values.append(np.concatenate([[1.0], volume[on]]))
        sizes = np.array([v.size for v in values])
        self.h.addCols(
            len(fresh),
            np.array([c.cost for c in fresh]),
            np.zeros(len(fresh)),
            np.full(len(fresh), _INF),
            int(sizes.sum()),
            (np.cumsum(sizes) - sizes).astype(np.int32),
            np.concatenate(rows).astype(np.int32),
            np.concatenate(values),
        )
        self.col_of = np.concatenate([self.col_of, np.arange(first, first + len(fresh))])
        self.unused = np.concatenate([self.unused, np.zeros(len(fresh), np.int64)])


def _day_grid(tables: Tables, reserved_m3: Mapping[str, Sequence[tuple[date, float]]]) -> IntArray:
    """Every day on which some depot's volume or room can change: from today to the day after
    the last delivery, and the days on which a promise outside the instance changes."""
    last = int(max(tables.d_b.max(initial=tables.today), tables.s_b.max(initial=tables.today)))
    steps = [d.toordinal() for promised in reserved_m3.values() for d, _ in promised]
    days = np.concatenate([np.arange(tables.today, last + 2), np.asarray(steps, np.int64)])
    return np.unique(days[days >= tables.today]).astype(np.int64)


def _depot_room(
    tables: Tables, reserved_m3: Mapping[str, Sequence[tuple[date, float]]], grid: IntArray
) -> FloatArray:
    """Per depot and grid day: capacity less what is promised outside the instance and the
    stock of materials in no family with supply or demand (no family counts it, and it stays)."""
    listed = np.union1d(tables.mat_family[tables.s_mat], tables.mat_family[tables.d_mat])
    orphan = ~np.isin(tables.mat_family[tables.i_mat], listed)
    left = np.zeros(len(tables.k_ids))
    np.add.at(left, tables.i_depot[orphan], (tables.mat_m3[tables.i_mat] * tables.i_qty)[orphan])
    promised = _build_model(tables, RoutePool.empty(), None, reserved_m3, prune=False)
    return np.stack(
        [
            tables.k_capacity_m3[k] - left[k] - promised.reserved_at(k, grid)
            for k in range(len(tables.k_ids))
        ]
    )


def _price_families(
    instance: Instance,
    tables: Tables,
    parts: list[Instance],
    families: _Families,
    progress: Progress | None,
    reserved_m3: Mapping[str, Sequence[tuple[date, float]]],
    t0: float,
    n_workers: int,
) -> MatchResult | None:
    """The families with capacity set aside, then, where their joint solution overfills a
    depot, coordinated by prices on depot days (Dantzig-Wolfe decomposition).

    Every solution a family has found is a *column*: its cost and the volume it holds in each
    depot on each day.  A small master LP (:class:`_Master`) picks a convex combination of each
    family's columns such that the depots hold their volume on every day, at least cost; its
    duals are prices per m3 on the depot days that bind.  Each family whose volume meets a
    priced day is solved again with the price on the volume its routes hold (it has no
    depot-day rows, so it stays a transportation problem, which LEMON's network simplex
    solves: :func:`_network_generation`).  That gives a new column and, for any prices
    ``pi >= 0``, a lower bound: the Lagrangian relaxation of the depot-day rows,

        L(pi) = sum over families f of min_x (cost_f(x) + pi . volume_f(x))  -  pi . room,

    which rises to the linear relaxation of the whole instance as the prices converge.  The
    prices tried are the master's, moved halfway towards those of the best bound so far (the
    master's own prices jump about).  Once the master's value is within ``_PRICE_GAP`` of the
    best bound, each family gets the room its part of the master's combination takes, and the
    depots' spare room shared out in proportion: a family whose part is one column keeps that
    solution, the others are solved again within their room, in whole units.  The rooms add up
    to what the depots hold, so those solves are independent, and run side by side.
    """
    index = _GlobalIndex(tables)
    grid = _day_grid(tables, reserved_m3)
    totals: dict[str, float] = dict.fromkeys(
        ("routes", "useful_routes", "tables_seconds", "routes_seconds"), 0.0
    )
    first: list[_FamilyAnswer | None] = [None] * len(parts)
    columns: list[list[_Column]] = [[] for _ in parts]
    for done, (n, reply) in enumerate(
        families.each([("first", n, grid, _FIRST_SOLVES) for n in range(len(parts))]), 1
    ):
        first[n], columns[n] = cast(tuple[_FamilyAnswer, list[_Column]], reply)
        if progress:
            progress(
                f"family {done}/{len(parts)} with depot capacity set aside:"
                f" {len(parts[n].supply):,} supply, {len(parts[n].demand):,} demand,"
                f" after {time.perf_counter() - t0:.1f} s"
            )
    room = _depot_room(tables, reserved_m3, grid)
    joint = sum((c[0].volume for c in columns), np.zeros(room.shape))
    short = [n for n, a in enumerate(first) if a is not None and a.stats["bound"] < a.value]
    cut_short = len(short)
    if short and not (joint > room + _CAP_TOL).any():
        # the solutions found so far fit: the optimum, where it differs, might too
        for n, reply in families.each([("finish", n) for n in short]):
            first[n], columns[n] = cast(tuple[_FamilyAnswer, list[_Column]], reply)
        joint = sum((c[0].volume for c in columns), np.zeros(room.shape))
        short = []
    free_bound = 0.0
    answers: list[_FamilyAnswer] = []
    for solved in first:  # in the families' order, so the sums are reproducible
        assert solved is not None
        for key in totals:
            totals[key] += solved.stats[key]
        free_bound += solved.stats["bound"]
        answers.append(solved)
    stats: dict[str, object] = {
        "method": "column-generation",
        "depot_routes": "families",
        "parts": len(parts),
        "capacity_free_eur": free_bound,
        "capacity_free_cut_short": cut_short,  # families whose first pass stopped short
        "routes": int(totals["routes"]),
        "useful_routes": int(totals["useful_routes"]),
        "tables_seconds": totals["tables_seconds"],
        "routes_seconds": totals["routes_seconds"],
        "workers": n_workers,
    }
    bound = free_bound
    mixed: _MixSolution | None = None
    if (joint > room + _CAP_TOL).any():
        # each price round solves the families again from here, on their working routes: a
        # round's time goes with the time of their last solve (correlation 0.994 over the
        # families at 100k x 20 depots), so the workers get about as much of that each
        load = {n: a.stats["network_seconds"] for n, a in enumerate(answers)}
        stats["families_moved"] = families.share(load, set(short))
        if isinstance(families, _InWorkers):
            # this process now only coordinates: the master's growth is what it keeps (the
            # workers' large blocks are short-lived temporaries, cheaper from the heap)
            _keep_large_blocks_mapped()
        master = _Master(len(parts), room)
        for n, cols in enumerate(columns):
            for column in cols:
                master.add(n, column)
        weights, bound, rounds, restricted, mixed = _price_rounds(
            master, families, free_bound, set(short), progress, t0
        )
        stats.update(price_rounds=rounds, restricted_rounds=restricted)
        if mixed is not None:
            stats["mix_eur"] = mixed.value
            stats["mix_rounded"] = "jointly" if mixed.jointly else "by family"
        again = mixed.to_solve_again(bound) if mixed is not None else None
        if mixed is not None and again is not None:
            # the rounded mix, with the families that rounding cost most solved again in the
            # same rooms (the rooms add up to what the depots hold, so the parts fit together)
            # each may stop its search this far above its bound: half the margin between
            # _MIX_GAP and the spec's limit, shared out (100k x 20 depots: RENS on family 31
            # found a solution 15k EUR above its bound at 2.3 s, and its optimum at 9.6 s)
            gap_eur = (_FAMILY_MAX_GAP - _MIX_GAP) / 2 * abs(bound) / max(len(again), 1)
            answers, resolved = _within_rooms(
                families, mixed.answers, mixed.share, again, [], grid, instance, progress, gap_eur
            )
            stats.update(families_resolved=resolved, whole_units="master mix")
        else:
            answers, resolved = _whole_families(
                master, weights, families, answers, grid, instance, progress
            )
            stats.update(families_resolved=resolved, whole_units="within room")
    stats["relaxation_eur"] = bound
    # the answers are final: the workers' models go before the result takes its memory
    families.close()
    model, x = _joint_solution(tables, index, answers, reserved_m3)
    overfills = _overfills(model, x)
    if mixed is not None and answers is not mixed.answers:
        # the families solved within their room: keep the master's whole-unit mix where that
        # is cheaper, or where their rooms overfill a depot after all
        if overfills or mixed.value < model.constant + float(model.obj @ x):
            model, x = _joint_solution(tables, index, mixed.answers, reserved_m3)
            overfills = _overfills(model, x)
            stats["whole_units"] = "master mix"
    if overfills:
        if progress:
            progress("the families' rooms overfill a depot: solving the instance as one problem")
        return None
    solution = _Solution(x=x, lower_bound=bound - model.constant, proven=False, stats={})
    t_result = time.perf_counter()
    result = _result(model, solution, stats)
    stats["result_seconds"] = time.perf_counter() - t_result
    gap = (result.objective_eur - bound) / max(abs(bound), 1e-9)
    seconds = time.perf_counter() - t0
    stats.update(
        gap=gap,
        seconds=seconds,
        solve_seconds=seconds - totals["tables_seconds"] - totals["routes_seconds"],
    )
    if result.objective_eur <= bound + _PROOF_TOL_EUR:
        return replace(result, status="optimal", lower_bound_eur=result.objective_eur)
    if gap >= _FAMILY_MAX_GAP:
        if progress:
            progress(f"gap {gap:.2%} after pricing: solving the instance as one problem")
        return None
    if progress:
        progress(
            f"feasible: {result.objective_eur:,.2f} EUR, bound {bound:,.2f} EUR"
            f" (gap {gap:.3%}) in {time.perf_counter() - t0:.2f} s"
        )
    return result


def _joint_solution(
    tables: Tables,
    index: _GlobalIndex,
    answers: Sequence[_FamilyAnswer],
    reserved_m3: Mapping[str, Sequence[tuple[date, float]]],
) -> tuple[_Model, IntArray]:
    """The families' answers as one solution of the instance: its model (the routes that carry
    units) and their units."""
    chosen = [index.chosen(a) for a in answers]
    pool = RoutePool.concat([p for p, _ in chosen])
    x = np.concatenate([u for _, u in chosen])
    return _build_model(tables, pool, None, reserved_m3, prune=False), x


def _overfills(model: _Model, x: IntArray) -> bool:
    """Whether ``x`` (units per route of ``model``'s pool) overfills a depot on some day."""
    return bool(_violated_days(model, np.arange(len(model.pool)), x.astype(np.float64)))


def _price_rounds(
    master: _Master,
    families: _Families,
    free_bound: float,
    short: set[int],
    progress: Progress | None,
    t0: float,
) -> tuple[FloatArray, float, int, int, _MixSolution | None]:
    """Price the families until the master's value meets the best bound, or the master's mix
    in whole units comes within ``_ACCEPT_GAP`` of it (it is rounded once the master is within
    ``_MIX_GAP``); returns the master's final weights, the best bound, the number of rounds
    and the cheapest whole-unit mix found (None if no mix fitted).

    A family priced by the network simplex may lie above its priced optimum by a few
    micro-euros per unit (:attr:`_Column.error`): the bound deducts that, while the stopping
    test and the choice of prices go by the bound without it, which the master can meet.
    The families in ``short`` stopped short of their capacity-free optimum (their first
    column is not it), so every full round prices them."""
    best, best_prices, best_error = free_bound, np.zeros(master.room.shape), 0.0
    mixed: _MixSolution | None = None
    # per family: its optimum with capacity set aside (for a family in ``short``, the
    # solution its pass stopped at)
    first: dict[int, _Column] = {}
    for n, column in zip(master.family, master.columns, strict=True):
        first.setdefault(n, column)
    rounds = restricted = since = 0  # full rounds; restricted ones, in all and since a full one
    # The prices are smoothed towards a centre: those that gave the priced families their
    # highest value since the last full round.  A restricted round solves each family on its
    # working routes only (a warm network simplex, no pricing), so its value proves nothing:
    # a route outside them may do better.  Once the master meets the centre, or the working
    # routes have had their rounds, a full round prices every route at the centre's prices,
    # which proves a bound and lets new routes in.
    centre, centre_prices, last_full = free_bound, best_prices, best_prices
    centre_round: int | None = None  # the restricted round that tried centre_prices, if one did
    # per family priced in the full round just done, where it raised the best bound: its part
    # of that bound, its shortfall and its error (see :func:`_tighten_bound`)
    full_parts: dict[int, tuple[float, float, float]] = {}
    alpha = _PRICE_SMOOTHING
    proven = True  # whether the last round priced every route
    rounded = False  # whether the master's mix before the last round was rounded
    while True:
        weights, master_prices, value = master.solve()
        close = value - best <= _PRICE_GAP * max(abs(best), 1.0) or rounds >= _PRICE_MAX_ROUNDS
        # the mix in whole units costs about what the master does: round it only where that
        # could end the pricing, and once more where the pricing ends anyway, unless all that
        # came since the last rounding is a restricted round, which leaves the bound as it was
        # and moves the mix little (100k x 20 depots: the same rounded mix, 5.5 s)
        only_restricted = rounded and not proven
        rounded = (close and not only_restricted) or (
            proven and value - best <= _MIX_GAP * max(abs(best), 1.0)
        )
        if rounded:
            search_eur = _ROUNDING_SEARCH * max(abs(value), 1.0)
            found = _round_master_mix(
                master, weights, families, search_eur, best - best_error, close, progress
            )
            if found is not None and (mixed is None or found.value < mixed.value):
                mixed = found
            if mixed is not None and progress:
                progress(
                    f"whole units from the master's mix: {mixed.value:,.2f} EUR"
                    f" ({(mixed.value - best + best_error) / abs(best):.3%} above the bound)"
                )
            if mixed is not None and mixed.accepted(best - best_error):
                return weights, best - best_error, rounds, restricted, mixed
            if mixed is not None and full_parts:
                # just short: the families that the bound deducts most from, solved again
                raised = _tighten_bound(
                    master, families, full_parts, best_prices, mixed, best - best_error
                )
                if raised is not None:
                    best, best_error = best + raised[0], best_error + raised[1]
                    centre = max(centre, best) if centre_prices is best_prices else centre
                    if progress:
                        progress(
                            f"bound after solving families again: {best - best_error:,.2f} EUR"
                            f" ({raised[0]:+,.2f} EUR)"
                        )
                    if mixed.accepted(best - best_error):
                        return weights, best - best_error, rounds, restricted, mixed
        full_parts = {}
        if close:
            return weights, best - best_error, rounds, restricted, mixed
        met = value - centre <= _PRICE_GAP * max(abs(centre), 1.0)
        proven = met or since >= _RESTRICTED_MAX_ROUNDS
        if proven and centre_prices is not last_full:
            prices = centre_prices
        else:  # (a full round on prices already tried would prove nothing new)
            prices = alpha * centre_prices + (1 - alpha) * master_prices
        if proven:
            rounds, since, last_full = rounds + 1, 0, prices
        else:
            restricted, since = restricted + 1, since + 1
        priced = prices > 0
        total, error = -float((prices * master.room).sum()), 0.0
        asked = []
        for n, column in first.items():
            if (column.volume[priced] > 0).any() or (proven and n in short):
                asked.append(n)
            else:  # its optimum holds nothing on a priced day, so it stays optimal
                total += column.cost
        # a full round at the centre's prices goes on from the restricted round that tried
        # them (no route has entered since): the families solved then are not solved again
        same_as = centre_round if prices is centre_prices else None
        replies = dict(
            families.each(
                [
                    ("priced", n, prices, _FULL_ROUND_SOLVES, same_as)
                    if proven
                    else ("restricted", n, prices, restricted, centre_round)
                    for n in asked
                ]
            )
        )
        parts: dict[int, tuple[float, float, float]] = {}
        for n in sorted(replies):  # in the families' order, whatever order they finish in
            column = cast(_Column, replies[n])
            master.add(n, column)
            part = column.bound_part(prices)
            parts[n] = (part, column.shortfall, column.error)
            total += part
            error += column.error
        if proven:
            if total > best:
                best, best_prices, best_error = total, prices, error
                full_parts = parts
            # the working routes, with the routes that pricing let in, now do at least this
            # well at these prices
            centre, centre_round, alpha = total, None, _PRICE_SMOOTHING
        elif total > centre:
            centre, centre_prices, alpha = total, prices, _PRICE_SMOOTHING
            centre_round = restricted
        else:  # the prices went too far from the centre: keep closer to it next time
            alpha = (1 + alpha) / 2
        if progress:
            what = "every route priced" if proven else "working routes"
            progress(
                f"price round {rounds + restricted} ({what}): master {value:,.2f} EUR, bound"
                f" {best - best_error:,.2f} EUR ({len(asked)} families priced), after"
                f" {time.perf_counter() - t0:.1f} s"
            )


def _tighten_bound(
    master: _Master,
    families: _Families,
    parts: Mapping[int, tuple[float, float, float]],
    prices: FloatArray,
    mixed: _MixSolution,
    bound: float,
) -> tuple[float, float] | None:
    """Raise ``bound``, that of the full round just done at ``prices``, where the rounded
    mix ``mixed`` misses ``_ACCEPT_GAP`` of it by less than the round's shortfalls could
    make up (``_TIGHTEN_REACH``): the families with the largest shortfalls, enough of them
    to cover ``_TIGHTEN_COVER`` times what is missing, are solved again at those prices on
    their working routes with those the round let in, and priced again
    (:meth:`_LocalFamilies.tighten`).  Each family's part of the bound is the larger of the
    two, and the new columns join the master.  Returns how much the bound rose and its error
    (what the network simplex's rounding may hide), or None where nothing was solved.

    100k listings a side with 20 depots, seed 4: the mix rounded after 45 rounds lay 0.452 %
    above its bound, 480 EUR short of _ACCEPT_GAP, while the round's shortfalls came to
    27,717 EUR; the pricing went on for 3 more rounds and another rounding (20 s)."""
    if bound <= 0 or _ACCEPT_GAP <= -1:  # (no rise of the bound would do)
        return None
    missing = mixed.value / (1 + _ACCEPT_GAP) - bound  # what the bound lacks
    short = sorted((p[1], n) for n, p in parts.items() if p[1] < 0)
    if not short or missing > -sum(f for f, _ in short) * _TIGHTEN_REACH:
        return None
    chosen, covered = [], 0.0
    for f, n in short:
        if covered >= _TIGHTEN_COVER * missing:
            break
        chosen.append(n)
        covered -= f
    replies = dict(families.each([("tighten", n, prices) for n in chosen]))
    gained = gained_error = 0.0
    for n in sorted(replies):  # in the families' order, whatever order they finish in
        column = cast(_Column, replies[n])
        master.add(n, column)
        part = column.bound_part(prices)
        if part > parts[n][0]:
            gained += part - parts[n][0]
            gained_error += column.error - parts[n][2]
    return gained, gained_error


@dataclass
class _MixSolution:
    """The master's mix in whole units: each family's answer, in the families' order, their
    total cost, the rooms they were rounded in (:func:`_family_rooms`) and each family's part
    of the master's value (what its columns cost, by their weights)."""

    value: float
    answers: list[_FamilyAnswer]
    share: FloatArray
    parts: FloatArray
    jointly: bool = False  # rounded over every family at once (:func:`_round_jointly`)

    def accepted(self, bound: float) -> bool:
        """Whether this mix is within ``_ACCEPT_GAP`` of ``bound``, and so the result."""
        return self.value - bound <= _ACCEPT_GAP * max(abs(bound), 1.0)

    def to_solve_again(self, bound: float) -> list[int] | None:
        """The families to solve again within their room, those that rounding cost most
        first, so that the others' rounded parts and the master's value for those come within
        ``_MIX_GAP`` of ``bound``; none where the mix is within ``_ACCEPT_GAP`` as it is; None
        where even all of them would not do."""
        if self.accepted(bound):
            return []
        loss = np.array([a.value for a in self.answers]) - self.parts
        over = self.value - bound - _MIX_GAP * max(abs(bound), 1.0)
        chosen: list[int] = []
        for n in np.argsort(-loss, kind="stable").tolist():
            if over <= 0 or loss[n] <= 0:
                break
            chosen.append(n)
            over -= loss[n]
        return chosen if over <= 0 else None


def _round_master_mix(
    master: _Master,
    weights: FloatArray,
    families: _Families,
    search_eur: float = np.inf,
    bound: float = -np.inf,
    last: bool = True,
    progress: Progress | None = None,
) -> _MixSolution | None:
    """The master's mix (``weights``) in whole units over every family at once
    (:func:`_round_jointly`), and where that finds nothing, or (on the ``last`` rounding,
    after which pricing ends) is not within ``_ACCEPT_GAP`` of ``bound``, each family's part
    within the room the mix gives it too (:func:`_family_rooms`,
    :meth:`_LocalFamilies.rounded`): the cheaper.  None where the mix overfills a depot (the
    master leaned on its slack) or neither fits.

    At 100k listings a side with 20 depots (seed 1), rounded together the mix came out
    29,475,424.96 EUR in 2.96 s, family by family 29,491,121.66 EUR in 3.54 s (the master:
    29,473,055.68 EUR)."""
    share, _, _ = _family_rooms(master, weights)
    if (share.sum(axis=0) > master.room + _room_tol(master.room)).any():
        return None
    family = np.asarray(master.family)
    parts = np.zeros(share.shape[0])
    np.add.at(parts, family, weights * np.array([c.cost for c in master.columns]))
    found = _round_jointly(master, weights, families, parts)
    if found is not None and (found.accepted(bound) or not last):
        return found
    if progress and found is not None:
        progress(
            f"whole units over every family at once: {found.value:,.2f} EUR; family by family too"
        )
    requests: list[tuple[object, ...]] = [
        ("rounded", n, weights[family == n], share[n], search_eur) for n in range(share.shape[0])
    ]
    replies = dict(families.each(requests))
    answers = [cast(_FamilyAnswer, replies[n]) for n in range(share.shape[0])]
    if all(a.stats["fits"] for a in answers):
        value = sum(a.value for a in answers)
        if found is None or value < found.value:
            found = _MixSolution(value, answers, share, parts)
    return found


@dataclass
class _MixPiece:
    """A family's part of the master's mix, for a search over every family at once
    (:func:`_round_jointly`): every route rounded down, and the routes through a depot and
    the stock routes that the mix uses in part, each of which may carry one unit more: their
    pool positions, costs, supply, demand and stock rows (numbered within the piece) and
    the units each of those rows has left, where they hold volume (:func:`_day_entries`:
    the route's position, ``depot * grid days + day``, m3 per unit), and what the family
    holds per depot and grid day with its depot and stock routes rounded down (its stock
    included; the direct routes hold none)."""

    routes: IntArray
    cost: FloatArray
    src: IntArray
    dem: IntArray
    left: FloatArray
    pos: IntArray
    cell: IntArray
    m3: FloatArray
    held: FloatArray


def _round_jointly(
    master: _Master,
    weights: FloatArray,
    families: _Families,
    parts: FloatArray,
) -> _MixSolution | None:
    """The master's mix (``weights``) in whole units over every family at once: each route
    through a depot, and each stock route, that the mix uses carries the whole number of
    units just below or above its part, within its rows and the depots' room on every day
    (:func:`_joint_search`); the direct routes keep the units the mix gives them rounded
    down.  Each family then matches again what its whole routes leave unsent and unmet
    (:meth:`_LocalFamilies.fixed`: LEMON over all its working routes that hold no volume),
    within the room its routes take plus a share of the spare room.  None where nothing
    whole fits.

    Rounded family by family, each part must fit the room the mix gives that family, and a
    family of few, bulky, dear units loses much that way: where the depots bind hard (30k
    listings a side, depot capacity cut to 30 %), climbing frames of 1.8 m3 at 4,500 EUR
    new lost 36,056 EUR of their part of 234,638 EUR.  Rounded together, they take room
    from families whose units are small, which lose little by giving it up.  (HiGHS's
    branch and bound with the direct routes in it too, continuous, came out 8,537 EUR
    dearer there than without them, in 190 s against 9.5 s.)"""
    family = np.asarray(master.family)
    n_fam = master.n_families
    replies = dict(families.each([("piece", n, weights[family == n]) for n in range(n_fam)]))
    pieces = [cast(_MixPiece, replies[n]) for n in range(n_fam)]
    more = _joint_search(pieces, master.room)
    if more is None:
        return None
    held = np.stack([p.held for p in pieces])
    for n, (piece, y) in enumerate(zip(pieces, more, strict=True)):
        np.add.at(held[n].reshape(-1), piece.cell, piece.m3 * y[piece.pos])
    share = _with_spare_room(held, master.room, list(range(n_fam)))
    requests: list[tuple[object, ...]] = [
        ("fixed", n, weights[family == n], piece.routes[y > 0], y[y > 0], share[n])
        for n, (piece, y) in enumerate(zip(pieces, more, strict=True))
    ]
    replies = dict(families.each(requests))
    answers = [cast(_FamilyAnswer, replies[n]) for n in range(n_fam)]
    if not all(a.stats["fits"] for a in answers):
        return None
    return _MixSolution(sum(a.value for a in answers), answers, share, parts, jointly=True)


def _joint_search(pieces: Sequence[_MixPiece], room: FloatArray) -> list[IntArray] | None:
    """Which routes of each piece carry their one unit more (0 or 1 per route), such that
    every row and every depot day stays within ``room``: the relaxation over every piece at
    once, solved by HiGHS, then rounded (:func:`_round_up_greedily`).  None where the pieces
    rounded down overfill a depot (the master leaned on its slack) or the rounding does.

    Each depot's volume is followed from day to day, as in :class:`_Master`, from the first
    to the last day on which it could overfill: a route then has an entry where it comes in
    and where it leaves, not on every day it stays (30k listings a side, depot capacity cut
    to 30 %: 30k against 230k entries).  HiGHS's branch and bound over the same model was
    tried, and lost against the rounding: at 100k listings a side with 20 depots (seed 3)
    it found whole units 12,476 EUR cheaper (0.05 % of the instance's cost) in 43.5 s,
    against 1.3 s."""
    from scipy.sparse import coo_matrix

    cost = np.concatenate([p.cost for p in pieces])
    route_at = np.cumsum([0] + [p.routes.size for p in pieces])
    row_at = np.cumsum([0] + [p.left.size for p in pieces])
    src = np.concatenate([p.src + row_at[n] for n, p in enumerate(pieces)])
    dem = np.concatenate([p.dem + row_at[n] for n, p in enumerate(pieces)])
    left = np.concatenate([p.left for p in pieces]).astype(np.float64)
    pos = np.concatenate([p.pos + route_at[n] for n, p in enumerate(pieces)])
    cell = np.concatenate([p.cell for p in pieces])
    m3 = np.concatenate([p.m3 for p in pieces])
    held = sum((p.held for p in pieces), np.zeros(room.shape)).ravel()
    limit = room.ravel() + _room_tol(room)
    if (held > limit).any():
        return None
    most = held + np.bincount(cell, np.maximum(m3, 0.0), room.size)
    binding = (most > limit).reshape(room.shape)
    n_free = cost.size
    if n_free == 0:
        return [np.zeros(p.routes.size, np.int64) for p in pieces]
    # the chain of each depot, from the first day that binds to the last (grid days are
    # consecutive cells of ``room``, depot by depot)
    n_days = room.shape[1]
    day = np.arange(n_days)
    has = binding.any(axis=1)
    start = np.where(has, binding.argmax(axis=1), n_days)
    stop = np.where(has, n_days - 1 - binding[:, ::-1].argmax(axis=1), -1)
    in_chain = ((day >= start[:, None]) & (day <= stop[:, None])).ravel()
    chain = np.nonzero(in_chain)[0]
    row_of = np.full(room.size, -1)
    row_of[chain] = np.arange(chain.size)
    # a route holds volume on consecutive days of one depot: within the chain, from row
    # ``first`` to row ``end`` (excluded), which is that of the day after its last, unless
    # its chain ends first; -1 where it holds nothing in the chain
    per_unit = np.zeros(n_free)
    per_unit[pos] = m3
    days_held = np.bincount(pos, minlength=n_free)
    on = in_chain[cell]
    came = np.full(n_free, room.size)
    np.minimum.at(came, pos[on], cell[on])
    gone = np.full(n_free, -1)
    np.maximum.at(gone, pos[on], cell[on])
    holds = gone >= 0
    first = np.where(holds, row_of[np.minimum(came, room.size - 1)], -1)
    end = np.where(holds, row_of[np.maximum(gone, 0)] + 1, -1)
    after = gone + 1
    leaves = holds & (after % n_days != 0) & in_chain[np.minimum(after, room.size - 1)]
    # rows: the pieces' supply, demand and stock rows, then a chain row per day, which
    # sets that day's held volume (its own column, +1; the day before's, -1) to what
    # comes in that day less what leaves
    n_rows = left.size + chain.size
    # the days whose day before is in the same chain
    follows = np.nonzero((chain[:-1] + 1 == chain[1:]) & (chain[1:] % n_days != 0))[0]
    coming, leaving = np.nonzero(holds)[0], np.nonzero(leaves)[0]
    matrix = coo_matrix(
        (
            np.concatenate(
                [
                    np.ones(2 * n_free),
                    -per_unit[coming],
                    per_unit[leaving],
                    np.ones(chain.size),
                    -np.ones(follows.size),
                ]
            ),
            (
                np.concatenate(
                    [
                        np.arange(n_free),
                        np.arange(n_free),
                        coming,
                        leaving,
                        n_free + np.arange(chain.size),
                        n_free + follows,
                    ]
                ),
                np.concatenate(
                    [
                        src,
                        dem,
                        left.size + first[coming],
                        left.size + end[leaving],
                        left.size + np.arange(chain.size),
                        left.size + follows + 1,
                    ]
                ),
            ),
        ),
        shape=(n_free + chain.size, n_rows),
    ).tocsr()  # column by column
    room_left = np.where(binding.ravel(), room.ravel() - held, _INF)[chain]
    h = _new_highs()
    h.addRows(
        n_rows,
        np.concatenate([np.full(left.size, -_INF), np.zeros(chain.size)]),
        np.concatenate([left, np.zeros(chain.size)]),
        0,
        np.zeros(n_rows, np.int32),
        np.empty(0, np.int32),
        np.empty(0),
    )
    h.addCols(
        matrix.shape[0],
        np.concatenate([cost, np.zeros(chain.size)]),
        np.concatenate([np.zeros(n_free), np.full(chain.size, -_INF)]),
        np.concatenate([np.ones(n_free), room_left]),
        matrix.nnz,
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )
    _run(h)
    y = _round_up_greedily(
        np.asarray(h.getSolution().col_value)[:n_free],
        cost,
        cost / np.maximum(np.abs(per_unit) * days_held, _CAP_TOL),  # per m3 and day held
        per_unit * holds,
        first,
        end,
        room_left,
        left,
        src,
        dem,
    )
    if y is None:
        return None
    more = y.astype(np.int64)
    return [more[route_at[n] : route_at[n + 1]] for n in range(len(pieces))]


def _round_up_greedily(
    y: FloatArray,
    cost: FloatArray,
    saving: FloatArray,
    volume: FloatArray,
    first: IntArray,
    end: IntArray,
    room: FloatArray,
    left: FloatArray,
    src: IntArray,
    dem: IntArray,
) -> FloatArray | None:
    """Whole units from ``y``: each route rounded down, then up again where its rows
    (``left``, units per row; ``src`` and ``dem``, each route's) and the ``room`` on the
    days it holds ``volume`` per unit (rows ``first`` to ``end`` of the chain, excluded;
    -1 where it holds none there) allow.  Stock that leaves goes first (its volume is
    negative: it frees room), then the routes that cost least (``saving``: per m3 and
    day held), those that save nothing never.  Where stock that the relaxation let leave
    in part stays, and its room is missed, storage leaves the days over the room, that
    which saves least first.  None where that is not enough (storage whole in the
    relaxation leaves too, so only rounding errors could)."""
    z = np.floor(y + _INT_TOL)
    left = left - np.bincount(src, z, left.size) - np.bincount(dem, z, left.size)
    holds = first >= 0
    change = np.zeros(room.size + 1)
    np.add.at(change, first[holds], volume[holds] * z[holds])
    np.add.at(change, end[holds], -volume[holds] * z[holds])
    free = room - np.cumsum(change)[:-1]
    up = np.nonzero(y - z > _INT_TOL)[0]
    for r in up[np.lexsort((saving[up], volume[up] >= 0))].tolist():
        leaves = volume[r] < 0
        if (cost[r] >= 0 and not leaves) or left[src[r]] < 1 or left[dem[r]] < 1:
            continue
        if holds[r]:
            days = slice(first[r], end[r])
            if not leaves and (free[days] < volume[r] - _CAP_TOL).any():
                continue
            free[days] -= volume[r]
        z[r] += 1
        left[src[r]] -= 1
        left[dem[r]] -= 1
    tol = _CAP_TOL * np.maximum(1.0, np.abs(room))
    stored = np.nonzero((z > 0) & holds & (volume > 0))[0]
    for r in stored[np.argsort(-saving[stored], kind="stable")].tolist():
        if (free >= -tol).all():
            break
        days = slice(first[r], end[r])
        while z[r] > 0 and (free[days] < -tol[days]).any():
            z[r] -= 1
            free[days] += volume[r]
    return z if (free >= -tol).all() else None


def _with_spare_room(held: FloatArray, room: FloatArray, among: Sequence[int]) -> FloatArray:
    """``held`` (per family, depot and grid day) with the room it leaves spare shared out
    among families ``among``, in proportion to what each holds that day (evenly where they
    hold nothing): the rooms then add up to what the depots hold."""
    # a volume that cancels out to zero may come out as -1e-16: split the spare room only
    # where a family's part holds something, or it goes by the ratio of two rounding errors
    share = np.maximum(held, 0.0)
    spare = np.maximum(room - share.sum(axis=0), 0.0)
    total = share[among].sum(axis=0)
    for n in among:
        even = np.full(total.shape, 1 / len(among))
        fraction = np.divide(share[n], total, out=even, where=total > _CAP_TOL)
        share[n] += fraction * spare
    return share


def _family_rooms(
    master: _Master, weights: FloatArray
) -> tuple[FloatArray, dict[int, int], list[int]]:
    """The room each family gets from the master's combination (``weights``): per family,
    depot and grid day, the volume its part of the combination holds, plus a share of the
    depots' spare room in proportion (the rooms add up to what the depots hold).  Also the
    families whose part is one whole column (family -> that column's position among its own)
    and the others, which get the spare room."""
    n_fam = master.n_families
    share = np.zeros((n_fam,) + master.room.shape)
    keep: dict[int, int] = {}
    seen = [0] * n_fam  # columns of each family so far: a column's position among its own
    for j, (n, column) in enumerate(zip(master.family, master.columns, strict=True)):
        share[n] += weights[j] * column.volume
        if weights[j] >= 1 - _WHOLE_TOL and column.whole:
            keep[n] = seen[n]
        seen[n] += 1
    again = [n for n in range(n_fam) if n not in keep]
    return _with_spare_room(share, master.room, again), keep, again


def _whole_families(
    master: _Master,
    weights: FloatArray,
    families: _Families,
    answers: list[_FamilyAnswer],
    grid: IntArray,
    instance: Instance,
    progress: Progress | None,
) -> tuple[list[_FamilyAnswer], int]:
    """Each family's whole-unit solution within the room its part of the master's combination
    takes: the column itself where that part is one whole column, else solved again."""
    share, keep, again = _family_rooms(master, weights)
    kept: list[tuple[object, ...]] = [("column", n, j) for n, j in keep.items() if j > 0]
    return _within_rooms(families, answers, share, again, kept, grid, instance, progress)


def _within_rooms(
    families: _Families,
    answers: list[_FamilyAnswer],
    share: FloatArray,
    again: list[int],
    requests: list[tuple[object, ...]],
    grid: IntArray,
    instance: Instance,
    progress: Progress | None,
    gap_eur: float = 0.0,
) -> tuple[list[_FamilyAnswer], int]:
    """``answers`` with families ``again`` solved again in whole units within their room
    (``share``, per family, depot and ``grid`` day), each search stopping ``gap_eur`` euros
    above its bound at most, and the answers to ``requests``."""
    capacities = [k.capacity_m3 for k in instance.depots]
    requests = list(requests)
    for n in again:
        taken = {
            depot.id: [
                (date.fromordinal(int(d)), max(float(c - v), 0.0))
                for d, v in zip(grid.tolist(), share[n][k].tolist(), strict=True)
            ]
            for k, (depot, c) in enumerate(zip(instance.depots, capacities, strict=True))
        }
        requests.append(("within", n, capacities, taken, gap_eur))
    if not requests:  # nothing to solve again: the same list, which the caller can tell
        return answers, 0
    if progress and again:
        which = "family" if len(again) == 1 else "families"
        progress(f"{len(again)} {which} solved again within the room the master gives them")
    out = list(answers)  # the families not asked keep the answers they have
    for n, reply in families.each(requests, largest_first=False):
        out[n] = cast(_FamilyAnswer, reply)
    return out, len(again)


def _restore_capacity(
    model: _Model,
    capacities: Sequence[float],
    reserved_m3: Mapping[str, Sequence[tuple[date, float]]],
) -> None:
    """Give a family's model its depots' real ``capacities``, less ``reserved_m3``; the next
    solve of its relaxation adds the depot-day rows this makes binding, from its optimum so
    far."""
    tables = model.tables
    tables.k_capacity_m3[:] = capacities
    model.cap_rhs = tables.k_capacity_m3 - model.stock_m3
    model.reserved = _reserved_steps(tables, model.stock_m3, reserved_m3)


def _set_prices(gen: _Generation, grid: IntArray, prices: FloatArray | None) -> None:
    """Charge ``prices`` (per m3, per depot and grid day; None: no prices) on the volume that
    routes hold, in the model and (when next used) on every working column in HiGHS."""
    model = gen.model
    if prices is None:
        model.prices = None
    else:
        model.prices = []
        for k in range(len(model.tables.k_ids)):
            on = np.nonzero(prices[k] > 0)[0]
            model.prices.append((grid[on], prices[k][on]))
    gen.prices_changed()


class _GlobalIndex:
    """Maps a part's supply, demand and stock rows to the whole instance's."""

    def __init__(self, tables: Tables) -> None:
        self.supply = {sid: n for n, sid in enumerate(tables.s_ids)}
        self.demand = {did: n for n, did in enumerate(tables.d_ids)}
        self.stock = {iid: n for n, iid in enumerate(tables.i_ids)}

    def rows(self, ids: Sequence[str], of: dict[str, int]) -> IntArray:
        return np.fromiter((of[i] for i in ids), np.int64, len(ids))

    def chosen(self, answer: _FamilyAnswer) -> tuple[RoutePool, IntArray]:
        """A family's routes that carry units, in the instance's rows."""
        pool = answer.pool
        s_map = self.rows(answer.s_ids, self.supply)
        i_map = self.rows(answer.i_ids, self.stock)
        d_map = self.rows(answer.d_ids, self.demand)
        stock = pool.kind == STOCK
        src = pool.src.copy()
        src[stock] = i_map[pool.src[stock]]
        src[~stock] = s_map[pool.src[~stock]]
        return replace(pool, src=src, dem=d_map[pool.dem]), answer.x


@dataclass
class _FamilyAnswer:
    """A family's solution as it travels back from a solver: the routes that carry units (in
    the family's own rows, named by ``s_ids``, ``d_ids`` and ``i_ids``), their units, the
    relaxation's value (constant included) and the family's counts and timings."""

    pool: RoutePool
    x: IntArray
    value: float
    s_ids: tuple[str, ...]
    d_ids: tuple[str, ...]
    i_ids: tuple[str, ...]
    stats: dict[str, float]


# Euro costs are scaled to whole units of this much for the network simplex (0.1 micro-euro).
_NETWORK_SCALE = 1e7
# LEMON's pivot rule for a network simplex that goes on from its last tree.  Replayed on the
# price rounds of 100k x 20 depots seed 3 (the families' working sets of 130k-280k routes,
# 5-9 solves each from a tree), the candidate list took 0.42-4.74 s where LEMON's default,
# the block search, took 0.56-5.73 s (24-35 % less on each); from nothing, the block search
# is the faster (1.24 s against 1.77 s on the largest), so a graph's first solve keeps it.
_WARM_PIVOT_RULE = "candidate_list"
# The pivot rule of the one solve that matches what rounding leaves over every working route
# that holds no volume (:func:`_transport_flow`).  Replayed on those 43 solves of 100k x 20
# depots seed 4 (from nothing), the block search took 846k pivots and 3.7-4.1 s, the candidate
# list (as it is since it holds 2 sqrt(m) arcs) 574k and 2.4 s.  A family's first solve, on
# its few first routes, keeps the block search: 0.17-0.22 s for the 43, against 0.35-0.38 s.
_LEFTOVER_PIVOT_RULE = "candidate_list"
# The pivot rule of the improvement bound's min-cost flow (:func:`_improvement_bound`), solved
# from nothing each time.
_BOUND_PIVOT_RULE = "candidate_list"


@dataclass
class _NetworkSolution:
    """What :func:`_network_solve` found on a working set.

    Its duals come from the nodes' potentials, the network simplex's tree's, which the next
    solve moves on; they are read at the first use of :attr:`row_dual` or :meth:`basis`,
    which must come before the network solves again.  A restricted round's solution is
    priced only where a full round goes on from it.  (When the potentials were LEMON's, a
    shortest-path search at each read, that saved 4.4 s of the workers' 66 s in restricted
    rounds of 100k x 20 depots seed 3.)"""

    x: FloatArray  # units per working route
    error: float  # how far the value may lie above the optimum (costs rounded)
    tol: float  # the reduced cost below ``-tol`` at which a route counts as improving
    flow: _Flow
    network: weakref.ref[_FlowNetwork]  # the graph it was found on
    solve: int  # which of that graph's solves found it (:attr:`_FlowNetwork.solves`)
    potential: IntArray | None = None  # per node, Z last (:meth:`read_duals`)

    def read_duals(self) -> IntArray:
        """The nodes' potentials, read from the network if not read yet."""
        if self.potential is None:
            self.potential = self._network().potentials()
        return self.potential

    def _network(self) -> _FlowNetwork:
        """The network as this solve left it (routes may have joined it since)."""
        network = self.network()
        if network is None or network.solves != self.solve:
            raise RuntimeError("the network has solved again: its duals are gone")
        return network

    @cached_property
    def row_dual(self) -> FloatArray:
        """Per base row, as HiGHS would give it (the pricer reads those): the reduced cost of
        ``u -> Z`` (or ``Z -> v``), less than or equal to 0."""
        found, m = self.flow, self.x.size
        pi = self.read_duals().astype(np.float64)
        arc_cost, senders, receivers = found.arc_cost, found.senders, found.receivers
        z = pi.size - 1
        row_dual = np.empty(z)
        row_dual[senders] = -(arc_cost[m : m + senders.size] + pi[senders] - pi[z])
        row_dual[receivers] = -(arc_cost[m + senders.size :] + pi[z] - pi[receivers])
        return row_dual / found.scale

    def basis(self) -> highspy.HighsBasis | None:
        """This optimum as a basis of the family's HiGHS model (:func:`_tree_basis`)."""
        f, potential = self.flow, self.read_duals()
        starts, ends = self._network().arcs(self.x.size)
        reduced = f.arc_cost + potential[starts] - potential[ends]
        return _tree_basis(starts, ends, f.flow, reduced, f.senders, f.receivers, self.x.size)


@dataclass
class _Flow:
    """A min-cost flow found by :func:`_transport_flow`, in LEMON's scaled whole costs."""

    flow: IntArray  # per arc: routes first, then u -> Z per sender, then Z -> v per receiver
    arc_cost: IntArray
    senders: IntArray
    receivers: IntArray
    scale: float  # euros times this are the scaled costs
    total: int  # units that the senders hold


def _network_scale(euros: FloatArray, units: int) -> float:
    """How many whole cost units a euro is in the network simplex: ``_NETWORK_SCALE``, or a
    tenth of it as often as needed so that no flow of ``units`` units can overflow."""
    scale = _NETWORK_SCALE
    while float(np.abs(euros).max(initial=0.0)) * scale * max(units, 1) > 2.0**61:
        scale /= 10
    return scale


class _FlowNetwork:
    """The transportation problem on a set of ``routes``, with ``qty`` units per row (supply,
    then demand, then stock), as a min-cost flow kept from one solve to the next
    (:class:`~matcher.netsimplex.GrowingNetwork`, LEMON's network simplex over arcs that
    can be added).

    Supply and stock rows send, demand rows receive, and a node ``Z`` stands for both what is
    not sent (``to_z`` per sending row) and what is bought new (``to_z`` per demand row).  A
    route from ``u`` to ``v`` then costs ``cost`` plus ``u -> Z`` plus ``Z -> v``, which is
    never negative, and changes the objective by a constant.  Costs are rounded to
    ``1 / _NETWORK_SCALE`` euro (less where the total could overflow).  The arcs to and from
    ``Z`` are the network's first spanning tree.

    Where the costs change from one solve to the next (new prices on depot days), or routes
    join (:meth:`extend`: the routes that pricing let in), the network simplex goes on from
    its last spanning tree.  Its first solve picks entering arcs by LEMON's block search;
    the solves that go on from a tree, by its candidate list (``_WARM_PIVOT_RULE``)."""

    def __init__(
        self, model: _Model, routes: IntArray, qty: IntArray, graph: GrowingNetwork | None = None
    ) -> None:
        """``graph``, where given, is this network as another process left it
        (:meth:`_LocalFamilies.adopt`), to go on from."""
        tables = model.tables
        n_s, n_d = len(tables.s_ids), len(tables.d_ids)
        n_rows = model.n_base_rows
        self.model = model
        self.routes = routes
        self.src, self.dem = model.src_rows(routes), model.dem_rows(routes)
        self.senders = np.concatenate([np.arange(n_s), np.arange(n_s + n_d, n_rows)])
        self.receivers = np.arange(n_s, n_s + n_d)
        self.total = int(qty.sum())
        self.capacity = max(self.total, 1)
        if graph is not None:
            assert graph.n_arcs == n_rows + routes.size
            self.graph = graph
            return
        z = n_rows
        supply = np.concatenate([qty, [0]]).astype(np.int64)
        supply[n_s : n_s + n_d] *= -1
        supply[z] = -int(supply[:z].sum())
        # the hub arcs in node order: u -> Z from each sending row, Z -> v to each demand row
        sends = np.ones(n_rows, bool)
        sends[self.receivers] = False
        rows = np.arange(n_rows)
        self.graph = GrowingNetwork(
            supply, z, np.where(sends, rows, z), np.where(sends, z, rows), self.capacity
        )
        self.graph.add_arcs(self.src, self.dem, self.capacity)

    @property
    def solves(self) -> int:
        """How many times the network has been solved (here or where it came from)."""
        return self.graph.solves

    def arcs(self, m: int) -> tuple[IntArray, IntArray]:
        """Starts and ends per arc in :class:`_Flow`'s order, for the first ``m`` routes
        (those of a solve made before routes joined): routes, then ``u -> Z``, then ``Z -> v``."""
        z = self.model.n_base_rows
        starts = np.concatenate([self.src[:m], self.senders, np.full(self.receivers.size, z)])
        ends = np.concatenate([self.dem[:m], np.full(self.senders.size, z), self.receivers])
        return starts, ends

    def extend(self, routes: IntArray) -> None:
        """Grow the network to ``routes``, which start with the routes it has: the others
        join at no flow, and the next solve goes on from the last tree."""
        new = routes[self.routes.size :]
        src, dem = self.model.src_rows(new), self.model.dem_rows(new)
        self.graph.add_arcs(src, dem, self.capacity)
        self.routes = routes
        self.src, self.dem = np.concatenate([self.src, src]), np.concatenate([self.dem, dem])

    def holds_start_of(self, routes: IntArray) -> bool:
        """Whether ``routes`` begins with this network's routes (so :meth:`extend` fits)."""
        k = self.routes.size
        return routes is self.routes or (
            routes.size >= k and bool(np.array_equal(routes[:k], self.routes))
        )

    def potentials(self) -> IntArray:
        """Per node, ``Z`` last: the reduced cost of ``u -> v`` is ``c + p[u] - p[v]``."""
        return self.graph.potentials()

    def solve(self, cost: FloatArray, to_z: FloatArray, first_rule: str = "block_search") -> _Flow:
        """The min-cost flow with ``cost`` euros per unit on the routes and ``to_z`` on the
        arcs to and from ``Z``, by the pivot rule ``first_rule`` where the network has not
        been solved yet (``_WARM_PIVOT_RULE`` where it goes on from a tree).  The nodes'
        potentials (the reduced cost of ``u -> v`` is ``c + p[u] - p[v]``) are in
        :meth:`potentials` until the next solve."""
        n_rows = self.model.n_base_rows
        euros = np.concatenate([to_z[:n_rows], cost + to_z[self.src] + to_z[self.dem]])
        scale = _network_scale(euros, self.total)
        cost_in_graph = np.maximum(np.round(euros * scale), 0).astype(np.int64)
        self.graph.set_costs(cost_in_graph)
        rule = _WARM_PIVOT_RULE if self.solves else first_rule
        self.graph.solve(rule)
        in_graph = self.graph.flow()
        m = self.routes.size

        def as_flow(a: IntArray) -> IntArray:  # in _Flow's order
            return np.concatenate([a[n_rows : n_rows + m], a[self.senders], a[self.receivers]])

        return _Flow(
            as_flow(in_graph),
            as_flow(cost_in_graph),
            self.senders,
            self.receivers,
            scale,
            self.total,
        )


def _transport_flow(
    model: _Model, routes: IntArray, cost: FloatArray, qty: IntArray, to_z: FloatArray
) -> _Flow:
    """The transportation problem on ``routes`` (costing ``cost`` euros per unit), with
    ``qty`` units per row, solved once as a min-cost flow by LEMON's network simplex
    (:class:`_FlowNetwork`)."""
    return _FlowNetwork(model, routes, qty).solve(cost, to_z, _LEFTOVER_PIVOT_RULE)


def _network_solve(gen: _Generation) -> _NetworkSolution:
    """The priced relaxation of a family without depot-day rows on ``gen``'s working set,
    solved as a min-cost flow (:func:`_transport_flow`): what is not sent pays its disposal
    fee, stock stays at the price of the room it holds, and what is not met is bought new.
    Its duals are read from the network when first asked for (:class:`_NetworkSolution`)."""
    model = gen.model
    tables, work = model.tables, gen.work
    to_z = _priced_leftover_costs(model)  # per sending row: u -> Z; per demand: Z -> v
    if gen.network is not None and gen.network.holds_start_of(work):
        gen.network.extend(work)  # the routes let in join the last tree
    else:
        gen.network = None  # its graph goes before the next one is built
        gen.network = _FlowNetwork(model, work, _row_qty(tables))
    found = gen.network.solve(_column_costs(model, work), to_z)
    # The duals are exact for the rounded costs, so a route counts as improving only below
    # -tol, and the value may lie above the optimum by the rounding (per unit on at most two
    # arcs, in the solution and in the optimum) and by tol per unit.
    tol = 2 / found.scale
    error = (found.total + 1) * (1 / found.scale + tol)
    return _NetworkSolution(
        found.flow[: work.size].astype(np.float64),
        error,
        tol,
        found,
        weakref.ref(gen.network),
        gen.network.solves,
    )


def _round_mix(
    model: _Model, work: IntArray, mix: FloatArray, grid: IntArray, room: FloatArray
) -> IntArray:
    """Whole units per pool route from ``mix``, a fractional solution on ``work`` (a mix of
    whole solutions), that fit ``room`` (per depot and day of ``grid``: the volume the family
    may hold, its stock included).

    Routes are rounded down, except that each stock item leaves rounded *up*, day by day
    (so no stock stays longer than in the mix); a demand that this gives more than its
    quantity gives back units on its dearest routes.  Where the result still holds more than
    ``room`` (``mix`` need not fit it), storage that saves least per m3 and day held leaves
    the days over it (:func:`_fit_storage`).  Storage routes rounded down are then rounded up
    again where the room, the supply and the demand allow, those that save most per m3 and
    day held first.  What is still unsent and unmet is matched again (:func:`_transport_flow`,
    without prices) over the working routes that hold no depot volume: direct routes,
    transfers through a depot, and stock, which frees room when it leaves; what is left after
    that is stored where the room left free allows (:func:`_store_what_is_left`)."""
    pool, tables = model.pool, model.tables
    n_s, n_d, n_rows = len(tables.s_ids), len(tables.d_ids), model.n_base_rows
    x = np.floor(mix + _INT_TOL).astype(np.int64)
    stock = np.nonzero((pool.kind == STOCK) & (mix > _INT_TOL))[0]
    if stock.size:
        item = model.src_rows(stock)
        order = np.lexsort((pool.q[stock], item))
        stock, item = stock[order], item[order]
        cum = np.cumsum(mix[stock])
        first = np.r_[True, item[1:] != item[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(stock.size), 0))
        left_by = cum - (cum[start] - mix[stock][start])  # units of the item gone by each q
        gone = np.ceil(left_by - _INT_TOL).astype(np.int64)
        gone = np.minimum(gone, tables.i_qty[item - n_s - n_d])
        x[stock] = gone - np.where(first, 0, np.r_[0, gone[:-1]])
    qty = _row_qty(tables)
    carrying = np.nonzero(x > 0)[0]
    carrying_to = model.dem_rows(carrying)
    received = np.bincount(carrying_to, x[carrying], n_rows).astype(np.int64)
    for d in np.nonzero(received > qty)[0].tolist():
        routes = carrying[carrying_to == d]
        excess = int(received[d] - qty[d])
        for r in routes[np.argsort(-model.obj[routes], kind="stable")].tolist():
            back = min(excess, int(x[r]))
            x[r] -= back
            excess -= back
            if excess == 0:
                break
    free_room = _fit_storage(model, x, grid, room)
    carrying = np.nonzero(x > 0)[0]
    left = _left_per_row(model, carrying, x[carrying])
    _round_storage_up(model, mix, x, left, grid, free_room)
    _match_what_is_left(model, work, x, left, grid, free_room)
    return x


def _match_what_is_left(
    model: _Model, work: IntArray, x: IntArray, left: IntArray, grid: IntArray, free: FloatArray
) -> None:
    """Match what ``x`` leaves unsent and unmet (``left``, per row), in place: first over
    the working routes that hold no depot volume (:func:`_transport_flow`, without prices:
    direct routes, transfers through a depot, and stock, which frees room when it leaves),
    then, with what is left after that, over storage routes within the ``free`` room
    (:func:`_store_what_is_left`)."""
    pool, tables = model.pool, model.tables
    n_s, n_d = len(tables.s_ids), len(tables.d_ids)
    direct = work[(pool.kind[work] != DEPOT) | (pool.q[work] <= pool.p[work])]
    if (
        direct.size
        and left[n_s : n_s + n_d].any()
        and (left[:n_s].any() or left[n_s + n_d :].any())
    ):
        to_z = _leftover_costs(tables)
        sent = _transport_flow(model, direct, model.obj[direct], left, to_z).flow[: direct.size]
        x[direct] += sent
        on = sent > 0
        np.subtract.at(left, model.src_rows(direct[on]), sent[on])
        np.subtract.at(left, model.dem_rows(direct[on]), sent[on])
    _store_what_is_left(model, work, x, left, grid, free)


def _rows_within_room(
    model: _Model,
    r: IntArray,
    lower: FloatArray,
    upper: FloatArray,
    qty: IntArray,
    grid: IntArray,
    free: FloatArray,
    tol: float,
) -> tuple[csr_matrix, FloatArray, tuple[IntArray, IntArray, FloatArray]]:
    """The rows of a small LP over routes ``r``, whose units lie between ``lower`` and
    ``upper``: one per supply, demand and stock row they use (at most ``qty`` of it), and one
    per depot and ``grid`` day on which they could hold more than ``free`` (per depot and
    grid day) by ``tol``, each route at its upper bound and each stock route at its lower.
    Returns the matrix, the rows' limits, and the routes' entries on every depot day
    (:func:`_day_entries`, the day as ``depot * grid.size + day``)."""
    from scipy.sparse import coo_matrix

    src, dem = model.src_rows(r), model.dem_rows(r)
    rows = np.unique(np.concatenate([src, dem]))
    pos, cell, m3 = _day_entries(model, r, [grid] * free.shape[0])
    most = np.bincount(cell, m3 * np.where(m3 > 0, upper[pos], lower[pos]), free.size)
    binding = np.nonzero(most > free.ravel() + tol)[0]
    on = np.isin(cell, binding)
    matrix = coo_matrix(
        (
            np.concatenate([np.ones(2 * r.size), m3[on]]),
            (
                np.concatenate(
                    [
                        np.searchsorted(rows, src),
                        np.searchsorted(rows, dem),
                        rows.size + np.searchsorted(binding, cell[on]),
                    ]
                ),
                np.concatenate([np.arange(r.size), np.arange(r.size), pos[on]]),
            ),
        ),
        shape=(rows.size + binding.size, r.size),
    ).tocsr()
    limit = np.concatenate([qty[rows], free.ravel()[binding]]).astype(np.float64)
    return matrix, limit, (pos, cell, m3)


def _highs_within_rows(
    cost: FloatArray, lower: FloatArray, upper: FloatArray, matrix: csr_matrix, limit: FloatArray
) -> highspy.Highs:
    """HiGHS over a column per route (``cost``, between ``lower`` and ``upper``) and the rows
    of :func:`_rows_within_room` (``matrix``, each at most its ``limit``)."""
    n, n_rows = cost.size, matrix.shape[0]
    h = _new_highs()
    h.addCols(n, cost, lower, upper, 0, np.zeros(n, np.int32), np.empty(0, np.int32), np.empty(0))
    h.addRows(
        n_rows,
        np.full(n_rows, -_INF),
        limit,
        matrix.nnz,
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )
    return h


def _search_around_mix(
    model: _Model, work: IntArray, mix: FloatArray, grid: IntArray, room: FloatArray, gap_eur: float
) -> IntArray | None:
    """Whole units from ``mix`` (as in :func:`_round_mix`) by a small branch and bound
    around it (RENS): each route through a depot, and each stock route, that the mix uses
    may carry the whole number of units just below or just above its part, within the rows
    of its supply, demand and stock and within ``room`` on every depot day those routes
    could overfill; the direct routes it uses stay continuous.  The search stops ``gap_eur``
    euros above its bound, or at ``_MIP_MAX_NODES`` nodes.  With the depot and stock routes
    whole, what they leave unsent and unmet is matched again (:func:`_match_what_is_left`:
    LEMON over every working route that holds no depot volume, whose solutions are whole).
    None where it finds no solution.

    The mix fits its room, so the search's relaxation costs no more than the mix; a family of
    few, bulky and dear units loses much where each route is rounded on its own (100k x 20
    depots: park benches 39,598 EUR above their part of the master's mix that way, 8,024 EUR
    by this search, in 1.4 s; with the direct routes whole too, 8,933 EUR in 2.7 s)."""
    pool = model.pool
    r = np.nonzero(mix > _INT_TOL)[0]
    if r.size == 0:
        return None
    lower = np.floor(mix[r] + _INT_TOL)
    upper = np.ceil(mix[r] - _INT_TOL)
    free = room - _held_by(model, np.zeros(len(pool), np.int64), grid)  # less stock, promised
    qty = _row_qty(model.tables)
    matrix, limit, _ = _rows_within_room(model, r, lower, upper, qty, grid, free, _room_tol(room))
    h = _highs_within_rows(model.obj[r], lower, upper, matrix, limit)
    depot = np.nonzero(pool.kind[r] != DIRECT)[0]
    h.changeColsIntegrality(
        depot.size, depot.astype(np.int32), np.full(depot.size, highspy.HighsVarType.kInteger)
    )
    h.setOptionValue("mip_rel_gap", _MIP_REL_GAP)
    h.setOptionValue("mip_abs_gap", max(gap_eur, _MIP_ABS_GAP))
    h.setOptionValue("mip_max_nodes", _MIP_MAX_NODES)
    h.setOptionValue("time_limit", _MIP_TIME_LIMIT_S)
    h.run()
    if h.getInfo().primal_solution_status == 0:
        return None
    x = np.zeros(len(pool), np.int64)
    x[r[depot]] = np.round(np.asarray(h.getSolution().col_value)[depot]).astype(np.int64)
    free_room = room - _held_by(model, x, grid)
    carrying = np.nonzero(x > 0)[0]
    left = _left_per_row(model, carrying, x[carrying])
    _match_what_is_left(model, work, x, left, grid, free_room)
    return x


def _store_what_is_left(
    model: _Model, work: IntArray, x: IntArray, left: IntArray, grid: IntArray, free: FloatArray
) -> None:
    """Store units that are still unsent and unmet (``left``, per row) over the working
    storage routes between them, within the ``free`` room (per depot and ``grid`` day), in
    place: a small LP (HiGHS) with a row per such supply and demand and per depot day those
    routes could overfill, its solution rounded down (storage rounded down holds less).
    (HiGHS's dual simplex called directly: through scipy's ``linprog`` each worker first
    imported ``scipy.optimize``, 0.3 s, while the others waited for it.)"""
    pool = model.pool
    r = work[(pool.kind[work] == DEPOT) & (pool.q[work] > pool.p[work])]
    src, dem = model.src_rows(r), model.dem_rows(r)
    keep = (left[src] > 0) & (left[dem] > 0) & (model.obj[r] < 0)
    r, src, dem = r[keep], src[keep], dem[keep]
    if r.size == 0:
        return
    # a depot day binds only where what could come in is more than its free room
    most = np.minimum(left[src], left[dem]).astype(np.float64)
    matrix, limit, (pos, cell, m3) = _rows_within_room(
        model, r, np.zeros(r.size), most, left, grid, free, _room_tol(free)
    )
    unbounded = np.full(r.size, _INF)
    h = _highs_within_rows(model.obj[r], np.zeros(r.size), unbounded, matrix, np.maximum(limit, 0))
    h.setOptionValue("simplex_strategy", 1)  # dual
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return
    units = np.floor(np.asarray(h.getSolution().col_value) + _INT_TOL).astype(np.int64)
    x[r] += units
    np.subtract.at(left, src, units)
    np.subtract.at(left, dem, units)
    np.subtract.at(free, np.unravel_index(cell, free.shape), units[pos] * m3)


def _room_tol(room: FloatArray) -> float:
    """The overfill of ``room`` that counts as none (a family's own model has its capacity set
    aside, so the tolerance goes by the room it is given)."""
    return _CAP_TOL * max(1.0, float(np.abs(room).max(initial=1.0)))


def _held_by(model: _Model, x: IntArray, grid: IntArray) -> FloatArray:
    """The volume ``x`` (whole units per pool route) holds per depot and ``grid`` day."""
    carrying = np.nonzero(x > 0)[0]
    return _volume_held(model, carrying, x[carrying].astype(np.float64), grid)


def _fit_storage(model: _Model, x: IntArray, grid: IntArray, room: FloatArray) -> FloatArray:
    """Take storage units out of ``x``, in place, until it holds no more than ``room`` (per
    depot and ``grid`` day) wherever that can be done by storage alone: on each depot, the
    routes that save least per m3 and day held leave first, each only as far as the days over
    the room it spans need.  Returns the room left free."""
    pool = model.pool
    free = room - _held_by(model, x, grid)
    tol = _room_tol(room)
    for k in np.nonzero((free < -tol).any(axis=1))[0].tolist():
        on_k = np.nonzero((x > 0) & (pool.depot == k) & (pool.kind == DEPOT) & (pool.q > pool.p))[0]
        held = model.m3_of(on_k) * (pool.q[on_k] - pool.p[on_k])
        on_k = on_k[np.argsort(-model.obj[on_k] / held, kind="stable")]  # least saving first
        lo, hi = np.searchsorted(grid, pool.p[on_k]), np.searchsorted(grid, pool.q[on_k])
        row = free[k]
        for r, a, b in zip(on_k.tolist(), lo.tolist(), hi.tolist(), strict=True):
            over = -row[a:b].min(initial=0.0)
            if over <= tol:
                continue
            m3 = float(model.tables.mat_m3[pool.mat[r]])
            out = min(int(x[r]), int(np.ceil(over / m3 - _INT_TOL)))
            x[r] -= out
            row[a:b] += out * m3
            if (row >= -tol).all():
                break
    return free


def _round_storage_up(
    model: _Model, mix: FloatArray, x: IntArray, left: IntArray, grid: IntArray, free: FloatArray
) -> None:
    """Round storage routes that ``x`` rounded down from ``mix`` up again, in place, where
    ``free`` room (per depot and ``grid`` day, updated), the supply and the demand (``left``,
    units per row, updated) allow: those that save most per m3 and day held first."""
    pool = model.pool
    down = np.nonzero((pool.kind == DEPOT) & (pool.q > pool.p) & (mix - x > _INT_TOL))[0]
    if down.size == 0:
        return
    held = model.m3_of(down) * (pool.q[down] - pool.p[down])
    down = down[np.argsort(model.obj[down] / held, kind="stable")]  # most saving first
    lo = np.searchsorted(grid, pool.p[down])
    hi = np.searchsorted(grid, pool.q[down])
    tol = _room_tol(free)
    for r, k, a, b, s, d, m3 in zip(
        down.tolist(),
        pool.depot[down].tolist(),
        lo.tolist(),
        hi.tolist(),
        model.src_rows(down).tolist(),
        model.dem_rows(down).tolist(),
        model.m3_of(down).tolist(),
        strict=True,
    ):
        if left[s] >= 1 and left[d] >= 1 and (free[k, a:b] >= m3 - tol).all():
            x[r] += 1
            left[s] -= 1
            left[d] -= 1
            free[k, a:b] -= m3


def _tree_basis(
    starts: IntArray,
    ends: IntArray,
    flow: IntArray,
    reduced: IntArray,
    senders: IntArray,
    receivers: IntArray,
    n_routes: int,
) -> highspy.HighsBasis | None:
    """The basis of a network simplex optimum in HiGHS's terms, from its flow and its arcs'
    ``reduced`` costs (route arcs first, then ``u -> Z`` per sender, then ``Z -> v`` per
    receiver; node ``Z`` last); None where the flow is not a tree solution.

    A spanning tree of arcs with zero reduced cost that holds every arc with flow is an
    optimal basis: its flow is the given one and its potentials price every other arc at no
    less than zero.  LEMON's own tree is such a tree, but ``pylmcf`` does not hand it out,
    so Kruskal's algorithm finds one: arcs with flow first, then those with zero reduced
    cost, then the arcs to and from ``Z``, which span every node (a tree that needs those is
    primal feasible only, which HiGHS mends).  A route arc in the tree is a basic column;
    ``u -> Z`` or ``Z -> v`` in it is a basic row (its slack: units not sent, or bought new),
    and a row whose arc is out of the tree sits at its quantity."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree

    n_nodes = senders.size + receivers.size + 1
    weight = np.zeros(flow.size, np.int64)  # 0: not a tree arc
    weight[reduced == 0] = 2
    weight[flow > 0] = 1
    to_or_from_z = weight[n_routes:]  # a view: sets the arcs to and from Z
    to_or_from_z[to_or_from_z == 0] = 3
    arcs = np.nonzero(weight)[0]
    lo, hi = np.minimum(starts[arcs], ends[arcs]), np.maximum(starts[arcs], ends[arcs])
    key = lo * n_nodes + hi
    order = np.lexsort((weight[arcs], key))  # per pair of nodes, its lightest arc first
    first = np.ones(order.size, bool)
    first[1:] = key[order][1:] != key[order][:-1]
    lightest = order[first]
    arcs, key = arcs[lightest], key[lightest]  # sorted by key
    graph = coo_matrix(
        (weight[arcs].astype(np.float64), (lo[lightest], hi[lightest])), shape=(n_nodes, n_nodes)
    )
    tree = minimum_spanning_tree(graph.tocsr()).tocoo()
    # scipy gives the tree's nodes in 32 bits: the key needs 64 from 46,341 nodes on
    row, col = tree.row.astype(np.int64), tree.col.astype(np.int64)
    picked = np.minimum(row, col) * n_nodes + np.maximum(row, col)
    assert picked.size == n_nodes - 1  # the arcs to and from Z reach every node
    in_tree = np.zeros(flow.size, bool)
    in_tree[arcs[np.searchsorted(key, picked)]] = True
    if (in_tree < (flow > 0)).any():
        return None
    row_basic = np.zeros(n_nodes - 1, bool)
    row_basic[senders] = in_tree[n_routes : n_routes + senders.size]
    row_basic[receivers] = in_tree[n_routes + senders.size :]
    status = highspy.HighsBasisStatus
    out = highspy.HighsBasis()
    out.col_status = [status.kBasic if b else status.kLower for b in in_tree[:n_routes].tolist()]
    # a row whose arc is out of the tree is full
    out.row_status = [status.kBasic if b else status.kUpper for b in row_basic.tolist()]
    out.valid = True
    return out


def _start_highs_from(gen: _Generation, found: _NetworkSolution) -> None:
    """Give ``gen``'s HiGHS model the basis of ``found``, LEMON's optimum on the same working
    set, to go on from in exact costs (where ``found`` is a tree solution)."""
    tree = found.basis()
    if tree is not None:
        gen.h.setBasis(tree)


def _network_generation(
    gen: _Generation, most: int | None = None, start: _NetworkSolution | None = None
) -> _NetworkSolution:
    """Column generation on ``gen``'s family without depot-day rows, as
    :meth:`_Generation.solve` does it, with each restricted problem solved by
    :func:`_network_solve`; the routes that enter join ``gen``'s HiGHS model too.
    Returns the last solve: on the final working set, or, after ``most`` solves, on the one
    before the last routes entered (``gen.shortfall`` then says how far below it the optimum
    may lie).  ``start``, where given, is the first solve, done already: an optimum on the
    same working set at the same prices."""
    solves = 0
    while True:
        gen.rounds += 1
        solves += 1
        if start is not None:
            found, start = start, None
        else:
            t0 = time.perf_counter()
            found = _network_solve(gen)
            gen.network_seconds = time.perf_counter() - t0
            gen.lp_seconds += gen.network_seconds
        t0 = time.perf_counter()
        entering, _ = gen.entering(found.row_dual, found.tol)
        gen.pricing_seconds += time.perf_counter() - t0
        if entering.size == 0:
            gen.shortfall, gen.stopped_short = 0.0, False
            return found
        gen.admit(entering)
        if most is not None and solves >= most:
            gen.shortfall, gen.stopped_short = gen.improvement_bound(), True
            return found


@dataclass
class _SearchAroundMix:
    """A family's part of the master's mix to make whole within ``room``: ``rounded`` is
    :func:`_round_mix`'s answer; :meth:`run` tries :func:`_search_around_mix` too, where
    :meth:`needed`, and keeps the cheaper.  It holds all it needs, so that any worker can
    run it."""

    model: _Model
    work: IntArray
    mix: FloatArray
    grid: IntArray
    room: FloatArray
    search_eur: float
    rounded: IntArray

    def value(self, x: FloatArray | IntArray) -> float:
        """What ``x`` costs, summed over the routes it uses only, so that the model of the
        working routes alone (:meth:`on_working_routes`) sums the same terms in the same
        order."""
        used = np.nonzero(x)[0]
        return float(self.model.obj[used] @ x[used]) + self.model.constant

    def value_if_it_fits(self, x: IntArray) -> float:
        return self.value(x) if _fits(self.model, x, self.grid, self.room) else np.inf

    @cached_property
    def rounded_value(self) -> float:
        """What the rounding costs, inf where it does not fit (asked by :meth:`needed`,
        then by :meth:`answer`)."""
        return self.value_if_it_fits(self.rounded)

    def needed(self) -> bool:
        """Whether the rounding loses more than ``search_eur`` against the mix, or does not
        fit."""
        value = self.rounded_value
        return value == np.inf or value > self.value(self.mix) + self.search_eur

    def on_working_routes(self) -> _SearchAroundMix | None:
        """The same search on a model of the working routes alone (in the pool's order, so
        the answer lists its routes as the whole model's would), which is all it reads: the
        model to carry to another worker shrinks (100k x 20 depots: 5.6 MB pickled against
        79 MB, for the family with most routes that needed the search).  None where the mix
        or the rounding uses a route outside them (they never do)."""
        model = self.model
        routes = np.sort(self.work)
        outside = np.ones(len(model.pool), bool)
        outside[routes] = False
        if self.mix[outside].any() or self.rounded[outside].any():
            return None
        working = replace(
            model,
            pool=model.pool.take(routes),
            obj=model.obj[routes],
            cap_days=[],
            cap_rows=[],
            pricer=None,
            prices=None,
            buffers=[],
        )
        work = np.searchsorted(routes, self.work)  # the working routes in their own order
        return replace(
            self, model=working, work=work, mix=self.mix[routes], rounded=self.rounded[routes]
        )

    def run(self) -> _FamilyAnswer:
        found = _search_around_mix(
            self.model, self.work, self.mix, self.grid, self.room, self.search_eur / 2
        )
        return self.answer(found)

    def answer(self, found: IntArray | None) -> _FamilyAnswer:
        """The cheaper of the rounding and ``found`` (the search's, if any) that fits."""
        tries = [self.rounded] if found is None else [self.rounded, found]
        values = [self.rounded_value] + [self.value_if_it_fits(x) for x in tries[1:]]
        best = int(np.argmin(values))
        if values[best] == np.inf:
            empty = np.zeros(len(self.model.pool), np.int64)
            return _LocalFamilies._answer(self.model, empty, np.inf, {"fits": 0.0})
        return _LocalFamilies._answer(self.model, tries[best], values[best], {"fits": 1.0})


def _fits(model: _Model, x: IntArray, grid: IntArray, room: FloatArray) -> bool:
    """Whether ``x`` (units per pool route) holds no more than ``room`` on any depot day."""
    return bool((_held_by(model, x, grid) <= room + _room_tol(room)).all())


def _answer_if_it_fits(
    model: _Model, x: IntArray, grid: IntArray, room: FloatArray
) -> _FamilyAnswer:
    """``x`` as a family's answer, with its cost, where it fits ``room``; else an empty
    answer that does not fit."""
    if not _fits(model, x, grid, room):
        empty = np.zeros(len(model.pool), np.int64)
        return _LocalFamilies._answer(model, empty, np.inf, {"fits": 0.0})
    used = np.nonzero(x)[0]
    value = float(model.obj[used] @ x[used]) + model.constant
    return _LocalFamilies._answer(model, x, value, {"fits": 1.0})


@dataclass
class _FamilyState:
    """A family as one worker hands it to another (:meth:`_LocalFamilies.handover`): its model,
    working routes (in the order they entered), columns, counts and timings, and its network
    (the routes it holds, and the network simplex with its tree), where it has one."""

    model: _Model
    work: IntArray
    columns: list[tuple[IntArray, FloatArray]]
    numbers: dict[str, float]
    counts: tuple[int, float, float, float]  # rounds, LP, pricing and last solve's seconds
    shortfall: float
    network: tuple[IntArray, GrowingNetwork] | None  # its routes and graph


class _LocalFamilies:
    """Solves families in this process and keeps each one's HiGHS model, and the solutions it
    found (its columns, as routes and units), from one request to the next."""

    def __init__(self, parts: Mapping[int, Instance], excluded_pairs: Collection[tuple[str, str]]):
        self.parts = parts
        self.excluded_pairs = excluded_pairs
        self.solvers: dict[int, _Generation] = {}
        self.columns: dict[int, list[tuple[IntArray, FloatArray]]] = {}
        self.grid = np.empty(0, np.int64)
        self.numbers: dict[int, dict[str, float]] = {}  # per family: its counts and timings
        # per family: its restricted rounds' solutions that a full round may start from, by
        # round (the last one and the centre's, see :meth:`restricted`)
        self.kept: dict[int, dict[int, _NetworkSolution]] = {}

    def first(
        self, n: int, grid: IntArray, solves: int | None = None
    ) -> tuple[_FamilyAnswer, list[_Column]]:
        """Family ``n`` with depot capacity set aside, and its first columns: that optimum,
        the same with only its storage routes that save most per m3 and day held (those
        above each of ``_FIRST_LEVELS`` quantiles of that saving), and the same without depot
        routes (which fits wherever the stock does).  Units that a column leaves out are not
        sent anywhere, so each is a solution, if a dear one, and the master can start from the
        storage that is worth most, family against family, not from all or nothing.

        After ``solves`` network simplex solves (None: to the end) the column generation may
        stop short of the optimum: the answer is then the solution found so far, its
        ``stats["bound"]`` what the optimum can lie no lower than (below the answer's value,
        which it equals where the answer is the optimum); :meth:`finish` goes on to it."""
        model, stats = _prepare_model(
            self.parts[n], "column-generation", None, "auto", None, self.excluded_pairs
        )
        gen = _Generation(model, column_generation=True)
        self.solvers[n] = gen  # kept, to go on from this optimum if capacity binds
        self.grid = grid
        keys = ("routes", "useful_routes", "tables_seconds", "routes_seconds")
        self.numbers[n] = {key: float(stats[key]) for key in keys}  # type: ignore[arg-type]
        # LEMON's network simplex finds the optimum's routes faster than HiGHS
        found = _network_generation(gen, solves) if gen.work.size else None
        if found is None or not gen.stopped_short:
            return self._capacity_free(n, found)
        x = np.zeros(len(model.pool), np.int64)
        x[gen.work[: found.x.size]] = np.round(found.x).astype(np.int64)
        value = float(model.obj @ x) + model.constant
        return self._first_columns(n, x, value, value + gen.shortfall - found.error)

    def finish(self, n: int) -> tuple[_FamilyAnswer, list[_Column]]:
        """Family ``n``'s capacity-free optimum and first columns, where :meth:`first` stopped
        short of it."""
        gen = self.solvers[n]
        return self._capacity_free(n, _network_generation(gen) if gen.work.size else None)

    def _capacity_free(
        self, n: int, found: _NetworkSolution | None
    ) -> tuple[_FamilyAnswer, list[_Column]]:
        """The optimum that LEMON ``found``, confirmed by HiGHS in exact costs: its model
        goes on from LEMON's tree (and keeps the basis for later)."""
        gen = self.solvers[n]
        if found is not None:
            _start_highs_from(gen, found)
        solution = _whole_solution(gen, *gen.solve(None), None)
        value = solution.lower_bound + gen.model.constant
        return self._first_columns(n, solution.x, value, value)

    def _first_columns(
        self, n: int, x: IntArray, value: float, bound: float
    ) -> tuple[_FamilyAnswer, list[_Column]]:
        gen = self.solvers[n]
        model = gen.model
        used = np.nonzero(x > 0)[0]
        units = x[used].astype(np.float64)
        pool = model.pool
        stored = (pool.kind[used] == DEPOT) & (pool.q[used] > pool.p[used])
        held = model.m3_of(used) * (pool.q[used] - pool.p[used])
        rate = np.where(stored, -model.obj[used] / np.maximum(held, 1e-12), np.inf)
        levels = np.quantile(rate[stored], _FIRST_LEVELS) if stored.any() else []
        self.columns[n] = [(used, units)]
        for level in levels:
            keep = rate >= level
            self.columns[n].append((used[keep], units[keep]))
        direct = pool.kind[used] != DEPOT
        self.columns[n].append((used[direct], units[direct]))
        stats = {**self.numbers[n], "bound": bound, "network_seconds": gen.network_seconds}
        answer = self._answer(model, x, value, stats)
        return answer, [self._column(model, *c) for c in self.columns[n]]

    def priced(
        self, n: int, prices: FloatArray, solves: int | None = None, same_as: int | None = None
    ) -> _Column:
        """Family ``n``'s optimum with ``prices`` on the volume it holds (capacity set aside),
        or, after ``solves`` network simplex solves, its best solution so far, whose
        :attr:`_Column.shortfall` says how far below it the optimum may lie.

        ``same_as`` names the restricted round that tried the same prices, if one did: where
        the family was solved in it and no route has entered since, that solution is the
        first solve, and the network simplex is not run again (100k x 20 depots: a full
        round's solves take as long as a restricted round, 0.9-1.3 s)."""
        gen = self.solvers[n]
        _set_prices(gen, self.grid, prices)
        # capacity is set aside until the family is solved within its room: no depot-day
        # rows, so the model is a transportation problem
        assert not any(gen.model.cap_days)
        kept = self.kept.pop(n, {})  # routes enter now: the kept solutions go stale
        start = kept.get(same_as) if same_as is not None else None
        if start is not None and start.x.size != gen.work.size:
            start = None
        found = _network_generation(gen, solves, start)
        return self._keep(n, found, gen.shortfall)

    def tighten(self, n: int, prices: FloatArray) -> _Column:
        """Family ``n`` at ``prices`` (those of the full round just done) solved again on its
        working routes, with those that round let in, and priced: its column, whose
        :attr:`_Column.shortfall` says how far below it the optimum over every route may lie
        (:func:`_tighten_bound`).  The routes that still improve wait for the next full round,
        so a restricted round goes on from this solve's tree."""
        gen = self.solvers[n]
        _set_prices(gen, self.grid, prices)
        assert not any(gen.model.cap_days)
        self.kept.pop(n, None)  # LEMON solves again: their duals go
        t0 = time.perf_counter()
        found = _network_solve(gen)
        gen.lp_seconds += time.perf_counter() - t0
        t0 = time.perf_counter()
        entering, _ = gen.entering(found.row_dual, found.tol)
        shortfall = gen.improvement_bound() if entering.size else 0.0
        gen.pricing_seconds += time.perf_counter() - t0
        return self._keep(n, found, shortfall)

    def restricted(
        self, n: int, prices: FloatArray, round_id: int | None = None, centre: int | None = None
    ) -> _Column:
        """Family ``n``'s optimum with ``prices`` on the volume it holds, over its working
        routes only: one network simplex from the last one's tree, no pricing.  Its cost is
        no lower bound (a route outside the working set may do better), but the column is a
        solution all the same.  The solution is kept as that of round ``round_id``, beside
        that of round ``centre`` (the round whose prices the next full round may try again,
        :meth:`priced`); the others are dropped."""
        gen = self.solvers[n]
        _set_prices(gen, self.grid, prices)
        assert not any(gen.model.cap_days)
        kept = self.kept.get(n, {})
        if centre in kept:  # a full round may go on from it: its duals, before LEMON moves on
            kept[centre].read_duals()
        t0 = time.perf_counter()
        found = _network_solve(gen)
        gen.lp_seconds += time.perf_counter() - t0
        if round_id is not None:
            self.kept[n] = {r: f for r, f in kept.items() if r == centre} | {round_id: found}
        return self._keep(n, found, 0.0)

    def _keep(self, n: int, found: _NetworkSolution, shortfall: float) -> _Column:
        """Family ``n``'s priced solution ``found`` kept as its next column.  ``found`` is on
        the working routes as they were when it was solved (routes that entered since come
        after them)."""
        gen = self.solvers[n]
        work = gen.work[: found.x.size]
        used = np.nonzero(found.x > _INT_TOL)[0]
        self.columns[n].append((work[used], found.x[used]))
        column = self._column(gen.model, work[used], found.x[used])
        return replace(column, error=found.error, shortfall=shortfall)

    def column(self, n: int, j: int) -> _FamilyAnswer:
        """Family ``n``'s column ``j`` (whole units) as a solution."""
        gen = self.solvers[n]
        rows, units = self.columns[n][j]
        x = np.zeros(len(gen.model.pool), np.int64)
        x[rows] = np.round(units).astype(np.int64)
        value = float(gen.model.obj[rows] @ units) + gen.model.constant
        self._release(n)
        return self._answer(gen.model, x, value, {})

    def within(
        self,
        n: int,
        capacities: Sequence[float],
        steps: Mapping[str, Sequence[tuple[date, float]]],
        gap_eur: float = 0.0,
    ) -> _FamilyAnswer:
        """Family ``n`` in whole units, without prices, with the depots' ``capacities`` less
        what ``steps`` holds (the room its share leaves it); where its search around the
        relaxation proves nothing, it may stop ``gap_eur`` euros above its bound.

        A priced family starts from its last priced optimum, which the prices steered towards
        its room: HiGHS takes it as a basis and finds that optimum within the room (few depot
        days overfill).  Whole units are then sought around it (rounding down, or RENS) at
        the costs without prices.  Solving the relaxation again without them first (from the
        priced optimum: from the optimum without prices the depot-day rows would cost many
        more iterations) found a slightly better neighbourhood, but cost much more: at 100k
        x 20 depots, the largest family solved again took 26.4 s and came out at
        790,170 EUR, against 12.7 s and 792,947 EUR this way.  The answer is never proven
        optimal, so the priced duals need not price anything at the costs without prices."""
        gen = self.solvers[n]
        _restore_capacity(gen.model, capacities, steps)
        row_dual: FloatArray | None
        if gen.model.prices is not None and gen.work.size:
            _start_highs_from(gen, _network_solve(gen))  # capacity is not in LEMON's model
            x, _ = gen.solve(None)
            _set_prices(gen, self.grid, None)
            row_dual = None  # the duals price the routes at the old costs
        else:
            x, row_dual = gen.solve(None)
        # a large family keeps its floored solution however far it is from the relaxation
        large = gen.work.size >= _FLOOR_ROUNDING_MIN_ROUTES
        solution = _whole_solution(gen, x, row_dual, None, np.inf if large else None, gap_eur)
        self._release(n)
        value = float(gen.model.obj @ solution.x) + gen.model.constant
        return self._answer(gen.model, solution.x, value, {})

    def rounded(
        self, n: int, weights: FloatArray, room: FloatArray, search_eur: float = np.inf
    ) -> _FamilyAnswer | _SearchAroundMix:
        """Family ``n``'s part of the master's mix (``weights``, one per column of the family,
        in the order they were found) in whole units within ``room``, without solving it
        again: the mix made whole and fitted into the room by :func:`_round_mix`, and where
        that costs more than ``search_eur`` above the mix, the cheaper of that and what a
        small branch and bound around the mix finds (:func:`_search_around_mix`).  (The
        heaviest columns of the mix each made whole were tried too, while there was no
        search; beside it, at 100k listings a side with 20 depots, they saved 961 EUR of
        29.49 million, in 5.5 s.)  The family's model is kept (the prices may go on).

        Where the search is needed, it is returned as a :class:`_SearchAroundMix`, on the
        working routes alone, to run wherever a worker is free: the searches take seconds
        each, and two of them in the same worker kept the other one idle (100k x 20 depots:
        busy 12.0 s against 3.5 s)."""
        gen = self.solvers[n]
        model = gen.model
        mix = self._mix(n, weights)
        rounded = _round_mix(model, gen.work, mix, self.grid, room)
        task = _SearchAroundMix(model, gen.work, mix, self.grid, room, search_eur, rounded)
        if not task.needed():
            return task.answer(None)
        travelling = task.on_working_routes()
        return travelling if travelling is not None else task.run()

    def _mix(self, n: int, weights: FloatArray) -> FloatArray:
        """Family ``n``'s part of the master's mix (``weights``, one per column of the family,
        in the order they were found), as units per pool route."""
        mix = np.zeros(len(self.solvers[n].model.pool))
        for part, (rows, units) in zip(weights.tolist(), self.columns[n], strict=True):
            if part > 0:
                mix[rows] += part * units
        return mix

    def piece(self, n: int, weights: FloatArray) -> _MixPiece:
        """Family ``n``'s part of the master's mix (``weights``) as :func:`_round_jointly`
        searches it: every route rounded down, and the routes through a depot and the stock
        routes that the mix uses in part, each of which may carry one unit more."""
        model = self.solvers[n].model
        mix = self._mix(n, weights)
        floor = np.floor(mix + _INT_TOL).astype(np.int64)
        carrying = np.nonzero(floor > 0)[0]
        left = _left_per_row(model, carrying, floor[carrying])
        r = np.nonzero((mix - floor > _INT_TOL) & (model.pool.kind != DIRECT))[0]
        src, dem = model.src_rows(r), model.dem_rows(r)
        rows = np.unique(np.concatenate([src, dem]))
        pos, cell, m3 = _day_entries(model, r, [self.grid] * len(model.tables.k_ids))
        return _MixPiece(
            routes=r,
            cost=model.obj[r],
            src=np.searchsorted(rows, src),
            dem=np.searchsorted(rows, dem),
            left=left[rows].astype(np.float64),
            pos=pos,
            cell=cell,
            m3=m3,
            held=_held_by(model, floor, self.grid),  # (direct routes hold nothing)
        )

    def fixed(
        self, n: int, weights: FloatArray, routes: IntArray, more: IntArray, room: FloatArray
    ) -> _FamilyAnswer:
        """Family ``n``'s part of the master's mix (``weights``) rounded down on its routes
        through a depot and its stock routes, ``more`` units on pool ``routes`` (as
        :func:`_round_jointly` found them), and what they leave unsent and unmet matched
        again within ``room`` (:func:`_match_what_is_left`, which sends the direct part
        anew); its answer does not fit where they overfill the room.  The family's model is
        kept (the prices may go on)."""
        gen = self.solvers[n]
        model = gen.model
        x = np.floor(self._mix(n, weights) + _INT_TOL).astype(np.int64)
        x[model.pool.kind == DIRECT] = 0
        x[routes] += more
        free = room - _held_by(model, x, self.grid)
        carrying = np.nonzero(x > 0)[0]
        left = _left_per_row(model, carrying, x[carrying])
        _match_what_is_left(model, gen.work, x, left, self.grid, free)
        return _answer_if_it_fits(model, x, self.grid, room)

    def search(self, n: int, task: _SearchAroundMix) -> _FamilyAnswer:
        """The search that :meth:`rounded` handed out for family ``n``, run here (this worker
        need not own the family: the task carries its model)."""
        return task.run()

    def handover(self, n: int) -> bytes:
        """Family ``n`` as it stands, for another worker to go on with (:meth:`adopt`); this
        one forgets it.  Only a family whose first pass stopped short may change worker: its
        HiGHS model was never solved, and its network simplex travels with its tree, so the
        other worker solves it exactly as this one would have, and the result does not depend
        on where it is solved.  The :class:`_FamilyState` comes pickled, so that the parent
        passes it on as it is."""
        gen = self.solvers[n]
        assert gen.stopped_short
        assert n not in self.kept
        network = gen.network
        state = _FamilyState(
            model=replace(gen.model, buffers=[]),  # the pool travels, not its spare room
            work=gen.work,
            columns=self.columns[n],
            numbers=self.numbers[n],
            counts=(gen.rounds, gen.lp_seconds, gen.pricing_seconds, gen.network_seconds),
            shortfall=gen.shortfall,
            network=None if network is None else (network.routes, network.graph),
        )
        self._release(n)
        # protocol 5 writes the arrays into the pickle as they are (the largest family at 100k
        # listings a side: 258 MB in 0.16 s, against 0.25 s for the default protocol)
        return pickle.dumps(state, protocol=5)

    def adopt(self, n: int, handed: bytes) -> None:
        """Go on with family ``n`` from where another worker handed it over (:meth:`handover`):
        its HiGHS model is built again on the same working routes, in the same order.  (This
        worker knows the grid of depot days already: every worker answers a first request.)"""
        state = pickle.loads(handed)
        assert isinstance(state, _FamilyState)
        gen = _Generation(state.model, column_generation=True, work=state.work)
        gen.rounds, gen.lp_seconds, gen.pricing_seconds, gen.network_seconds = state.counts
        gen.shortfall, gen.stopped_short = state.shortfall, True
        if state.network is not None:
            routes, graph = state.network
            gen.network = _FlowNetwork(gen.model, routes, _row_qty(gen.model.tables), graph)
        self.solvers[n] = gen
        self.columns[n] = state.columns
        self.numbers[n] = state.numbers

    def _release(self, n: int) -> None:
        """Forget family ``n``'s model and columns: its whole-unit answer is its last."""
        del self.solvers[n]
        del self.columns[n]
        self.kept.pop(n, None)

    def _column(self, model: _Model, rows: IntArray, units: FloatArray) -> _Column:
        volume = _volume_held(model, rows, units, self.grid)
        return _Column(
            cost=float(model.obj[rows] @ units) + model.constant,
            volume=volume,
            whole=bool(np.abs(units - np.round(units)).max(initial=0.0) <= _INT_TOL),
        )

    @staticmethod
    def _answer(model: _Model, x: IntArray, value: float, stats: dict[str, float]) -> _FamilyAnswer:
        used = np.nonzero(x > 0)[0]
        part = model.tables
        return _FamilyAnswer(
            pool=model.pool.take(used),
            x=x[used],
            value=value,
            s_ids=part.s_ids,
            d_ids=part.d_ids,
            i_ids=part.i_ids,
            stats=stats,
        )


class _Families:
    """The solvers of :func:`_match_by_family`'s families, in this process or in workers.

    A request is a method of :class:`_LocalFamilies` and its arguments, the family first:
    ``("first", n, grid, solves)``, ``("finish", n)``,
    ``("priced", n, prices, solves, same_as)``, ``("restricted", n, prices, round_id, centre)``,
    ``("rounded", n, weights, room, search_eur)``, ``("column", n, j)``,
    ``("within", n, capacities, steps, gap_eur)``, ``("piece", n, weights)``,
    ``("fixed", n, weights, routes, more, room)``; and, from :meth:`share` only,
    ``("handover", n)`` and ``("adopt", n, state)`` (:data:`_REQUESTS`).  An answer that is a
    :class:`_SearchAroundMix` is not handed back: it is run, as ``("search", n, task)``, by
    the first worker that comes free (whichever owns the family), and its answer is.
    """

    def each(
        self, requests: Sequence[tuple[object, ...]], largest_first: bool = True
    ) -> Iterator[tuple[int, object]]:
        """The answers to ``requests`` as ``(family, answer)``, in the order they finish;
        workers take their families largest first (the time goes to the largest), or with
        ``largest_first=False`` smallest first (each family solved within its room frees its
        model, so the largest then runs beside the fewest others)."""
        raise NotImplementedError

    def share(self, load: Mapping[int, float], movable: Collection[int]) -> int:
        """Move families between workers so that each round costs them about as much:
        ``load`` is each family's expected time per round, ``movable`` the families that may
        move (see :meth:`_LocalFamilies.handover`).  Returns how many moved."""
        return 0

    def close(self) -> None:
        """Stop the workers, if any."""


def _family_of(request: tuple[object, ...]) -> int:
    n = request[1]
    assert isinstance(n, int)
    return n


# the methods of :class:`_LocalFamilies` that a request may name (see :class:`_Families`)
_REQUESTS = frozenset(
    (
        "first",
        "finish",
        "priced",
        "restricted",
        "tighten",
        "column",
        "within",
        "rounded",
        "piece",
        "fixed",
        "search",
        "handover",
        "adopt",
    )
)


def _runs_anywhere(request: tuple[object, ...]) -> bool:
    """Whether any worker may answer ``request`` (a search around a mix carries its model),
    not only the one that owns its family."""
    return request[0] == "search"


def _ask(local: _LocalFamilies, request: tuple[object, ...]) -> object:
    method, *args = request
    assert method in _REQUESTS
    return getattr(local, str(method))(*args)


class _InProcess(_Families):
    def __init__(self, parts: Sequence[Instance], excluded_pairs: Collection[tuple[str, str]]):
        self.local = _LocalFamilies(dict(enumerate(parts)), excluded_pairs)

    def each(
        self, requests: Sequence[tuple[object, ...]], largest_first: bool = True
    ) -> Iterator[tuple[int, object]]:
        for request in requests:
            answer = _ask(self.local, request)
            if isinstance(answer, _SearchAroundMix):
                answer = answer.run()
            yield _family_of(request), answer

    def close(self) -> None:
        self.local = _LocalFamilies({}, ())  # the families' models go


# requests whose temporaries (pricing every route, building models) run to hundreds of MB
_HEAVY_REQUESTS = frozenset(
    ("first", "finish", "priced", "tighten", "within", "rounded", "fixed", "adopt")
)


@cache
def _libc(name: str) -> Callable[..., int] | None:
    """The C library's function ``name``, looked up once per process (``find_library`` runs
    a subprocess); None where there is no such function (not glibc)."""
    try:
        return cast(
            Callable[..., int],
            getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name),
        )
    except (OSError, AttributeError):
        return None


def _give_back_freed_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere
    nothing).  Freed temporaries of a few MB stay in the heap otherwise, and the workers'
    resident memory grows with every full price round: at 100k listings a side with 20
    depots the processes' proportional memory (PSS, summed) peaked at 4,179 MiB without it
    and at 3,854 MiB with a trim after every request."""
    trim = _libc("malloc_trim")
    if trim is not None:
        trim(0)


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
_MAPPED_FROM_BYTES = 128 * 1024  # glibc's default threshold, where it starts


def _keep_large_blocks_mapped() -> None:
    """Have glibc map every block of 128 KiB or more on its own, and unmap it when freed.

    glibc starts there, but raises the threshold to the size of each mapped block freed, up to
    32 MiB, and from then on carves such blocks out of the heap, which keeps what is freed
    between longer-lived blocks.  The master grows its HiGHS model every price round (some
    20,000 entries), and HiGHS reallocates its arrays as they grow: at 100k listings a side
    with 20 depots, seed 3, the coordinating process grew by 11 MiB a round, of which 3 MiB
    were the new columns.  Setting the threshold keeps it where it starts (mallopt cannot
    undo that: it lasts as long as the process, at the cost of a system call for each large
    block).  Elsewhere than glibc, nothing."""
    mallopt = _libc("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, _MAPPED_FROM_BYTES)


@on_one_blas_thread  # (a worker that was forked has its parent's limit; one spawned, not)
def _family_worker(
    conn: Connection, parts: dict[int, Instance], excluded_pairs: frozenset[tuple[str, str]]
) -> None:
    """A worker process's loop: answer the requests (see :class:`_Families`) for the families
    it owns until it receives None."""
    local = _LocalFamilies(parts, excluded_pairs)
    while True:
        request = conn.recv()
        if request is None:
            return
        n = request[1]
        try:
            answer = _ask(local, request)
        except Exception as error:  # noqa: BLE001 - handed to the parent, which raises it
            conn.send(("error", n, error))
        else:
            conn.send(("ok", n, answer))
        if request[0] in _HEAVY_REQUESTS:
            _give_back_freed_memory()


class _InWorkers(_Families):
    """Families spread over worker processes, each of which keeps the models of its own
    families from one request to the next (a HiGHS model cannot travel between processes).

    A family belongs to the worker that answers its first request: requests go out largest
    family first (by supply times demand), each worker answers one at a time, and a worker
    that comes free takes the next request of its own families, else that of the next family
    that has no worker yet.  So the work is shared out by how long it takes, not by a guess
    from the families' sizes (100k listings a side: with families dealt by size beforehand,
    one worker came free 0.3-0.6 s before the other in most price rounds).
    """

    def __init__(
        self,
        parts: Sequence[Instance],
        excluded_pairs: Collection[tuple[str, str]],
        workers: int,
    ) -> None:
        sizes = [len(p.supply) * len(p.demand) for p in parts]
        self.order = sorted(range(len(parts)), key=lambda n: -sizes[n])
        self.owner: dict[int, int] = {}
        context = multiprocessing.get_context(_start_method())
        self.conns: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        excluded = frozenset(excluded_pairs)
        everyone = dict(enumerate(parts))  # any worker may come to own any family
        for _ in range(workers):
            mine, theirs = context.Pipe()
            process = context.Process(  # type: ignore[attr-defined]
                target=_family_worker,
                args=(theirs, everyone, excluded),
                daemon=True,
            )
            process.start()
            theirs.close()
            self.conns.append(mine)
            self.processes.append(process)
        # per worker: the families it was sent to adopt and has not yet said it has (the
        # parent goes on meanwhile, :meth:`move`); their answers come before any other
        self.adopting = [0] * workers

    def _receive(self, conn: Connection) -> tuple[int, object]:
        w = self.conns.index(conn)
        while self.adopting[w]:
            self.adopting[w] -= 1
            self._answer(conn)
        return self._answer(conn)

    def _answer(self, conn: Connection) -> tuple[int, object]:
        try:
            status, n, payload = conn.recv()
        except EOFError:
            raise SolverError("a worker process ended without answering") from None
        if status == "error":
            raise payload
        return n, payload

    def each(
        self, requests: Sequence[tuple[object, ...]], largest_first: bool = True
    ) -> Iterator[tuple[int, object]]:
        # One request at a time per worker: a worker blocks on sending an answer that nobody
        # reads while the parent blocks on sending it more requests, once both pipes are full.
        order = self.order if largest_first else self.order[::-1]
        rank = {n: r for r, n in enumerate(order)}
        pending = sorted(requests, key=lambda r: rank[_family_of(r)])
        busy: set[int] = set()

        def send_next(w: int) -> None:
            """Give worker ``w`` its next request: its own families' first, else that of a
            family no worker owns yet (which it then owns), else a search around a mix that
            any worker can run; none where nothing is left."""
            mine = (
                i
                for i, request in enumerate(pending)
                if not _runs_anywhere(request) and self.owner.get(_family_of(request), w) == w
            )
            anyones = (i for i, request in enumerate(pending) if _runs_anywhere(request))
            i = next(mine, next(anyones, None))
            if i is None:
                busy.discard(w)
                return
            request = pending.pop(i)
            if not _runs_anywhere(request):
                self.owner[_family_of(request)] = w
            self.conns[w].send(request)
            busy.add(w)

        for w in range(len(self.conns)):
            send_next(w)
        while busy:
            for ready in connection_wait([self.conns[w] for w in sorted(busy)]):
                assert isinstance(ready, Connection)
                w = self.conns.index(ready)
                n, answer = self._receive(ready)
                if isinstance(answer, _SearchAroundMix):
                    pending.append(("search", n, answer))
                    for idle in sorted(set(range(len(self.conns))) - busy):
                        send_next(idle)
                    send_next(w)
                    continue
                send_next(w)
                yield n, answer

    def share(self, load: Mapping[int, float], movable: Collection[int]) -> int:
        """Move movable families from the worker whose families take longest per round to
        the other, one at a time, each the one that leaves the two closest, while a move
        narrows the difference by at least ``_SHARE_MIN_GAIN`` of the whole.  (100k x 20
        depots: the two families that took longest in every price round were often owned by
        the same worker, busy 28.8 s against 20.1 s over the restricted rounds.)"""
        moved = 0
        total = sum(load[n] for n in self.owner)
        while len(self.conns) > 1:
            per = [0.0] * len(self.conns)
            for n, w in self.owner.items():
                per[w] += load[n]
            heavy = max(range(len(per)), key=per.__getitem__)
            light = min(range(len(per)), key=per.__getitem__)
            gap = per[heavy] - per[light]
            candidates = [n for n, w in self.owner.items() if w == heavy and n in movable]
            if not candidates:
                break
            n = min(candidates, key=lambda m: (abs(gap - 2 * load[m]), m))
            narrowed = gap - abs(gap - 2 * load[n])
            if narrowed <= 0 or narrowed < _SHARE_MIN_GAIN * total:
                break
            self.move(n, light)
            moved += 1
        return moved

    def move(self, n: int, to: int) -> None:
        """Family ``n``, which must be movable, from its worker to worker ``to``.  The parent
        passes the family on as it comes (pickled), and does not wait while worker ``to``
        takes it up: the next move's handover, or the next request, goes on meanwhile (100k
        listings a side, a family of 49 MB pickled: 0.87 s instead of 1.16 s)."""
        here = self.owner[n]
        self.conns[here].send(("handover", n))
        _, state = self._receive(self.conns[here])
        self.conns[to].send(("adopt", n, state))
        self.adopting[to] += 1
        self.owner[n] = to

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except OSError:
                pass  # that worker is gone already
            conn.close()
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
        self.conns, self.processes = [], []  # closing again does nothing


def _family_solvers(
    parts: Sequence[Instance], excluded_pairs: Collection[tuple[str, str]], workers: int
) -> _Families:
    if workers <= 1:
        return _InProcess(parts, excluded_pairs)
    return _InWorkers(parts, excluded_pairs, workers)


@on_one_blas_thread
def match(
    instance: Instance,
    *,
    method: str | None = None,
    progress: Progress | None = None,
    depot_routes: str = "auto",
    decompose: bool = True,
    reserved_m3: Mapping[str, Sequence[tuple[date, float]]] | None = None,
    excluded_pairs: Collection[tuple[str, str]] = (),
    workers: int | None = None,
) -> MatchResult:
    """Find the cheapest way to send supply to demand, directly or through depots.

    Parameters
    ----------
    instance : Instance
        A validated instance (see :func:`matcher.io.parse_instance`).
    method : str, optional
        ``"column-generation"`` (default), ``"full-lp"`` or ``"networkx"`` (depot-free only).
    progress : callable, optional
        Receives a short line of text at each stage of a long run.
    depot_routes : {"auto", "listed", "priced"}
        Whether column generation lists every depot route up front ("listed") or prices them
        implicitly each round ("priced"); "auto" lists them while there are at most
        ``_LIST_DEPOT_PAIRS`` candidate triples.  Both are exact for the relaxation; only
        listed routes let binding depot capacity be proven optimal in whole units.
    decompose : bool
        Solve each material family (materials linked by substitution) on its own where no
        depot's capacity can bind; the families are then independent, so this is exact.
    reserved_m3 : mapping, optional
        Per depot id, volume already promised outside this instance (accepted routes that
        have not arrived yet, say) as steps ``(day, m3)``: from that day on, until the next
        step, that much of the depot's capacity is taken.  Not part of the JSON contract;
        the web application's nightly run passes what earlier proposals hold.
    excluded_pairs : collection of (supply or stock id, demand id)
        Pairs that must not be matched by any route (a party rejected them).  Not part of the
        JSON contract.  Depot routes of the demands concerned are listed, not priced, so that
        leaving those pairs out keeps the pricing exact.
    workers : int, optional
        Processes that solve independent parts (material families, where no depot's capacity
        can bind) side by side; default: the environment variable ``MATERIALMATCH_WORKERS``,
        else the number of CPUs.  Instances under ``_PARALLEL_MIN_LISTINGS`` listings are
        solved in this process.  The result does not depend on it: every part is solved the
        same way wherever it runs, and the parts are combined in their own order.

    Returns
    -------
    MatchResult
        Allocations, leftovers, cost breakdown and KPIs; ``stats`` holds timings and counts.

    Raises
    ------
    ValueError
        For an unknown method, or ``"networkx"`` on an instance with depots.
    SolverError
        If HiGHS fails, which a valid instance should never cause.

    Example
    -------
    >>> from matcher.io import load_instance                 # doctest: +SKIP
    >>> match(load_instance("example-instance.json")).objective_eur   # doctest: +SKIP
    380.57001193876897
    """
    method = method or DEFAULT_METHOD
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    t0 = time.perf_counter()
    tables = build_tables(instance) if decompose and method != "networkx" else None
    built = None if tables is None else (tables, time.perf_counter() - t0)
    parts = None if tables is None else _independent_parts(instance, tables, reserved_m3 or {})
    if parts is not None and len(parts) > 1:
        options = _PartOptions(method, depot_routes, reserved_m3, frozenset(excluded_pairs))
        n_workers = _workers_for(instance, len(parts), workers)
        results = _solve_parts(parts, options, n_workers, progress, t0)
        combined = _combine(instance, results, time.perf_counter() - t0)
        combined.stats["workers"] = n_workers
        return combined
    if parts is None and tables is not None and method == "column-generation":
        bounded = _match_by_family(
            instance,
            tables,
            progress,
            depot_routes,
            reserved_m3 or {},
            excluded_pairs,
            t0,
            workers,
        )
        if bounded is not None:
            return bounded
    model, solution, stats = _solve_whole(
        instance, method, progress, depot_routes, reserved_m3, excluded_pairs, built
    )
    t3 = time.perf_counter()
    result = _result(model, solution, stats)
    stats["result_seconds"] = time.perf_counter() - t3
    if progress:
        progress(
            f"{result.status}: {result.objective_eur:,.2f} EUR in {time.perf_counter() - t0:.2f} s"
        )
    return result


@dataclass(frozen=True)
class _PartOptions:
    """What :func:`match` passes on to the solve of each independent part."""

    method: str
    depot_routes: str
    reserved_m3: Mapping[str, Sequence[tuple[date, float]]] | None
    excluded_pairs: frozenset[tuple[str, str]]


def _match_part(part: Instance, options: _PartOptions) -> MatchResult:
    """Solve one independent part (in a worker process, or in this one)."""
    return match(
        part,
        method=options.method,
        depot_routes=options.depot_routes,
        decompose=False,
        reserved_m3=options.reserved_m3,
        excluded_pairs=options.excluded_pairs,
        workers=1,
    )


def _workers_for(instance: Instance, n_parts: int, workers: int | None) -> int:
    """How many processes to solve ``n_parts`` independent parts of ``instance`` with."""
    if workers is None:
        env = os.environ.get(WORKERS_ENV, "").strip()
        workers = int(env) if env.isdigit() else (os.cpu_count() or 1)
    if len(instance.supply) + len(instance.demand) < _PARALLEL_MIN_LISTINGS:
        return 1
    if multiprocessing.current_process().daemon:
        return 1  # a daemonic process may not start processes of its own
    return max(1, min(workers, n_parts))


def _start_method() -> str:
    """Fork where that is safe (Linux, no other thread that could hold a lock the child
    inherits), else a fork server, else spawn.  The last two start each worker by importing the
    caller's main module again: a script that calls :func:`match` on a large instance then
    needs the usual ``if __name__ == "__main__":`` guard."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and threading.active_count() == 1 and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _solve_parts(
    parts: Sequence[Instance],
    options: _PartOptions,
    workers: int,
    progress: Progress | None,
    t0: float,
) -> list[MatchResult]:
    """Solve independent parts, in ``workers`` processes when more than one; the results
    come back in the parts' order.

    The largest parts (by supply times demand, which the route count follows) are handed out
    first, so that no worker is left with a large part at the end while the others idle.
    Workers start as :func:`_start_method` says.
    """
    results: list[MatchResult | None] = [None] * len(parts)

    def report(n: int) -> None:
        if progress:
            done = sum(r is not None for r in results)
            part, result = parts[n], results[n]
            assert result is not None
            progress(
                f"part {done}/{len(parts)}: {len(part.supply):,} supply, {len(part.demand):,}"
                f" demand, {result.status} after {time.perf_counter() - t0:.1f} s"
            )

    if workers <= 1:
        for n, part in enumerate(parts):
            results[n] = _match_part(part, options)
            report(n)
    else:
        context = multiprocessing.get_context(_start_method())
        order = sorted(
            range(len(parts)), key=lambda n: -len(parts[n].supply) * len(parts[n].demand)
        )
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(_match_part, parts[n], options): n for n in order}
            for future in as_completed(futures):
                n = futures[future]
                results[n] = future.result()
                report(n)
    return [r for r in results if r is not None]


def _solve_whole(
    instance: Instance,
    method: str,
    progress: Progress | None,
    depot_routes: str,
    reserved_m3: Mapping[str, Sequence[tuple[date, float]]] | None,
    excluded_pairs: Collection[tuple[str, str]],
    built: tuple[Tables, float] | None = None,
) -> tuple[_Model, _Solution, dict[str, object]]:
    """Routes, model and whole-unit solution of the instance as one problem; ``built`` as in
    :func:`_prepare_model`."""
    model, stats = _prepare_model(
        instance, method, progress, depot_routes, reserved_m3, excluded_pairs, built
    )
    t2 = time.perf_counter()
    if method == "networkx":
        solution = _solve_networkx(model)
    else:
        solution = _solve_lp(model, progress, column_generation=method == "column-generation")
    stats.update(solution.stats)
    stats.update(solve_seconds=time.perf_counter() - t2)
    return model, solution, stats


def _prepare_model(
    instance: Instance,
    method: str,
    progress: Progress | None,
    depot_routes: str,
    reserved_m3: Mapping[str, Sequence[tuple[date, float]]] | None,
    excluded_pairs: Collection[tuple[str, str]],
    built: tuple[Tables, float] | None = None,
) -> tuple[_Model, dict[str, object]]:
    """Tables, routes and the model of the instance, with their counts and timings.

    ``built`` is the instance's tables where the caller has them already, with the seconds
    they took; the model only reads them.
    """
    t0 = time.perf_counter()
    stats: dict[str, object] = {"method": method}
    tables = build_tables(instance) if built is None else built[0]
    t1 = time.perf_counter()
    tables_seconds = t1 - t0 if built is None else built[1]
    pricer = None
    excluded = set(excluded_pairs)
    listed_demands = demands_with_requirements(tables) | _demands_in(tables, excluded)
    if method == "column-generation" and tables.k_ids:
        listed = count_depot_pairs(tables)
        if depot_routes == "priced" or (depot_routes == "auto" and listed > _LIST_DEPOT_PAIRS):
            pricer = DepotPricer(tables, exclude_demands=listed_demands)
    depot_demands = None if pricer is None else listed_demands
    pool = build_routes(tables, progress, depot_demands=depot_demands)
    if excluded:
        pool = pool.take(np.nonzero(~_is_excluded(tables, pool, excluded))[0])
    t2 = time.perf_counter()
    model = _build_model(tables, pool, pricer, reserved_m3)
    stats["depot_routes"] = "priced" if pricer else "listed"
    stats.update(routes=len(pool), useful_routes=len(model.pool))
    stats.update(tables_seconds=tables_seconds, routes_seconds=t2 - t1)
    return model, stats
