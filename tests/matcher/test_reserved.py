"""Depot volume promised outside the instance (``match(..., reserved_m3=...)``).

The nightly run passes what accepted proposals already hold in a depot, day by day.  Worked by
hand with the conventions of tests/builders.py: a unit is 1 t and 0.5 m3; through the depot
(p = 5, q = 20) a unit costs 6.975; a unit left over costs 10 disposal + 60 new = 70.
"""

from __future__ import annotations

import pytest

from matcher.solve import match
from tests.builders import (
    day,
    make_demand,
    make_depot,
    make_instance,
    make_material,
    make_supply,
)
from tests.reference import check_result


def _instance(capacity_m3: float = 3.0):  # type: ignore[no-untyped-def]
    return make_instance(
        supply=[make_supply(available_until=5)],
        demand=[make_demand(needed_from=20)],
        depots=[make_depot(capacity_m3=capacity_m3)],
    )


def _through_depot(result) -> int:  # type: ignore[no-untyped-def]
    return sum(a.quantity for a in result.allocations if a.depot_id == "dep1")


def test_without_promises_the_depot_holds_what_fits() -> None:
    # 3 m3 hold 6 units: 6 * 6.975 + 4 * 70 = 321.85
    result = match(_instance())
    check_result(_instance(), result)
    assert _through_depot(result) == 6
    assert result.objective_eur == pytest.approx(321.85)
    assert result.status == "optimal"


def test_a_promise_during_the_stay_leaves_less_room() -> None:
    # 2 m3 promised on days 8..11 leaves 1 m3, two units: 2 * 6.975 + 8 * 70 = 573.95
    reserved = {"dep1": [(day(8), 2.0), (day(12), 0.0)]}
    result = match(_instance(), reserved_m3=reserved)
    assert _through_depot(result) == 2
    assert result.objective_eur == pytest.approx(573.95)


def test_a_promise_after_the_stay_changes_nothing() -> None:
    reserved = {"dep1": [(day(30), 3.0)]}
    result = match(_instance(), reserved_m3=reserved)
    assert _through_depot(result) == 6
    assert result.objective_eur == pytest.approx(321.85)


def test_a_promise_larger_than_the_depot_takes_all_room_but_stays_solvable() -> None:
    reserved = {"dep1": [(day(0), 50.0)]}
    result = match(_instance(), reserved_m3=reserved)
    assert _through_depot(result) == 0
    assert result.objective_eur == pytest.approx(10 * 70)


def test_promises_count_when_deciding_whether_families_are_independent() -> None:
    # Two unrelated materials, 10 units (5 m3) each to store; 100 m3 with 92 promised leaves
    # 8 m3 for both together, 16 units.  Solved family by family as if the capacity could not
    # bind, each would take 8 m3 and overfill the depot.
    instance = make_instance(
        materials=[make_material("block"), make_material("brick")],
        supply=[
            make_supply("s1", available_until=5),
            make_supply("s2", material="brick", available_until=5),
        ],
        demand=[
            make_demand("d1", needed_from=20),
            make_demand("d2", material="brick", needed_from=20),
        ],
        depots=[make_depot(capacity_m3=100.0)],
    )
    result = match(instance, reserved_m3={"dep1": [(day(0), 92.0)]})
    assert _through_depot(result) == 16
    assert result.objective_eur == pytest.approx(16 * 6.975 + 4 * 70)
