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
