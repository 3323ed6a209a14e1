"""Whole units where binding depot capacity splits them: rounding the depot routes down (one
re-solve) is kept when it is within ``_ROUNDING_CLOSE_ENOUGH`` of the relaxation; otherwise the
search around the relaxation (RENS and a dive) runs."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import matcher.solve
from matcher.domain import Instance
from matcher.solve import match
from tests.reference import GAP_LIMIT, check_result


@cache
def _instance(seed: int = 1) -> Instance:
    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    # the benchmark's 10k x 10k with 20 depots: capacity binds and splits units on a few routes
    return parse_instance(generate_instance(10_000, 10_000, 20, seed=seed, regime="default"))


def test_rounding_down_is_kept_when_it_is_close_to_the_relaxation() -> None:
    instance = _instance()
    result = match(instance)
    assert result.stats["rounding"] == "floor"
    assert result.status == "feasible"
    check_result(instance, result)
    relaxation = float(result.stats["relaxation_eur"])  # type: ignore[arg-type]
    assert result.lower_bound_eur == pytest.approx(relaxation, abs=0.01)
    assert (
        0
        <= result.objective_eur - relaxation
        <= matcher.solve._ROUNDING_CLOSE_ENOUGH * abs(relaxation)
    )


def test_the_search_runs_where_rounding_down_is_not_close_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instance = _instance()
    floored = match(instance)
    monkeypatch.setattr(matcher.solve, "_ROUNDING_CLOSE_ENOUGH", 0.0)
    searched = match(instance)
    assert searched.stats["rounding"] == "search"
    check_result(instance, searched)
    assert searched.lower_bound_eur == floored.lower_bound_eur  # the same relaxation
    assert searched.objective_eur - searched.lower_bound_eur < GAP_LIMIT * searched.lower_bound_eur


def test_rounding_down_dives_where_stock_leaving_early_splits_units(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Seed 2: with the depot routes rounded down, the relaxation still sends stock out of a depot
    # in split units to make room, so rounding down goes on with a dive over those few routes
    # (the depot routes stay fixed) instead of handing over to the search.
    instance = _instance(seed=2)
    dives: list[tuple[bool, bool]] = []
    real_dive = matcher.solve._dive

    def dive(gen: matcher.solve._Generation, x: object, give_up: bool = False) -> object:
        found = real_dive(gen, x, give_up)  # type: ignore[arg-type]
        dives.append((give_up, found is not None))
        return found

    monkeypatch.setattr(matcher.solve, "_dive", dive)
    result = match(instance)
    assert (True, True) in dives  # rounding down dived, and found whole units
    check_result(instance, result)
    assert result.objective_eur - result.lower_bound_eur < GAP_LIMIT * result.lower_bound_eur


@pytest.mark.parametrize(("depots", "seed"), [(1, 4), (2, 1)])
def test_whole_units_around_an_optimum_of_other_costs_prove_nothing(depots: int, seed: int) -> None:
    """Without duals (the relaxation's optimum was found at other costs: a family solved
    within its room from its priced optimum), whole units are still found around it, fit
    every depot day, and cost no less than the relaxation at those costs, but nothing is
    proven and no branch and bound runs, since reduced costs would need the duals.  With the
    duals, the same small model goes on to branch and bound and its proof."""
    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    instance = parse_instance(generate_instance(40, 40, depots, seed=seed, regime="tight"))
    solutions = {}
    for duals in (False, True):
        model, _ = matcher.solve._prepare_model(
            instance, "column-generation", None, "listed", None, ()
        )
        gen = matcher.solve._Generation(model, column_generation=True)
        x, row_dual = gen.solve(None)
        assert np.abs(x - np.round(x)).max() > 1e-6  # capacity splits units
        solution = matcher.solve._whole_solution(gen, x, row_dual if duals else None, None)
        held = solution.x.astype(np.float64)
        assert not matcher.solve._violated_days(model, np.arange(len(model.pool)), held)
        assert float(model.obj @ solution.x) >= float(model.obj[gen.work] @ x) - 1e-6
        solutions[duals] = solution
    assert not solutions[False].proven
    assert "mip_status" not in solutions[False].stats
    assert solutions[True].stats["mip_status"] == "Optimal"


def test_the_search_around_the_relaxation_may_stop_early_and_leave_the_rest_to_lemon() -> None:
    """RENS on a small model where rounding down is not enough.  Without ``exact``, the
    transportation part that is left once the depot routes carry whole units goes to LEMON's
    network simplex instead of HiGHS: the same cost (to within LEMON's rounding of costs), whole
    units, every depot day within capacity.  With a gap of a million euros the branch and bound
    may stop at any solution it finds, which is whole and fits too, and costs no less."""
    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    instance = parse_instance(generate_instance(40, 40, 2, seed=1, regime="tight"))
    costs = {}
    for gap_eur, exact in ((0.0, True), (0.0, False), (1e6, False)):
        model, _ = matcher.solve._prepare_model(
            instance, "column-generation", None, "listed", None, ()
        )
        gen = matcher.solve._Generation(model, column_generation=True)
        x, _ = gen.solve(None)
        assert np.abs(x - np.round(x)).max() > 1e-6  # capacity splits units
        found = matcher.solve._rens(gen, x, gap_eur, exact=exact)
        assert found is not None
        assert np.abs(found - np.round(found)).max() <= 1e-6
        held = np.zeros(len(model.pool))
        held[gen.work] = np.round(found)
        assert not matcher.solve._violated_days(model, np.arange(len(model.pool)), held)
        qty = matcher.solve._row_qty(model.tables)
        sent = np.bincount(model.src_rows(gen.work), found, qty.size)
        received = np.bincount(model.dem_rows(gen.work), found, qty.size)
        assert np.all(sent + received <= qty + 1e-6)
        costs[gap_eur, exact] = float(model.obj[gen.work] @ np.round(found))
    units = float(matcher.solve._row_qty(model.tables).sum())
    assert costs[0.0, False] == pytest.approx(costs[0.0, True], abs=units * 3e-7)
    assert costs[1e6, False] >= costs[0.0, True] - units * 3e-7


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_what_is_left_is_stored_at_the_lps_optimum_within_the_free_room(seed: int) -> None:
    """``_store_what_is_left`` solves its LP itself (HiGHS, not scipy's ``linprog``): with room
    to spare its LP is a transportation problem, whose optimum is whole, so what it stores
    costs exactly what scipy's ``linprog`` finds; with the room cut to a fifth, what it
    stores fits that room and every row, and costs no less than that LP's optimum."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    instance = parse_instance(generate_instance(60, 60, 3, seed=seed, regime="tight"))
    model, _ = matcher.solve._prepare_model(instance, "column-generation", None, "listed", None, ())
    pool, tables = model.pool, model.tables
    grid = matcher.solve._day_grid(tables, {})
    work = np.arange(len(pool))
    storage = np.nonzero((pool.kind == matcher.solve.DEPOT) & (pool.q > pool.p))[0]
    storage = storage[model.obj[storage] < 0]
    assert storage.size > 10
    qty = matcher.solve._row_qty(tables)
    src, dem = model.src_rows(storage), model.dem_rows(storage)
    rows = np.unique(np.concatenate([src, dem]))
    at_src, at_dem = np.searchsorted(rows, src), np.searchsorted(rows, dem)
    stock = matcher.solve._held_by(model, np.zeros(len(pool), np.int64), grid)  # stays put
    for cut in (None, 0.2):
        x = np.zeros(len(pool), np.int64)
        left = qty.copy()
        if cut is None:
            free = np.full(stock.shape, 1e12)  # never binds
        else:
            free = matcher.solve._depot_room(tables, {}, grid) * cut
        before = free.copy()
        matcher.solve._store_what_is_left(model, work, x, left, grid, free)
        assert (x >= 0).all() and (x[storage].sum() > 0)
        assert not x[np.setdiff1d(work, storage)].any()  # storage routes only
        carrying = np.nonzero(x)[0]
        assert (left >= 0).all()
        assert (left == matcher.solve._left_per_row(model, carrying, x[carrying])).all()
        held = matcher.solve._held_by(model, x, grid) - stock
        assert (held <= before + 1e-6).all()
        assert np.allclose(free, before - held)
        # scipy's LP over the same storage routes, rows and room
        each = np.arange(storage.size)
        a_rows = coo_matrix(
            (np.ones(2 * storage.size), (np.r_[at_src, at_dem], np.r_[each, each])),
            shape=(rows.size, storage.size),
        )
        pos, cell, m3 = matcher.solve._day_entries(model, storage, [grid] * free.shape[0])
        a_room = coo_matrix((m3, (cell, pos)), shape=(free.size, storage.size))
        lp = linprog(
            model.obj[storage],
            A_ub=vstack([a_rows, a_room]).tocsr(),
            b_ub=np.r_[qty[rows], np.maximum(before.ravel(), 0.0)],
            method="highs",
        )
        assert lp.status == 0
        value = float(model.obj @ x)
        if cut is None:
            assert value == pytest.approx(lp.fun, rel=1e-9, abs=1e-6)
        else:
            assert value >= lp.fun - 1e-6


@pytest.mark.parametrize("rows_first", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_model_of_some_columns_holds_the_others_at_their_units(
    rows_first: bool, seed: int
) -> None:
    """``_highs_of_columns`` keeps some columns of an LP and holds the others at fixed units:
    its optimum plus what the held columns cost is the LP's optimum with those columns fixed,
    and together they fit every row, whichever way HiGHS stores the matrix."""
    import highspy

    rng = np.random.default_rng(seed)
    n_rows, n_cols = 8, 30
    dense = np.where(rng.random((n_rows, n_cols)) < 0.3, rng.uniform(0.5, 2.0, (n_rows, n_cols)), 0)
    cost = -rng.uniform(1.0, 5.0, n_cols)
    row_upper = rng.uniform(20.0, 40.0, n_rows)
    held = rng.random(n_cols) < 0.4
    lower = np.where(held, rng.integers(0, 3, n_cols), 0).astype(np.float64)
    upper = np.where(held, lower, 6.0)
    h = matcher.solve._new_highs()
    no_rows = (0, np.zeros(n_cols, np.int32), np.empty(0, np.int32), np.empty(0))
    rows = np.nonzero(dense)
    if rows_first:
        h.addCols(n_cols, cost, np.zeros(n_cols), np.full(n_cols, 6.0), *no_rows)
        by_row = dense.ravel()[np.ravel_multi_index(rows, dense.shape)]
        starts = np.searchsorted(rows[0], np.arange(n_rows)).astype(np.int32)
        h.addRows(
            n_rows,
            np.full(n_rows, -highspy.kHighsInf),
            row_upper,
            by_row.size,
            starts,
            rows[1].astype(np.int32),
            by_row,
        )
    else:
        h.addRows(
            n_rows,
            np.full(n_rows, -highspy.kHighsInf),
            row_upper,
            0,
            np.zeros(n_rows, np.int32),
            np.empty(0, np.int32),
            np.empty(0),
        )
        cols = np.nonzero(dense.T)
        by_col = dense.T.ravel()[np.ravel_multi_index(cols, dense.T.shape)]
        starts = np.searchsorted(cols[0], np.arange(n_cols)).astype(np.int32)
        h.addCols(
            n_cols,
            cost,
            np.zeros(n_cols),
            np.full(n_cols, 6.0),
            by_col.size,
            starts,
            cols[1].astype(np.int32),
            by_col,
        )
    assert (h.getLp().a_matrix_.format_ == highspy.MatrixFormat.kRowwise) == rows_first
    keep = np.nonzero(~held)[0]

    part = matcher.solve._highs_of_columns(h, keep, lower, upper)
    matcher.solve._run(part)
    x = lower.copy()
    x[keep] = np.asarray(part.getSolution().col_value)

    h.changeColsBounds(n_cols, np.arange(n_cols, dtype=np.int32), lower, upper)
    matcher.solve._run(h)
    assert part.getNumCol() == keep.size
    assert part.getInfo().objective_function_value + float(cost[held] @ lower[held]) == (
        pytest.approx(h.getInfo().objective_function_value, abs=1e-9)
    )
    assert (dense @ x <= row_upper + 1e-9).all()
    assert (x[held] == lower[held]).all()


@pytest.mark.parametrize(("listings", "depots", "seed"), [(40, 2, 1), (60, 3, 1), (60, 3, 6)])
def test_the_search_around_the_relaxation_on_the_routes_left_to_decide_finds_the_same_cost(
    listings: int, depots: int, seed: int
) -> None:
    """RENS searches a model of the routes the relaxation leaves undecided only; branch and
    bound over every working route, with the others fixed by their bounds, finds the same
    cost (each to within the search's gap)."""
    import highspy

    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    instance = parse_instance(
        generate_instance(listings, listings, depots, seed=seed, regime="tight")
    )
    model, _ = matcher.solve._prepare_model(instance, "column-generation", None, "listed", None, ())
    gen = matcher.solve._Generation(model, column_generation=True)
    x, _ = gen.solve(None)
    assert np.abs(x - np.round(x)).max() > 1e-6  # capacity splits units
    found = matcher.solve._rens(gen, x)
    assert found is not None
    assert np.abs(found - np.round(found)).max() <= 1e-6
    cost = float(model.obj[gen.work] @ np.round(found))

    h, n = gen.h, gen.work.size  # which now holds every depot-day row the search had
    via_depot = model.pool.kind[gen.work] != matcher.solve.DIRECT
    tol = matcher.solve._INT_TOL
    lower = np.where(via_depot, np.floor(x + tol), 0.0)
    upper = np.where(via_depot, np.ceil(x - tol), highspy.kHighsInf)
    assert (lower == upper).any() and (lower < upper).any()
    h.changeColsBounds(n, np.arange(n, dtype=np.int32), lower, upper)
    depot = np.nonzero(via_depot)[0].astype(np.int32)
    h.changeColsIntegrality(depot.size, depot, np.full(depot.size, highspy.HighsVarType.kInteger))
    h.setOptionValue("mip_rel_gap", matcher.solve._MIP_REL_GAP)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    every = float(model.obj[gen.work] @ np.round(h.getSolution().col_value))
    assert cost == pytest.approx(every, rel=2 * matcher.solve._MIP_REL_GAP, abs=1e-6)
