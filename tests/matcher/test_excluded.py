"""Pairs a party rejected are never matched again (``match(..., excluded_pairs=...)``).

Worked by hand with tests/builders.py: a unit is 1 t, 0.13 EUR per km; a unit left over costs
10 disposal, a unit not delivered 60.
"""

from __future__ import annotations

import pytest

from matcher.solve import match
from tests.builders import at, make_demand, make_depot, make_instance, make_stock, make_supply
from tests.reference import check_result


def _pairs(result) -> set[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    return {(a.supply_id, a.demand_id, a.depot_id) for a in result.allocations}


def test_an_excluded_pair_goes_to_the_next_best_source() -> None:
    # s1 is 5 km from d1 (0.65 per unit), s2 20 km (2.60); without s1, s2 serves:
    # 10 * 2.60 + s1 left over 10 * 10 = 126
    instance = make_instance(
        supply=[make_supply("s1", **at(5)), make_supply("s2", **at(20))],
        demand=[make_demand("d1", **at(0))],
    )
    assert _pairs(match(instance)) == {("s1", "d1", None)}
    result = match(instance, excluded_pairs={("s1", "d1")})
    check_result(instance, result)
    assert _pairs(result) == {("s2", "d1", None)}
    assert result.objective_eur == pytest.approx(126.0)


@pytest.mark.parametrize("depot_routes", ["listed", "priced"])
def test_an_excluded_pair_is_not_routed_through_a_depot_either(depot_routes: str) -> None:
    # the windows do not meet, so s1 -> d1 can only go through the depot; once excluded, s1 is
    # disposed of and d1 bought new: 10 * 10 + 10 * 60 = 700
    instance = make_instance(
        supply=[make_supply("s1", available_until=5)],
        demand=[make_demand("d1", needed_from=20)],
        depots=[make_depot()],
    )
    assert _pairs(match(instance, depot_routes=depot_routes)) == {("s1", "d1", "dep1")}
    result = match(instance, depot_routes=depot_routes, excluded_pairs={("s1", "d1")})
    assert result.allocations == ()
    assert result.objective_eur == pytest.approx(700.0)


def test_an_excluded_stock_pair_leaves_the_stock_in_the_depot() -> None:
    instance = make_instance(
        demand=[make_demand("d1")],
        depots=[make_depot(stock=[make_stock("st1")])],
    )
    assert _pairs(match(instance)) == {("st1", "d1", "dep1")}
    result = match(instance, excluded_pairs={("st1", "d1")})
    assert result.allocations == ()
    assert result.objective_eur == pytest.approx(10 * 60.0)
