"""A greedy nearest-first matcher: what a browse-and-contact marketplace achieves.

This is the baseline the benchmark (``scripts/bench_match.py``) compares the optimiser against;
it is not part of the product.  It behaves like buyers browsing listings one after another:

- demands are served in order of ``needed_from`` (then id), the way projects come to market;
- each demand takes compatible supply (the same material or one of its substitutes, condition,
  attribute requirements, a shared day in both windows from ``today`` on, within the demand's
  distance) nearest first, until it is filled or nothing compatible is left;
- only direct routes: a marketplace has no depots, so depot stock stays where it is and no supply
  is stored across a gap between windows;
- a buyer takes a reclaimed unit only when its transport and substitution penalty cost less than
  buying the unit new (its new price plus priced embodied carbon): nobody pays more for used;
- what is left over is disposed of (supply) or bought new (demand).

Its candidate routes are the solver's own direct routes (:func:`matcher.routes.build_routes`), so
both see the same feasibility rules; its objective is computed term by term as the spec's cost
section states it, so that it compares with ``MatchResult.objective_eur``.

Usage::

    .venv/bin/python scripts/greedy_baseline.py INSTANCE.json
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from matcher.domain import Instance
from matcher.result import Allocation, CostBreakdown, Kpis, Leftover, MatchResult
from matcher.routes import DIRECT, RoutePool, Tables, build_routes, build_tables

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass
class GreedyResult:
    """The greedy matcher's allocations (one row per route used) and their cost.

    ``src``/``dem`` index ``instance.supply``/``instance.demand``; ``qty`` is whole units.
    """

    tables: Tables
    routes: RoutePool  # the direct routes used, one row per allocation
    qty: IntArray
    breakdown: CostBreakdown
    candidate_routes: int
    seconds: float

    @property
    def objective_eur(self) -> float:
        return self.breakdown.total_eur

    def to_match_result(self) -> MatchResult:
        """The same answer in the solver's result shape, for the spec's independent checker.

        The status is ``"feasible"`` and ``lower_bound_eur`` is the objective itself: the greedy
        proves no bound, and the field has no other value that is not made up.
        """
        t, pool, qty = self.tables, self.routes, self.qty
        cost = t.instance.cost
        tonnes = t.mat_t[pool.mat]
        co2_kg = tonnes * pool.km * cost.co2_kg_per_tonne_km
        allocations = tuple(
            Allocation(
                supply_id=t.s_ids[int(pool.src[n])],
                demand_id=t.d_ids[int(pool.dem[n])],
                depot_id=None,
                quantity=int(qty[n]),
                pickup_date=date.fromordinal(int(pool.p[n])),
                delivery_date=date.fromordinal(int(pool.q[n])),
                road_km=float(pool.km[n]),
                cost_eur=float(pool.unit_cost[n] * qty[n]),
                co2_kg=float(co2_kg[n] * qty[n]),
            )
            for n in range(qty.size)
        )
        left_s, left_d = _leftovers(t, pool, qty)
        demanded = int(t.d_qty.sum())
        return MatchResult(
            status="feasible",
            objective_eur=self.objective_eur,
            lower_bound_eur=self.objective_eur,
            cost_breakdown=self.breakdown,
            allocations=allocations,
            unmatched_supply=tuple(
                Leftover(t.s_ids[s], int(left_s[s])) for s in np.nonzero(left_s > 0)[0]
            ),
            unmet_demand=tuple(
                Leftover(t.d_ids[d], int(left_d[d])) for d in np.nonzero(left_d > 0)[0]
            ),
            kpis=Kpis(
                tonnes_reused=float((tonnes * qty).sum()),
                transport_co2_kg=float((co2_kg * qty).sum()),
                embodied_co2_avoided_kg=float((t.mat_embodied_kg[pool.mat] * qty).sum()),
                demand_met_fraction=1.0 if demanded == 0 else float(qty.sum()) / demanded,
            ),
        )


def _leftovers(t: Tables, pool: RoutePool, qty: IntArray) -> tuple[IntArray, IntArray]:
    """Units of each supply not sent, and of each demand not served."""
    sent = np.bincount(pool.src, weights=qty, minlength=len(t.s_ids)).astype(np.int64)
    got = np.bincount(pool.dem, weights=qty, minlength=len(t.d_ids)).astype(np.int64)
    return t.s_qty - sent, t.d_qty - got


def _demand_order(instance: Instance) -> IntArray:
    """Each demand's turn: by ``needed_from``, then id."""
    order = sorted(
        range(len(instance.demand)),
        key=lambda d: (instance.demand[d].needed_from, instance.demand[d].id),
    )
    rank = np.empty(len(order), np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(len(order))
    return rank


def _breakdown(t: Tables, pool: RoutePool, qty: IntArray) -> CostBreakdown:
    """The spec's cost terms for direct routes and the leftovers (no handling, no holding)."""
    cost = t.instance.cost
    tkm = t.mat_t[pool.mat] * pool.km * qty
    co2_kg = tkm * cost.co2_kg_per_tonne_km
    _, penalty = t.penalty(pool.mat, t.d_mat[pool.dem])
    left_s, left_d = _leftovers(t, pool, qty)
    return CostBreakdown(
        transport_eur=float((tkm * cost.transport_eur_per_tonne_km).sum()),
        co2_eur=float((co2_kg / 1000.0 * cost.co2_price_eur_per_tonne).sum()),
        substitution_eur=float((penalty * qty).sum()),
        disposal_eur=float((t.mat_disposal[t.s_mat] * left_s).sum()),
        new_purchase_eur=float((t.mat_unmet[t.d_mat] * left_d).sum()),
    )


def greedy_match(instance: Instance) -> GreedyResult:
    """Match nearest-first, demand by demand, over direct routes only.

    Parameters
    ----------
    instance : Instance
        A validated instance.

    Returns
    -------
    GreedyResult
        The allocations, the cost breakdown (``objective_eur`` is its total) and timings.
    """
    start = time.perf_counter()
    t = build_tables(instance)
    # No depot routes are listed (no demand selected); stock routes are, and are dropped below.
    pool = build_routes(t, depot_demands=np.zeros(len(t.d_ids), bool))
    pool = pool.take(np.nonzero(pool.kind == DIRECT)[0])
    # A buyer compares with buying new, not with the seller's disposal fee.
    worth_it = pool.unit_cost < t.mat_unmet[t.d_mat[pool.dem]]
    candidates = pool.take(np.nonzero(worth_it)[0])
    rank = _demand_order(instance)
    order = np.lexsort((candidates.src, candidates.km, rank[candidates.dem]))
    candidates = candidates.take(order)

    supply_left = t.s_qty.tolist()
    demand_left = t.d_qty.tolist()
    taken = np.zeros(len(candidates), np.int64)
    srcs, dems = candidates.src.tolist(), candidates.dem.tolist()
    for n, (s, d) in enumerate(zip(srcs, dems, strict=True)):
        want = demand_left[d]
        if want == 0:
            continue
        have = supply_left[s]
        if have == 0:
            continue
        units = want if want < have else have
        taken[n] = units
        demand_left[d] = want - units
        supply_left[s] = have - units
    used = np.nonzero(taken > 0)[0]
    routes, qty = candidates.take(used), taken[used]
    return GreedyResult(
        tables=t,
        routes=routes,
        qty=qty,
        breakdown=_breakdown(t, routes, qty),
        candidate_routes=len(pool),
        seconds=time.perf_counter() - start,
    )


def main(argv: list[str] | None = None) -> int:
    from matcher.io import load_instance

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.split("Usage::")[1].strip(), file=sys.stderr)
        return 2
    result = greedy_match(load_instance(Path(args[0])))
    served = int(result.qty.sum())
    print(
        f"greedy nearest-first: {result.objective_eur:,.2f} EUR, {result.qty.size:,} allocations, "
        f"{served:,} of {int(result.tables.d_qty.sum()):,} units served, {result.seconds:.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
