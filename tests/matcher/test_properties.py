"""Properties on random small instances: production agrees with the independent references.

- every production result passes the independent checker;
- its objective equals the brute-force MILP's (status "optimal"), or brackets it (status
  "feasible": the reference optimum lies within [lower_bound, objective]);
- on depot-free instances it equals networkx's min-cost flow (within the rounding of costs to
  integer cents);
- and the references agree with each other (the canonical depot days lose nothing; the MILP and
  the min-cost flow agree), so that a disagreement with production points at production.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.domain import Instance
from tests.reference import (
    as_match_result,
    check_result,
    min_cost_flow,
    objective_tolerance,
    reference_milp,
)
from tests.strategies import depot_free_instances, instances

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _match(instance: Instance) -> Any:
    from matcher.solve import match

    return match(instance)


def assert_agrees_with_reference(instance: Instance) -> None:
    result = _match(instance)
    check_result(instance, result)
    ref = reference_milp(instance)
    tol = objective_tolerance(ref.objective_eur)
    if result.status == "optimal":
        assert abs(result.objective_eur - ref.objective_eur) <= tol, (
            f"production {result.objective_eur!r} != reference {ref.objective_eur!r}\n"
            f"production allocations: {result.allocations}\n"
            f"reference allocations: {ref.allocations}"
        )
    else:
        assert result.lower_bound_eur - tol <= ref.objective_eur <= result.objective_eur + tol, (
            f"reference optimum {ref.objective_eur!r} outside production's "
            f"[{result.lower_bound_eur!r}, {result.objective_eur!r}]"
        )
    # Production's bound is a bound: never above the true optimum.
    assert result.lower_bound_eur <= ref.objective_eur + tol


def assert_agrees_with_networkx(instance: Instance) -> None:
    result = _match(instance)
    check_result(instance, result)
    flow = min_cost_flow(instance, scale=10**6)
    assert abs(result.objective_eur - flow.objective_eur) <= flow.tolerance_eur, (
        f"production {result.objective_eur!r} != networkx {flow.objective_eur!r} "
        f"(tolerance {flow.tolerance_eur})"
    )
    # networkx's flow is feasible, so an optimal production answer costs no more.
    assert result.objective_eur <= flow.objective_eur + objective_tolerance(flow.objective_eur)


@FAST
@given(instances())
def test_production_is_feasible_and_optimal_on_random_instances(instance: Instance) -> None:
    assert_agrees_with_reference(instance)


@FAST
@given(depot_free_instances())
def test_production_equals_min_cost_flow_without_depots(instance: Instance) -> None:
    assert_agrees_with_networkx(instance)


@FAST
@given(instances(max_materials=2, max_depots=2, max_quantity=40))
def test_production_is_optimal_when_depots_are_crowded(instance: Instance) -> None:
    # Fewer materials and larger quantities: more routes compete for the small depots.
    assert_agrees_with_reference(instance)


@FAST
@given(instances(max_materials=4, max_supply=6, max_demand=6, max_depots=1, max_quantity=40))
def test_production_is_optimal_when_materials_share_one_small_depot(instance: Instance) -> None:
    # Several material families compete for one depot: splitting the problem by family is only
    # exact where no capacity can bind.
    assert_agrees_with_reference(instance)


# ---------------------------------------------------------------------------------------------
# The references against each other (so that a disagreement above points at production)
# ---------------------------------------------------------------------------------------------


@FAST
@given(instances(max_supply=3, max_demand=3))
def test_canonical_depot_days_lose_nothing(instance: Instance) -> None:
    canonical = reference_milp(instance)
    every_day = reference_milp(instance, every_depot_day=True)
    assert canonical.objective_eur == pytest.approx(
        every_day.objective_eur, abs=objective_tolerance(every_day.objective_eur)
    )


@FAST
@given(depot_free_instances(), st.sampled_from([100, 10**6]))
def test_the_reference_milp_and_min_cost_flow_agree(instance: Instance, scale: int) -> None:
    ref = reference_milp(instance)
    flow = min_cost_flow(instance, scale=scale)
    assert abs(ref.objective_eur - flow.objective_eur) <= flow.tolerance_eur
    assert ref.objective_eur <= flow.objective_eur + objective_tolerance(flow.objective_eur)
    # Without depots the constraint matrix is totally unimodular: the LP is already integral.
    assert ref.lp_relaxation_eur == pytest.approx(
        ref.objective_eur, abs=objective_tolerance(ref.objective_eur)
    )


@FAST
@given(instances())
def test_the_reference_solution_passes_the_checker(instance: Instance) -> None:
    ref = reference_milp(instance)
    check_result(instance, as_match_result(instance, ref))
    assert ref.lp_relaxation_eur <= ref.objective_eur + objective_tolerance(ref.objective_eur)


# ---------------------------------------------------------------------------------------------
# Longer runs
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@SLOW
@given(instances(max_materials=3, max_supply=8, max_demand=8, max_depots=3, max_quantity=30))
def test_production_is_optimal_on_many_larger_random_instances(instance: Instance) -> None:
    assert_agrees_with_reference(instance)


@pytest.mark.slow
@SLOW
@given(depot_free_instances(max_supply=10, max_demand=10, max_quantity=50))
def test_production_equals_min_cost_flow_on_many_larger_instances(instance: Instance) -> None:
    assert_agrees_with_networkx(instance)
