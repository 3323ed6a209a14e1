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
added lazily the same way: only days on which the current solution overfills a depot.

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

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import highspy
import numpy as np
import numpy.typing as npt

from matcher.domain import Instance
from matcher.result import Allocation, CostBreakdown, Kpis, Leftover, MatchResult
from matcher.routes import DEPOT, STOCK, RoutePool, Tables, build_routes, build_tables

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Progress = Callable[[str], None]

DEFAULT_METHOD = "column-generation"
METHODS = ("column-generation", "full-lp", "networkx")

_INF = highspy.kHighsInf
_RC_TOL = 1e-7  # a route improves when its reduced cost is below -_RC_TOL euros per unit
_CAP_TOL = 1e-7  # m3 of overfill that counts as a violation
_INT_TOL = 1e-6
_INIT_PER_DEMAND = 4
_INIT_PER_SUPPLY = 2
_MIP_REL_GAP = 1e-4  # for the first incumbent only; the final run closes the gap
_MIP_TIME_LIMIT_S = 120.0


class SolverError(RuntimeError):
    """HiGHS did not reach an optimal relaxation (it should not happen: x = 0 is feasible)."""


@dataclass
class _Model:
    """The instance's pool, objective coefficients and row layout."""

    tables: Tables
    pool: RoutePool
    obj: FloatArray
    constant: float
    row_src: IntArray  # the supply or stock row of each route
    row_dem: IntArray  # the demand row of each route
    m3: FloatArray  # m3 per unit of each route's supplied material
    cap_rhs: FloatArray  # per depot: capacity minus the stock's volume
    stock_m3: FloatArray  # per depot: volume of its stock on today
    n_base_rows: int
    cap_days: list[list[int]] = field(default_factory=list)  # per depot: days with a row
    cap_rows: list[list[int]] = field(default_factory=list)  # per depot: their row indices


def _build_model(tables: Tables, pool: RoutePool) -> _Model:
    n_s, n_d, n_i = len(tables.s_ids), len(tables.d_ids), len(tables.i_ids)
    stock = pool.kind == STOCK
    dem_unmet = tables.mat_unmet[tables.d_mat[pool.dem]]
    src_disposal = np.zeros(len(pool))
    src_disposal[~stock] = tables.mat_disposal[tables.s_mat[pool.src[~stock]]]
    obj = pool.unit_cost - src_disposal - dem_unmet
    useful = stock | (obj < 0)
    pool = RoutePool(*(getattr(pool, f)[useful] for f in RoutePool.__dataclass_fields__))
    obj, stock = obj[useful], stock[useful]
    constant = float(
        (tables.mat_disposal[tables.s_mat] * tables.s_qty).sum()
        + (tables.mat_unmet[tables.d_mat] * tables.d_qty).sum()
    )
    row_src = np.where(stock, n_s + n_d + pool.src, pool.src)
    row_dem = n_s + pool.dem
    n_k = len(tables.k_ids)
    stock_m3 = np.zeros(n_k)
    np.add.at(stock_m3, tables.i_depot, tables.mat_m3[tables.i_mat] * tables.i_qty)
    return _Model(
        tables=tables,
        pool=pool,
        obj=obj,
        constant=constant,
        row_src=row_src,
        row_dem=row_dem,
        m3=tables.mat_m3[pool.mat],
        cap_rhs=tables.k_capacity_m3 - stock_m3,
        stock_m3=stock_m3,
        n_base_rows=n_s + n_d + n_i,
        cap_days=[[] for _ in range(n_k)],
        cap_rows=[[] for _ in range(n_k)],
    )


def _capacity_entries(model: _Model, cols: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Entries (column position, row, value) of routes ``cols`` in the existing depot-day rows."""
    pos_parts: list[IntArray] = []
    row_parts: list[IntArray] = []
    val_parts: list[FloatArray] = []
    pool = model.pool
    for k, days in enumerate(model.cap_days):
        if not days:
            continue
        day_arr = np.asarray(days, dtype=np.int64)
        order = np.argsort(day_arr)
        sorted_days = day_arr[order]
        sorted_rows = np.asarray(model.cap_rows[k], dtype=np.int64)[order]
        sel = np.nonzero(pool.depot[cols] == k)[0]
        if sel.size == 0:
            continue
        r = cols[sel]
        is_stock = pool.kind[r] == STOCK
        # depot route: rows with p <= day < q; stock route: rows with day >= q
        lo = np.where(is_stock, np.searchsorted(sorted_days, pool.q[r], "left"),
                      np.searchsorted(sorted_days, pool.p[r], "left"))
        hi = np.where(is_stock, sorted_days.size, np.searchsorted(sorted_days, pool.q[r], "left"))
        counts = np.maximum(hi - lo, 0)
        total = int(counts.sum())
        if total == 0:
            continue
        owner = np.repeat(np.arange(sel.size), counts)
        offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        pos_parts.append(sel[owner])
        row_parts.append(sorted_rows[lo[owner] + offset])
        val = np.where(is_stock, -model.m3[r], model.m3[r])
        val_parts.append(val[owner])
    if not pos_parts:
        z = np.empty(0, np.int64)
        return z, z, np.empty(0)
    return np.concatenate(pos_parts), np.concatenate(row_parts), np.concatenate(val_parts)


def _add_columns(h: highspy.Highs, model: _Model, cols: IntArray) -> None:
    """Add routes ``cols`` to the HiGHS model with their supply, demand and depot-day entries."""
    n = cols.size
    if n == 0:
        return
    cap_pos, cap_row, cap_val = _capacity_entries(model, cols)
    pos = np.concatenate([np.arange(n), np.arange(n), cap_pos])
    rows = np.concatenate([model.row_src[cols], model.row_dem[cols], cap_row])
    vals = np.concatenate([np.ones(2 * n), cap_val])
    order = np.lexsort((rows, pos))
    pos, rows, vals = pos[order], rows[order], vals[order]
    starts = np.searchsorted(pos, np.arange(n)).astype(np.int32)
    h.addCols(
        n,
        model.obj[cols],
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
    vol = model.m3[r] * xv
    is_stock = pool.kind[r] == STOCK
    occ = np.full(days.size, model.stock_m3[k])

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


def _violated_days(model: _Model, work: IntArray, x: FloatArray) -> list[tuple[int, int]]:
    """Depot-day pairs whose volume exceeds capacity under ``x`` (and have no row yet)."""
    pool = model.pool
    found: list[tuple[int, int]] = []
    tables = model.tables
    for k in range(len(tables.k_ids)):
        active = (x > _INT_TOL) & (pool.depot[work] == k) & (pool.kind[work] == DEPOT)
        days = np.unique(np.concatenate([pool.p[work[active]], [tables.today]]))
        if days.size == 0:
            continue
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
        v = np.where(is_stock[spans], -model.m3[r[spans]], model.m3[r[spans]])
        starts.append(nnz)
        idx.append(c)
        vals.append(v)
        nnz += c.size
        lowers.append(-_INF)
        uppers.append(model.cap_rhs[k])
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


def _reduced_costs(model: _Model, row_dual: FloatArray) -> FloatArray:
    """Reduced cost of every route in the pool against the current duals."""
    pool = model.pool
    rc = model.obj - row_dual[model.row_src] - row_dual[model.row_dem]
    for k, days in enumerate(model.cap_days):
        if not days:
            continue
        day_arr = np.asarray(days, dtype=np.int64)
        order = np.argsort(day_arr)
        sorted_days = day_arr[order]
        duals = row_dual[np.asarray(model.cap_rows[k], dtype=np.int64)[order]]
        prefix = np.concatenate([[0.0], np.cumsum(duals)])  # prefix[j] = sum of duals of days < day j
        on_k = np.nonzero(pool.depot == k)[0]
        p_idx = np.searchsorted(sorted_days, pool.p[on_k], "left")
        q_idx = np.searchsorted(sorted_days, pool.q[on_k], "left")
        is_stock = pool.kind[on_k] == STOCK
        spanned = np.where(is_stock, -(prefix[-1] - prefix[q_idx]), prefix[q_idx] - prefix[p_idx])
        rc[on_k] -= model.m3[on_k] * spanned
    return rc


def _cheapest_per(group: IntArray, key: FloatArray, candidates: IntArray, n: int) -> IntArray:
    """Up to ``n`` candidates with the smallest ``key`` for each value of ``group``."""
    if candidates.size == 0:
        return candidates
    order = np.lexsort((key[candidates], group[candidates]))
    c = candidates[order]
    g = group[c]
    first = np.searchsorted(g, g, "left")
    rank = np.arange(c.size) - first
    return c[rank < n]


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
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
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


def _solve_lp(model: _Model, progress: Progress | None, column_generation: bool) -> _Solution:
    """Column and row generation on the relaxation, then whole units."""
    tables, pool = model.tables, model.pool
    stats: dict[str, float | int | str] = {}
    h = _new_highs()
    n_rows = model.n_base_rows
    h.addRows(
        n_rows,
        np.full(n_rows, -_INF),
        np.concatenate([tables.s_qty, tables.d_qty, tables.i_qty]).astype(np.float64),
        0,
        np.zeros(n_rows, np.int32),
        np.empty(0, np.int32),
        np.empty(0),
    )
    all_routes = np.arange(len(pool), dtype=np.int64)
    if column_generation:
        work = np.union1d(
            _cheapest_per(pool.dem, model.obj, all_routes, _INIT_PER_DEMAND),
            _cheapest_per(model.row_src, model.obj, all_routes, _INIT_PER_SUPPLY),
        )
    else:
        work = all_routes
    in_work = np.zeros(len(pool), bool)
    in_work[work] = True
    _add_columns(h, model, work)
    rounds = 0
    lp_time = 0.0
    pricing_time = 0.0
    while True:
        rounds += 1
        t0 = time.perf_counter()
        if work.size == 0:  # nothing can be sent anywhere: every unit stays where it is
            x, row_dual = np.empty(0), np.zeros(h.getNumRow())
        else:
            _run(h)
            sol = h.getSolution()
            x, row_dual = np.asarray(sol.col_value), np.asarray(sol.row_dual)
        lp_time += time.perf_counter() - t0
        t0 = time.perf_counter()
        new_rows = _violated_days(model, work, x)
        rc = _reduced_costs(model, row_dual)
        rc[in_work] = 0.0
        improving = np.nonzero(rc < -_RC_TOL)[0]
        entering = np.union1d(
            _cheapest_per(pool.dem, rc, improving, 2),
            _cheapest_per(model.row_src, rc, improving, 2),
        )
        pricing_time += time.perf_counter() - t0
        if progress:
            progress(
                f"round {rounds}: LP {float(model.obj[work] @ x) + model.constant:,.2f} EUR,"
                f" {work.size:,} routes in play, {improving.size:,} improving,"
                f" {len(new_rows)} depot-day rows added"
            )
        if new_rows:
            _add_capacity_rows(h, model, work, new_rows)
        if entering.size:
            _add_columns(h, model, entering)
            work = np.concatenate([work, entering])
            in_work[entering] = True
        if not new_rows and entering.size == 0:
            break
    lp_value = float(model.obj[work] @ x) if work.size else 0.0
    n_cap_rows = sum(len(d) for d in model.cap_days)
    stats.update(
        lp_rounds=rounds,
        lp_seconds=lp_time,
        pricing_seconds=pricing_time,
        routes_in_play=int(work.size),
        depot_day_rows=n_cap_rows,
    )
    frac = np.abs(x - np.round(x))
    x_int = np.round(x).astype(np.int64)
    lower, proven = lp_value, True
    if frac.max(initial=0.0) > _INT_TOL:
        work, x_int, lower, proven = _whole_units(
            h, model, work, in_work, x, row_dual, lp_value, progress, stats
        )
    x_full = np.zeros(len(pool), np.int64)
    x_full[work] = np.maximum(x_int, 0)
    return _Solution(x=x_full, lower_bound=lower, proven=proven, stats=stats)


def _branch_and_bound(
    h: highspy.Highs, model: _Model, work: IntArray, start: FloatArray, rel_gap: float
) -> FloatArray:
    """Run HiGHS's MIP on the working set, adding depot-day rows until no day is overfilled."""
    h.setOptionValue("mip_rel_gap", rel_gap)
    h.setOptionValue("time_limit", _MIP_TIME_LIMIT_S)
    while True:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
        h.run()
        status = h.getModelStatus()
        if h.getInfo().primal_solution_status == 0 and status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(f"branch and bound found no solution ({h.modelStatusToString(status)})")
        value = np.round(np.asarray(h.getSolution().col_value))
        new_rows = _violated_days(model, work, value)
        if not new_rows:
            return value
        _add_capacity_rows(h, model, work, new_rows)
        start = value


def _set_integer(h: highspy.Highs, first: int, n: int) -> None:
    h.changeColsIntegrality(
        n, np.arange(first, first + n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger)
    )


def _whole_units(
    h: highspy.Highs,
    model: _Model,
    work: IntArray,
    in_work: npt.NDArray[np.bool_],
    x: FloatArray,
    row_dual: FloatArray,
    lp_value: float,
    progress: Progress | None,
    stats: dict[str, float | int | str],
) -> tuple[IntArray, IntArray, float, bool]:
    """Whole units where depot capacity splits them: branch and bound with reduced-cost fixing.

    First an incumbent from branch and bound on the working set.  Then every route whose reduced
    cost at the relaxation's optimum exceeds (incumbent - relaxation) can carry no unit in any
    better solution (each unit on it raises the objective above the bound by its reduced cost),
    so branch and bound over the working set plus the remaining routes proves the optimum over
    the whole pool; its dual bound is a valid lower bound.
    """
    t0 = time.perf_counter()
    rc = _reduced_costs(model, row_dual)
    _set_integer(h, 0, work.size)
    if progress:
        progress(f"depot capacity binds: branch and bound on {work.size:,} routes")
    incumbent = _branch_and_bound(h, model, work, np.floor(x + _INT_TOL), _MIP_REL_GAP)
    upper = float(model.obj[work] @ incumbent)
    slack = upper - lp_value
    extra = np.nonzero(~in_work & (rc <= slack + _RC_TOL))[0]
    if progress:
        progress(f"reduced-cost fixing: {extra.size:,} more routes could still improve")
    first = work.size
    _add_columns(h, model, extra)
    _set_integer(h, first, extra.size)
    work = np.concatenate([work, extra])
    start = np.concatenate([incumbent, np.zeros(extra.size)])
    value = _branch_and_bound(h, model, work, start, 0.0)
    x_int = value.astype(np.int64)
    int_value = float(model.obj[work] @ x_int)
    info = h.getInfo()
    status = h.getModelStatus()
    bound = lp_value
    if status == highspy.HighsModelStatus.kOptimal:
        bound = max(lp_value, min(float(info.mip_dual_bound), int_value))
    proven = int_value <= bound + 1e-9 * max(1.0, abs(bound))
    stats.update(
        mip_seconds=time.perf_counter() - t0,
        mip_status=h.modelStatusToString(status),
        mip_extra_routes=int(extra.size),
    )
    return work, x_int, bound, proven


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
        g.add_edge(("s", s), "sink", capacity=int(qty), weight=0)  # leftover: disposal (in constant)
    for d, qty in enumerate(tables.d_qty):
        g.add_edge(("d", d), "sink", capacity=int(qty), weight=0)
    weights = np.round(model.obj * 100).astype(np.int64)
    for r in range(len(pool)):
        g.add_edge(("s", int(pool.src[r])), ("d", int(pool.dem[r])), weight=int(weights[r]),
                   route=r)
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
    kind, src, dem, depot = pool.kind[chosen], pool.src[chosen], pool.dem[chosen], pool.depot[chosen]
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
    allocations = tuple(
        Allocation(
            supply_id=(tables.i_ids if kind[n] == STOCK else tables.s_ids)[int(src[n])],
            demand_id=tables.d_ids[int(dem[n])],
            depot_id=None if depot[n] < 0 else tables.k_ids[int(depot[n])],
            quantity=int(solution.x[chosen[n]]),
            pickup_date=date.fromordinal(int(pool.p[chosen[n]])),
            delivery_date=date.fromordinal(int(pool.q[chosen[n]])),
            road_km=float(km[n]),
            cost_eur=float(alloc_cost[n]),
            co2_kg=float(co2_kg[n]),
        )
        for n in range(chosen.size)
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


def match(
    instance: Instance, *, method: str | None = None, progress: Progress | None = None
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
    stats: dict[str, object] = {"method": method}
    t0 = time.perf_counter()
    tables = build_tables(instance)
    t1 = time.perf_counter()
    pool = build_routes(tables, progress)
    t2 = time.perf_counter()
    model = _build_model(tables, pool)
    stats.update(routes=len(pool), useful_routes=len(model.pool))
    if method == "networkx":
        solution = _solve_networkx(model)
    else:
        solution = _solve_lp(model, progress, column_generation=method == "column-generation")
    t3 = time.perf_counter()
    stats.update(solution.stats)
    stats.update(tables_seconds=t1 - t0, routes_seconds=t2 - t1, solve_seconds=t3 - t2)
    result = _result(model, solution, stats)
    stats["result_seconds"] = time.perf_counter() - t3
    if progress:
        progress(f"{result.status}: {result.objective_eur:,.2f} EUR in {time.perf_counter() - t0:.2f} s")
    return result
