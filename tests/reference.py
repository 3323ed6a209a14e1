"""Independent reference solvers and an independent result checker (test helpers only).

Written from ``shared/spec/matching.md`` alone, without reading or importing ``matcher.solve`` or
``matcher.routes``, so that agreement between them and the production solver means something.

- :func:`reference_milp` enumerates every feasible route by brute force in plain Python and solves
  the full MILP (scipy.optimize.milp / HiGHS) with exact day-by-day depot occupancy.
- :func:`reference_networkx` solves depot-free instances as a min-cost flow (network simplex) with
  costs scaled to integers.
- :func:`check_result` checks a :class:`matcher.result.MatchResult` for feasibility and accounting.

Only the frozen dataclasses of :mod:`matcher.domain` and :mod:`matcher.result` are used; the rules
(compatibility, distances, canonical days, costs) are re-derived here from the spec.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from geopy.distance import great_circle
from scipy.optimize import Bounds, LinearConstraint, milp

from matcher.domain import Demand, Depot, Instance, Material, StockItem, Supply
from matcher.result import MatchResult

EARTH_RADIUS_KM = 6371.009
GAP_LIMIT = 0.005  # the spec: a "feasible" result must be within 0.5 % of its lower bound
_CONDITION_RANK = {"C": 1, "B": 2, "A": 3}

# ---------------------------------------------------------------------------------------------
# The rules of the spec, item by item
# ---------------------------------------------------------------------------------------------


def road_km(cost_road_factor: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle km (radius 6371.009 km, geopy's ``great_circle``) times the road factor."""
    return float(great_circle(a, b).km) * cost_road_factor


def _rank(condition: Any) -> int:
    # Condition is an IntEnum named A/B/C; use the name so that the order A > B > C is the spec's.
    return _CONDITION_RANK[getattr(condition, "name", str(condition))]


def _requirement_met(req: Any, value: Any) -> bool:
    if value is None:
        return False
    allowed = getattr(req, "allowed", None)
    if allowed is not None and not any(_equal(value, v) for v in allowed):
        return False
    lo, hi = getattr(req, "min", None), getattr(req, "max", None)
    if lo is not None or hi is not None:
        if not _is_number(value):
            return False
        if lo is not None and value < lo:
            return False
        if hi is not None and value > hi:
            return False
    return True


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _equal(a: Any, b: Any) -> bool:
    # "in" is by equality: numbers with numbers (6 == 6.0), strings with strings, never across.
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    return isinstance(a, str) and isinstance(b, str) and a == b


def penalty_if_compatible(
    materials: Mapping[str, Material],
    supplied_code: str,
    condition: Any,
    attributes: Mapping[str, Any],
    demand: Demand,
) -> float | None:
    """Substitution penalty per unit if the item may serve the demand, else None (spec: Routes)."""
    demanded = materials[demand.material]
    if supplied_code == demanded.code:
        penalty = 0.0
    else:
        found = [s.penalty_eur_per_unit for s in demanded.substitutes if s.code == supplied_code]
        if not found:
            return None
        penalty = float(found[0])
    if _rank(condition) < _rank(demand.min_condition):
        return None
    for name, req in demand.requirements.items():
        if not _requirement_met(req, attributes.get(name)):
            return None
    return penalty


def demand_limit_km(instance: Instance, demand: Demand) -> float:
    """The demand's own distance limit, or the cost model's when it states none."""
    if demand.max_distance_km is None:
        return instance.cost.max_distance_km
    return demand.max_distance_km


def unmet_eur_per_unit(instance: Instance, material: Material) -> float:
    """New price plus priced embodied carbon, per unit not served."""
    return (
        material.new_price_eur_per_unit
        + material.kg_per_unit
        * material.embodied_kgco2e_per_kg
        / 1000.0
        * instance.cost.co2_price_eur_per_tonne
    )


def direct_day(instance: Instance, s: Supply, d: Demand) -> date | None:
    """First day t with max(available_from, needed_from, today) <= t <= min(untils), or None."""
    t = max(s.available_from, d.needed_from, instance.today)
    return t if t <= min(s.available_until, d.needed_until) else None


def depot_days(instance: Instance, s: Supply, d: Demand) -> tuple[date, date] | None:
    """Canonical (p, q) of a route through a depot, or None when no feasible (p, q) exists."""
    p_lo = max(s.available_from, instance.today)
    if p_lo > s.available_until:
        return None
    q_lo = max(d.needed_from, p_lo)
    if q_lo > d.needed_until:
        return None
    # Brute force over every feasible (p, q) would give the same days: the canonical pair is the
    # one whose occupied interval [p, q) is contained in every other's (checked in the tests).
    shared_first = max(p_lo, d.needed_from)
    if shared_first <= min(s.available_until, d.needed_until):
        return shared_first, shared_first
    return s.available_until, d.needed_from


def stock_day(instance: Instance, d: Demand) -> date | None:
    """The day stock leaves for demand d: max(needed_from, today), if within the window."""
    q = max(d.needed_from, instance.today)
    return q if q <= d.needed_until else None


# ---------------------------------------------------------------------------------------------
# Routes, enumerated by brute force
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One feasible route with its per-unit costs split as the cost breakdown splits them."""

    kind: str  # "direct", "depot" or "stock"
    source_id: str  # a supply id, or a stock item id for kind "stock"
    demand_id: str
    depot_id: str | None
    pickup: date
    delivery: date
    road_km: float
    tonnes_per_unit: float
    m3_per_unit: float
    transport_eur: float  # per unit
    co2_eur: float
    co2_kg: float
    substitution_eur: float
    handling_eur: float
    holding_eur: float

    @property
    def unit_cost_eur(self) -> float:
        return (
            self.transport_eur
            + self.co2_eur
            + self.substitution_eur
            + self.handling_eur
            + self.holding_eur
        )

    @property
    def key(self) -> tuple[str, str, str | None, date, date]:
        return (self.source_id, self.demand_id, self.depot_id, self.pickup, self.delivery)


def _route(
    instance: Instance,
    kind: str,
    supplied: Material,
    source_id: str,
    demand: Demand,
    depot: Depot | None,
    pickup: date,
    delivery: date,
    km: float,
    penalty: float,
) -> Route:
    c = instance.cost
    t = supplied.kg_per_unit / 1000.0
    through_depot = kind == "depot"
    assert depot is not None or not through_depot
    return Route(
        kind=kind,
        source_id=source_id,
        demand_id=demand.id,
        depot_id=None if depot is None else depot.id,
        pickup=pickup,
        delivery=delivery,
        road_km=km,
        tonnes_per_unit=t,
        m3_per_unit=supplied.m3_per_unit,
        transport_eur=t * km * c.transport_eur_per_tonne_km,
        co2_eur=t * km * c.co2_kg_per_tonne_km / 1000.0 * c.co2_price_eur_per_tonne,
        co2_kg=t * km * c.co2_kg_per_tonne_km,
        substitution_eur=penalty,
        handling_eur=t * depot.handling_eur_per_tonne if through_depot and depot else 0.0,
        holding_eur=(
            supplied.m3_per_unit * (delivery - pickup).days * depot.holding_eur_per_m3_day
            if through_depot and depot
            else 0.0
        ),
    )


def all_depot_days(instance: Instance, s: Supply, d: Demand) -> list[tuple[date, date]]:
    """Every feasible (p, q) of a route through a depot, not only the canonical pair."""
    pairs = []
    p = max(s.available_from, instance.today)
    while p <= s.available_until:
        q = max(d.needed_from, p)
        while q <= d.needed_until:
            pairs.append((p, q))
            q += timedelta(days=1)
        p += timedelta(days=1)
    return pairs


def enumerate_routes(instance: Instance, *, every_depot_day: bool = False) -> list[Route]:
    """Every feasible route of the spec: direct, through each depot, and from depot stock.

    With ``every_depot_day`` a route through a depot is listed for every feasible (p, q), not
    only the canonical days; the optimum must not change (the spec's claim, tested).
    """
    mats = instance.material_by_code()
    rf = instance.cost.road_factor
    routes: list[Route] = []
    for d in instance.demand:
        limit = demand_limit_km(instance, d)
        dpos = (d.lat, d.lon)
        for s in instance.supply:
            penalty = penalty_if_compatible(mats, s.material, s.condition, s.attributes, d)
            if penalty is None:
                continue
            supplied = mats[s.material]
            spos = (s.lat, s.lon)
            km = road_km(rf, spos, dpos)
            t = direct_day(instance, s, d)
            if t is not None and km <= limit:
                routes.append(
                    _route(instance, "direct", supplied, s.id, d, None, t, t, km, penalty)
                )
            days = depot_days(instance, s, d)
            if days is None:
                continue
            pairs = all_depot_days(instance, s, d) if every_depot_day else [days]
            for k in instance.depots:
                kpos = (k.lat, k.lon)
                km1, km2 = road_km(rf, spos, kpos), road_km(rf, kpos, dpos)
                if km1 <= instance.cost.max_distance_km and km2 <= limit:
                    for p, q in pairs:
                        routes.append(
                            _route(
                                instance, "depot", supplied, s.id, d, k, p, q, km1 + km2, penalty
                            )
                        )
        q = stock_day(instance, d)
        if q is None:
            continue
        for k in instance.depots:
            km = road_km(rf, (k.lat, k.lon), dpos)
            if km > limit:
                continue
            for item in k.stock:
                penalty = penalty_if_compatible(
                    mats, item.material, item.condition, item.attributes, d
                )
                if penalty is None:
                    continue
                routes.append(
                    _route(instance, "stock", mats[item.material], item.id, d, k, q, q, km, penalty)
                )
    return routes


# ---------------------------------------------------------------------------------------------
# The reference MILP
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefAllocation:
    supply_id: str
    demand_id: str
    depot_id: str | None
    quantity: int
    pickup_date: date
    delivery_date: date


@dataclass(frozen=True)
class RefSolution:
    """The reference optimum: objective, allocations, the LP relaxation and the breakdown."""

    objective_eur: float
    lp_relaxation_eur: float
    allocations: tuple[RefAllocation, ...]
    breakdown: dict[str, float]
    n_routes: int
    n_capacity_rows: int
    routes: tuple[Route, ...] = field(repr=False, default=())


def _capacity_rows(
    instance: Instance, routes: list[Route]
) -> tuple[list[list[tuple[int, float]]], list[float]]:
    """One row per depot per day (identical consecutive rows dropped): exact daily occupancy.

    Volume on day t = stock not yet left (stock volume minus stock routes with q <= t) plus every
    depot route with p <= t < q.  Moved to the left: routes with p <= t < q at +m3, stock routes
    with q <= t at -m3, and the right-hand side is capacity minus the depot's stock volume.
    """
    mats = instance.material_by_code()
    rows: list[list[tuple[int, float]]] = []
    rhs: list[float] = []
    for k in instance.depots:
        stock_m3 = sum(item.quantity * mats[item.material].m3_per_unit for item in k.stock)
        mine = [(j, r) for j, r in enumerate(routes) if r.depot_id == k.id]
        if not mine:
            continue
        last = max(r.delivery for _, r in mine)
        previous: list[tuple[int, float]] | None = None
        day = instance.today
        while day <= last:
            row: list[tuple[int, float]] = []
            for j, r in mine:
                if r.kind == "depot" and r.pickup <= day < r.delivery:
                    row.append((j, r.m3_per_unit))
                elif r.kind == "stock" and r.delivery <= day:
                    row.append((j, -r.m3_per_unit))
            if row and row != previous:
                rows.append(row)
                rhs.append(k.capacity_m3 - stock_m3)
            previous = row
            day += timedelta(days=1)
    return rows, rhs


def _solve(
    c: np.ndarray,
    a: sp.csr_matrix,
    row_ub: np.ndarray,
    ub: np.ndarray,
    integral: bool,
) -> np.ndarray:
    n = len(c)
    res = milp(
        c,
        integrality=np.ones(n) if integral else np.zeros(n),
        bounds=Bounds(np.zeros(n), ub),
        constraints=[LinearConstraint(a, -np.inf, row_ub)] if a.shape[0] else None,
        options={"mip_rel_gap": 0.0, "presolve": True},
    )
    if not res.success or res.x is None:
        raise RuntimeError(f"reference solve failed: {res.status} {res.message}")
    return np.asarray(res.x)


def solve_routes(instance: Instance, routes: list[Route], capacity_rows: Any) -> RefSolution:
    """Solve the MILP over the given routes and capacity rows; also its LP relaxation."""
    mats = instance.material_by_code()
    supply = {s.id: s for s in instance.supply}
    stock = {item.id: item for k in instance.depots for item in k.stock}
    demand = {d.id: d for d in instance.demand}
    disposal = {s.id: mats[s.material].disposal_eur_per_unit for s in instance.supply}
    unmet = {d.id: unmet_eur_per_unit(instance, mats[d.material]) for d in instance.demand}
    constant = sum(disposal[s.id] * s.quantity for s in instance.supply) + sum(
        unmet[d.id] * d.quantity for d in instance.demand
    )
    n = len(routes)
    if n == 0:
        return _solution(instance, routes, np.zeros(0, dtype=np.int64), constant, 0)

    # Objective without the constant: each unit routed saves its source's disposal (supply only;
    # stock that stays costs nothing) and its demand's new purchase.
    c = np.array(
        [
            r.unit_cost_eur
            - unmet[r.demand_id]
            - (disposal[r.source_id] if r.kind != "stock" else 0.0)
            for r in routes
        ]
    )
    row_of: dict[tuple[str, str], int] = {}
    data: list[float] = []
    ri: list[int] = []
    ci: list[int] = []
    rhs: list[float] = []

    def row(key: tuple[str, str], limit: float) -> int:
        if key not in row_of:
            row_of[key] = len(rhs)
            rhs.append(limit)
        return row_of[key]

    for j, r in enumerate(routes):
        src = supply.get(r.source_id) if r.kind != "stock" else stock[r.source_id]
        assert src is not None
        for key, limit in (
            (("source", r.source_id), src.quantity),
            (("demand", r.demand_id), demand[r.demand_id].quantity),
        ):
            ri.append(row(key, limit))
            ci.append(j)
            data.append(1.0)
    cap_rows, cap_rhs = capacity_rows
    for row_entries, limit in zip(cap_rows, cap_rhs, strict=True):
        i = len(rhs)
        rhs.append(limit)
        for j, coef in row_entries:
            ri.append(i)
            ci.append(j)
            data.append(coef)
    a = sp.csr_matrix((data, (ri, ci)), shape=(len(rhs), n))
    ub = np.array(
        [
            min(
                (supply[r.source_id] if r.kind != "stock" else stock[r.source_id]).quantity,
                demand[r.demand_id].quantity,
            )
            for r in routes
        ],
        dtype=float,
    )
    row_ub = np.array(rhs, dtype=float)
    x = np.rint(_solve(c, a, row_ub, ub, integral=True)).astype(np.int64)
    lp = _solve(c, a, row_ub, ub, integral=False)
    return _solution(instance, routes, x, constant + float(c @ lp), len(cap_rows))


def _solution(
    instance: Instance, routes: list[Route], x: np.ndarray, lp_value: float, n_cap: int
) -> RefSolution:
    mats = instance.material_by_code()
    sent: dict[str, int] = defaultdict(int)
    got: dict[str, int] = defaultdict(int)
    terms = dict.fromkeys(
        (
            "transport_eur",
            "co2_eur",
            "substitution_eur",
            "handling_eur",
            "holding_eur",
            "disposal_eur",
            "new_purchase_eur",
        ),
        0.0,
    )
    allocations = []
    for r, q in zip(routes, x.tolist(), strict=True):
        if q <= 0:
            continue
        sent[r.source_id] += q
        got[r.demand_id] += q
        for name in ("transport_eur", "co2_eur", "substitution_eur", "handling_eur", "holding_eur"):
            terms[name] += q * getattr(r, name)
        allocations.append(
            RefAllocation(r.source_id, r.demand_id, r.depot_id, int(q), r.pickup, r.delivery)
        )
    for s in instance.supply:
        terms["disposal_eur"] += (s.quantity - sent[s.id]) * mats[s.material].disposal_eur_per_unit
    for d in instance.demand:
        terms["new_purchase_eur"] += (d.quantity - got[d.id]) * unmet_eur_per_unit(
            instance, mats[d.material]
        )
    objective = sum(terms.values())
    return RefSolution(
        objective_eur=objective,
        lp_relaxation_eur=lp_value if routes else objective,
        allocations=tuple(sorted(allocations, key=_alloc_sort_key)),
        breakdown=terms,
        n_routes=len(routes),
        n_capacity_rows=n_cap,
        routes=tuple(routes),
    )


def _alloc_sort_key(a: Any) -> tuple[Any, ...]:
    return (a.supply_id, a.demand_id, a.depot_id or "", a.pickup_date, a.delivery_date)


def reference_milp(instance: Instance, *, every_depot_day: bool = False) -> RefSolution:
    """Brute-force reference: every feasible route, the full MILP, exact daily depot occupancy.

    Parameters
    ----------
    instance : Instance
        A small instance (the route enumeration is O(supply x demand x depots) in plain Python).
    every_depot_day : bool
        List depot routes for every feasible (pick-up, delivery) pair instead of the canonical one.

    Returns
    -------
    RefSolution
        The proven integer optimum (HiGHS with a zero MIP gap), its allocations, the LP
        relaxation value and the cost breakdown.
    """
    routes = enumerate_routes(instance, every_depot_day=every_depot_day)
    return solve_routes(instance, routes, _capacity_rows(instance, routes))


# ---------------------------------------------------------------------------------------------
# networkx min-cost flow (depot-free instances)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowSolution:
    """The min-cost-flow optimum in euros and how far rounding to integers may have moved it."""

    objective_eur: float  # the true cost (unrounded) of the flow networkx returned
    rounded_objective_eur: float  # networkx's optimum of the rounded costs, back in euros
    tolerance_eur: float  # |objective_eur - true optimum| is at most this
    flows: dict[tuple[str, str], int]


def min_cost_flow(instance: Instance, *, scale: int = 100) -> FlowSolution:
    """Depot-free instances as a min-cost flow with costs rounded to integer ``1/scale`` euros.

    source -> supply s (capacity Q_s) -> demand d (one arc per direct route) -> sink, with a
    disposal bypass s -> dump and a new-purchase bypass new -> d; networkx's network simplex needs
    integer weights (``algorithms/flow/mincost.py``, Notes), hence the scaling.

    Every unit of every supply and every demand crosses exactly one rounded arc, so any flow's
    rounded cost is within ``0.5/scale * (total supply + total demand)`` of its true cost, and the
    true cost of the returned flow is within twice that of the true optimum.
    """
    if any(k.stock for k in instance.depots) or instance.depots:
        raise ValueError("reference_networkx handles depot-free instances only")
    mats = instance.material_by_code()
    g = nx.DiGraph()
    total_s = sum(s.quantity for s in instance.supply)
    total_d = sum(d.quantity for d in instance.demand)
    g.add_node("new", demand=-total_d)
    g.add_node("dump", demand=total_s)
    g.add_edge("new", "dump", weight=0)
    true_cost: dict[tuple[str, str], float] = {}

    def arc(u: str, v: str, eur: float) -> None:
        g.add_edge(u, v, weight=int(round(eur * scale)))
        true_cost[(u, v)] = eur

    for s in instance.supply:
        g.add_node(("s", s.id), demand=-s.quantity)
        arc(("s", s.id), "dump", mats[s.material].disposal_eur_per_unit)  # type: ignore[arg-type]
    for d in instance.demand:
        g.add_node(("d", d.id), demand=d.quantity)
        arc("new", ("d", d.id), unmet_eur_per_unit(instance, mats[d.material]))  # type: ignore[arg-type]
    for r in enumerate_routes(instance):
        arc(("s", r.source_id), ("d", r.demand_id), r.unit_cost_eur)  # type: ignore[arg-type]
    rounded, flow = nx.network_simplex(g)
    objective = 0.0
    flows: dict[tuple[str, str], int] = {}
    for u, out in flow.items():
        for v, f in out.items():
            if f:
                objective += f * true_cost.get((u, v), 0.0)
                if isinstance(u, tuple) and isinstance(v, tuple):
                    flows[(u[1], v[1])] = int(f)
    return FlowSolution(
        objective_eur=objective,
        rounded_objective_eur=rounded / scale,
        tolerance_eur=2 * 0.5 / scale * (total_s + total_d) + 1e-9,
        flows=flows,
    )


def reference_networkx(instance: Instance, *, scale: int = 100) -> float:
    """The optimum of a depot-free instance by networkx's min-cost flow, in euros.

    Costs are rounded to integer ``1/scale`` euros (networkx's network simplex needs integer
    weights), so the value is within ``(total supply + total demand) / scale`` of the true
    optimum; :func:`min_cost_flow` returns that tolerance and the flows as well.
    """
    return min_cost_flow(instance, scale=scale).objective_eur


# ---------------------------------------------------------------------------------------------
# The independent checker
# ---------------------------------------------------------------------------------------------


def objective_tolerance(value: float) -> float:
    """Two optimal solutions differ only by float summation: 1e-6 relative, a micro-euro floor."""
    return max(1e-6 * abs(value), 1e-6)


def accounting_tolerance(value: float) -> float:
    """The spec's accounting tolerance: a cent or 1e-6 relative, whichever is larger."""
    return max(0.01, 1e-6 * abs(value))


def _close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-6) -> bool:
    return math.isfinite(a) and abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def check_result(instance: Instance, result: MatchResult) -> None:
    """Assert that ``result`` is feasible for ``instance`` and its accounting is right.

    Raises AssertionError listing every problem found.
    """
    problems = list(find_problems(instance, result))
    if problems:
        shown = "\n  ".join(problems[:40])
        more = f"\n  ... and {len(problems) - 40} more" if len(problems) > 40 else ""
        raise AssertionError(f"{len(problems)} problem(s) in the result:\n  {shown}{more}")


def find_problems(instance: Instance, result: MatchResult) -> Iterable[str]:  # noqa: C901
    """Every way in which ``result`` breaks the spec for ``instance`` (empty when none)."""
    mats = instance.material_by_code()
    cost = instance.cost
    rf = cost.road_factor
    supply = {s.id: s for s in instance.supply}
    demand = {d.id: d for d in instance.demand}
    depots = {k.id: k for k in instance.depots}
    stock: dict[str, tuple[StockItem, Depot]] = {
        item.id: (item, k) for k in instance.depots for item in k.stock
    }
    sent: dict[str, int] = defaultdict(int)
    got: dict[str, int] = defaultdict(int)
    terms = dict.fromkeys(
        ("transport_eur", "co2_eur", "substitution_eur", "handling_eur", "holding_eur"), 0.0
    )
    kpi_tonnes = kpi_co2 = kpi_embodied = 0.0
    # Per depot: (day, +m3) when something arrives to stay, (day, -m3) when it leaves.
    events: dict[str, list[tuple[date, float]]] = defaultdict(list)

    if result.status not in ("optimal", "feasible"):
        yield f"status {result.status!r} is neither 'optimal' nor 'feasible'"

    for i, a in enumerate(result.allocations):
        where = f"allocations[{i}] ({a.supply_id}->{a.demand_id} via {a.depot_id})"
        if not isinstance(a.quantity, int) or isinstance(a.quantity, bool) or a.quantity < 1:
            yield f"{where}: quantity {a.quantity!r} is not a whole number >= 1"
            continue
        d = demand.get(a.demand_id)
        if d is None:
            yield f"{where}: unknown demand"
            continue
        limit = demand_limit_km(instance, d)
        dpos = (d.lat, d.lon)
        q_units = a.quantity
        handling = holding = 0.0
        if a.supply_id in supply:
            s = supply[a.supply_id]
            supplied = mats[s.material]
            penalty = penalty_if_compatible(mats, s.material, s.condition, s.attributes, d)
            if a.depot_id is None:
                km = road_km(rf, (s.lat, s.lon), dpos)
                if km > limit * (1 + 1e-12):
                    yield f"{where}: direct leg {km:.6f} km exceeds the limit {limit} km"
                t = direct_day(instance, s, d)
                if t is None:
                    yield f"{where}: no day within both windows (and >= today)"
                elif (a.pickup_date, a.delivery_date) != (t, t):
                    yield (
                        f"{where}: days {a.pickup_date}/{a.delivery_date}, "
                        f"expected the first feasible day {t}"
                    )
            else:
                k = depots.get(a.depot_id)
                if k is None:
                    yield f"{where}: unknown depot"
                    continue
                kpos = (k.lat, k.lon)
                km1, km2 = road_km(rf, (s.lat, s.lon), kpos), road_km(rf, kpos, dpos)
                km = km1 + km2
                if km1 > cost.max_distance_km * (1 + 1e-12):
                    yield f"{where}: leg to the depot {km1:.6f} km exceeds {cost.max_distance_km}"
                if km2 > limit * (1 + 1e-12):
                    yield f"{where}: leg from the depot {km2:.6f} km exceeds {limit}"
                days = depot_days(instance, s, d)
                if days is None:
                    yield f"{where}: no feasible pick-up/delivery days"
                else:
                    if (a.pickup_date, a.delivery_date) != days:
                        yield (
                            f"{where}: days {a.pickup_date}/{a.delivery_date}, "
                            f"expected canonical {days[0]}/{days[1]}"
                        )
                    events[k.id].append((a.pickup_date, q_units * supplied.m3_per_unit))
                    events[k.id].append((a.delivery_date, -q_units * supplied.m3_per_unit))
                handling = supplied.kg_per_unit / 1000.0 * k.handling_eur_per_tonne
                holding = (
                    supplied.m3_per_unit
                    * (a.delivery_date - a.pickup_date).days
                    * k.holding_eur_per_m3_day
                )
        elif a.supply_id in stock:
            item, k = stock[a.supply_id]
            supplied = mats[item.material]
            penalty = penalty_if_compatible(mats, item.material, item.condition, item.attributes, d)
            if a.depot_id != k.id:
                yield f"{where}: stock item lies in depot {k.id}, not {a.depot_id}"
            km = road_km(rf, (k.lat, k.lon), dpos)
            if km > limit * (1 + 1e-12):
                yield f"{where}: leg from the depot {km:.6f} km exceeds the limit {limit} km"
            q = stock_day(instance, d)
            if q is None:
                yield f"{where}: stock cannot arrive within the demand's window"
            elif (a.pickup_date, a.delivery_date) != (q, q):
                yield f"{where}: stock leaves on {a.pickup_date}/{a.delivery_date}, expected {q}"
            events[k.id].append((a.delivery_date, -q_units * supplied.m3_per_unit))
        else:
            yield f"{where}: {a.supply_id!r} is neither a supply nor a stock item"
            continue
        if penalty is None:
            yield f"{where}: supplied item is not compatible with the demand"
            penalty = 0.0
        t = supplied.kg_per_unit / 1000.0
        transport = t * km * cost.transport_eur_per_tonne_km
        co2_kg = t * km * cost.co2_kg_per_tonne_km
        co2_eur = co2_kg / 1000.0 * cost.co2_price_eur_per_tonne
        unit_cost = transport + co2_eur + penalty + handling + holding
        if not _close(a.road_km, km):
            yield f"{where}: road_km {a.road_km!r}, expected {km!r}"
        if not _close(a.cost_eur, q_units * unit_cost):
            yield f"{where}: cost_eur {a.cost_eur!r}, expected {q_units * unit_cost!r}"
        if not _close(a.co2_kg, q_units * co2_kg):
            yield f"{where}: co2_kg {a.co2_kg!r}, expected {q_units * co2_kg!r}"
        terms["transport_eur"] += q_units * transport
        terms["co2_eur"] += q_units * co2_eur
        terms["substitution_eur"] += q_units * penalty
        terms["handling_eur"] += q_units * handling
        terms["holding_eur"] += q_units * holding
        sent[a.supply_id] += q_units
        got[a.demand_id] += q_units
        kpi_tonnes += q_units * t
        kpi_co2 += q_units * co2_kg
        kpi_embodied += q_units * supplied.kg_per_unit * supplied.embodied_kgco2e_per_kg

    # Quantities
    for sid, n in sent.items():
        src = supply.get(sid) or stock[sid][0]
        if n > src.quantity:
            yield f"{sid}: {n} units sent, only {src.quantity} available"
    for did, n in got.items():
        if n > demand[did].quantity:
            yield f"{did}: {n} units delivered, only {demand[did].quantity} demanded"

    # Depot capacity, day by day from today to the last event
    for k in instance.depots:
        stock_m3 = sum(item.quantity * mats[item.material].m3_per_unit for item in k.stock)
        evs = events.get(k.id, [])
        last = max([instance.today] + [day for day, _ in evs])
        n_days = (last - instance.today).days + 1
        delta = np.zeros(n_days + 1)
        delta[0] += stock_m3
        for day, m3 in evs:
            idx = (day - instance.today).days
            if idx < 0:
                yield f"depot {k.id}: an event on {day}, before today {instance.today}"
                idx = 0
            delta[idx] += m3
        occupancy = np.cumsum(delta)[:n_days]
        tol = 1e-6 * max(1.0, k.capacity_m3)
        over = np.nonzero(occupancy > k.capacity_m3 + tol)[0]
        for idx in over[:5]:
            day = instance.today + timedelta(days=int(idx))
            yield f"depot {k.id}: {occupancy[idx]:.6f} m3 on {day} > capacity {k.capacity_m3}"

    # Leftovers
    seen: set[str] = set()
    for lo in result.unmatched_supply:
        if lo.id in seen:
            yield f"unmatched_supply: {lo.id} listed twice"
        seen.add(lo.id)
        if lo.id not in supply:
            yield f"unmatched_supply: {lo.id} is not a supply item"
            continue
        left = supply[lo.id].quantity - sent[lo.id]
        if lo.quantity != left:
            yield f"unmatched_supply: {lo.id} quantity {lo.quantity}, expected {left}"
    for s in instance.supply:
        if s.quantity - sent[s.id] > 0 and s.id not in seen:
            yield f"unmatched_supply: {s.id} has {s.quantity - sent[s.id]} left but is not listed"
    seen = set()
    for lo in result.unmet_demand:
        if lo.id in seen:
            yield f"unmet_demand: {lo.id} listed twice"
        seen.add(lo.id)
        if lo.id not in demand:
            yield f"unmet_demand: {lo.id} is not a demand"
            continue
        left = demand[lo.id].quantity - got[lo.id]
        if lo.quantity != left:
            yield f"unmet_demand: {lo.id} quantity {lo.quantity}, expected {left}"
    for d in instance.demand:
        if d.quantity - got[d.id] > 0 and d.id not in seen:
            yield f"unmet_demand: {d.id} has {d.quantity - got[d.id]} unmet but is not listed"

    # Cost breakdown and objective
    terms["disposal_eur"] = sum(
        (s.quantity - sent[s.id]) * mats[s.material].disposal_eur_per_unit for s in instance.supply
    )
    terms["new_purchase_eur"] = sum(
        (d.quantity - got[d.id]) * unmet_eur_per_unit(instance, mats[d.material])
        for d in instance.demand
    )
    total = sum(terms.values())
    tol = accounting_tolerance(total)
    for name, expected in terms.items():
        reported = getattr(result.cost_breakdown, name)
        if not abs(reported - expected) <= tol:
            yield f"cost_breakdown.{name} {reported!r}, expected {expected!r}"
    reported_sum = sum(getattr(result.cost_breakdown, name) for name in terms)
    if not abs(reported_sum - result.objective_eur) <= accounting_tolerance(result.objective_eur):
        yield (
            f"cost_breakdown adds up to {reported_sum!r}, objective_eur is {result.objective_eur!r}"
        )
    if not abs(result.objective_eur - total) <= tol:
        yield f"objective_eur {result.objective_eur!r}, recomputed {total!r}"

    # KPIs
    units_demanded = sum(d.quantity for d in instance.demand)
    met = sum(got.values()) / units_demanded if units_demanded else 1.0
    for name, expected in (
        ("tonnes_reused", kpi_tonnes),
        ("transport_co2_kg", kpi_co2),
        ("embodied_co2_avoided_kg", kpi_embodied),
        ("demand_met_fraction", met),
    ):
        reported = getattr(result.kpis, name)
        if not _close(reported, expected, rel=1e-6, abs_=1e-6):
            yield f"kpis.{name} {reported!r}, expected {expected!r}"

    # Status, lower bound, gap
    obj, lb = result.objective_eur, result.lower_bound_eur
    if result.status == "optimal":
        if not abs(obj - lb) <= max(1e-6, 1e-9 * abs(obj)):
            yield f"status optimal but lower_bound_eur {lb!r} != objective_eur {obj!r}"
    elif result.status == "feasible":
        if lb > obj + max(1e-6, 1e-9 * abs(obj)):
            yield f"lower_bound_eur {lb!r} exceeds objective_eur {obj!r}"
        gap = (obj - lb) / max(abs(lb), 1e-9)
        if not gap < GAP_LIMIT:
            yield f"status feasible with gap {gap:.4%} >= 0.5 %"


def as_match_result(instance: Instance, ref: RefSolution) -> MatchResult:
    """The reference solution dressed as a MatchResult (to exercise :func:`check_result`)."""
    from matcher.result import Allocation, CostBreakdown, Kpis, Leftover

    mats = instance.material_by_code()
    by_key = {r.key: r for r in ref.routes}
    source_material = {s.id: s.material for s in instance.supply} | {
        i.id: i.material for k in instance.depots for i in k.stock
    }
    allocations = []
    sent: dict[str, int] = defaultdict(int)
    got: dict[str, int] = defaultdict(int)
    tonnes = co2 = embodied = 0.0
    for a in ref.allocations:
        r = by_key[(a.supply_id, a.demand_id, a.depot_id, a.pickup_date, a.delivery_date)]
        m = mats[source_material[a.supply_id]]
        allocations.append(
            Allocation(
                a.supply_id,
                a.demand_id,
                a.depot_id,
                a.quantity,
                a.pickup_date,
                a.delivery_date,
                r.road_km,
                a.quantity * r.unit_cost_eur,
                a.quantity * r.co2_kg,
            )
        )
        sent[a.supply_id] += a.quantity
        got[a.demand_id] += a.quantity
        tonnes += a.quantity * m.kg_per_unit / 1000.0
        co2 += a.quantity * r.co2_kg
        embodied += a.quantity * m.kg_per_unit * m.embodied_kgco2e_per_kg
    demanded = sum(d.quantity for d in instance.demand)
    return MatchResult(
        status="optimal",
        objective_eur=ref.objective_eur,
        lower_bound_eur=ref.objective_eur,
        cost_breakdown=CostBreakdown(**ref.breakdown),
        allocations=tuple(allocations),
        unmatched_supply=tuple(
            Leftover(s.id, s.quantity - sent[s.id])
            for s in instance.supply
            if s.quantity > sent[s.id]
        ),
        unmet_demand=tuple(
            Leftover(d.id, d.quantity - got[d.id])
            for d in instance.demand
            if d.quantity > got[d.id]
        ),
        kpis=Kpis(
            tonnes_reused=tonnes,
            transport_co2_kg=co2,
            embodied_co2_avoided_kg=embodied,
            demand_met_fraction=sum(got.values()) / demanded if demanded else 1.0,
        ),
    )


# ---------------------------------------------------------------------------------------------
# The same model at scale: routes enumerated with numpy (still independent of matcher.routes)
# ---------------------------------------------------------------------------------------------


def great_circle_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """geopy's ``great_circle`` formula (atan2 form, radius 6371.009 km), vectorised."""
    la1, lo1, la2, lo2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    s1, c1, s2, c2 = np.sin(la1), np.cos(la1), np.sin(la2), np.cos(la2)
    dl = lo2 - lo1
    cdl, sdl = np.cos(dl), np.sin(dl)
    d = np.arctan2(
        np.sqrt((c2 * sdl) ** 2 + (c1 * s2 - s1 * c2 * cdl) ** 2), s1 * s2 + c1 * c2 * cdl
    )
    return EARTH_RADIUS_KM * d


@dataclass
class RouteTable:
    """Routes as parallel numpy arrays (kind 0 direct, 1 through a depot, 2 from stock)."""

    kind: np.ndarray
    source: np.ndarray  # index into instance.supply (kinds 0, 1) or into the flat stock list (2)
    demand: np.ndarray
    depot: np.ndarray  # -1 for direct routes
    pickup: np.ndarray  # days after today
    delivery: np.ndarray
    road_km: np.ndarray
    transport_eur: np.ndarray  # per unit, as in Route
    co2_eur: np.ndarray
    co2_kg: np.ndarray
    substitution_eur: np.ndarray
    handling_eur: np.ndarray
    holding_eur: np.ndarray
    m3_per_unit: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def unit_cost_eur(self) -> np.ndarray:
        return (
            self.transport_eur
            + self.co2_eur
            + self.substitution_eur
            + self.handling_eur
            + self.holding_eur
        )


def _days(values: Iterable[date], today: date) -> np.ndarray:
    t0 = today.toordinal()
    return np.fromiter((v.toordinal() - t0 for v in values), dtype=np.int64)


def route_table(instance: Instance) -> RouteTable:  # noqa: C901
    """Every feasible route, like :func:`enumerate_routes`, built with numpy for large instances."""
    mats = list(instance.materials)
    midx = {m.code: i for i, m in enumerate(mats)}
    n_m = len(mats)
    cost = instance.cost
    rf = cost.road_factor
    kg = np.array([m.kg_per_unit for m in mats])
    m3 = np.array([m.m3_per_unit for m in mats])
    # penalty[demanded, supplied]; NaN where not allowed
    penalty = np.full((n_m, n_m), np.nan)
    for i, m in enumerate(mats):
        penalty[i, i] = 0.0
        for sub in m.substitutes:
            penalty[i, midx[sub.code]] = sub.penalty_eur_per_unit
    eur_km = cost.transport_eur_per_tonne_km
    co2_kg_km = cost.co2_kg_per_tonne_km
    co2_eur_km = co2_kg_km / 1000.0 * cost.co2_price_eur_per_tonne

    S, D, K = instance.supply, instance.demand, instance.depots
    s_mat = np.array([midx[s.material] for s in S], dtype=np.int64)
    s_rank = np.array([_rank(s.condition) for s in S], dtype=np.int64)
    s_lat = np.array([s.lat for s in S], dtype=float)
    s_lon = np.array([s.lon for s in S], dtype=float)
    s_from = _days((s.available_from for s in S), instance.today)
    s_until = _days((s.available_until for s in S), instance.today)
    d_mat = np.array([midx[d.material] for d in D], dtype=np.int64)
    d_rank = np.array([_rank(d.min_condition) for d in D], dtype=np.int64)
    d_lat = np.array([d.lat for d in D], dtype=float)
    d_lon = np.array([d.lon for d in D], dtype=float)
    d_from = _days((d.needed_from for d in D), instance.today)
    d_until = _days((d.needed_until for d in D), instance.today)
    d_limit = np.array([demand_limit_km(instance, d) for d in D], dtype=float)
    k_lat = np.array([k.lat for k in K], dtype=float)
    k_lon = np.array([k.lon for k in K], dtype=float)
    k_hand = np.array([k.handling_eur_per_tonne for k in K], dtype=float)
    k_hold = np.array([k.holding_eur_per_m3_day for k in K], dtype=float)

    parts: list[dict[str, np.ndarray]] = []

    def add(
        kind: int,
        src: np.ndarray,
        dem: np.ndarray,
        dep: np.ndarray,
        p: np.ndarray,
        q: np.ndarray,
        km: np.ndarray,
        mat: np.ndarray,
        pen: np.ndarray,
    ) -> None:
        t = kg[mat] / 1000.0
        hand = np.zeros(len(src))
        hold = np.zeros(len(src))
        if kind == 1:
            hand = k_hand[dep] * t
            hold = k_hold[dep] * m3[mat] * (q - p)
        parts.append(
            {
                "kind": np.full(len(src), kind, dtype=np.int64),
                "source": src,
                "demand": dem,
                "depot": dep,
                "pickup": p,
                "delivery": q,
                "road_km": km,
                "transport_eur": t * km * eur_km,
                "co2_eur": t * km * co2_eur_km,
                "co2_kg": t * km * co2_kg_km,
                "substitution_eur": pen,
                "handling_eur": hand,
                "holding_eur": hold,
                "m3_per_unit": m3[mat],
            }
        )

    def requirements_ok(dem: np.ndarray, items: list[Any], src: np.ndarray) -> np.ndarray:
        ok = np.ones(len(dem), dtype=bool)
        for j in np.nonzero([bool(D[int(x)].requirements) for x in dem])[0] if len(dem) else []:
            d = D[int(dem[j])]
            attrs = items[int(src[j])].attributes
            ok[j] = all(_requirement_met(r, attrs.get(n)) for n, r in d.requirements.items())
        return ok

    # Supply x demand pairs, material by material
    s_by_mat = [np.nonzero(s_mat == i)[0] for i in range(n_m)]
    if len(S) and len(D):
        k_km_s = (
            rf * great_circle_km(s_lat[:, None], s_lon[:, None], k_lat[None, :], k_lon[None, :])
            if len(K)
            else np.zeros((len(S), 0))
        )
        k_km_d = (
            rf * great_circle_km(k_lat[:, None], k_lon[:, None], d_lat[None, :], d_lon[None, :])
            if len(K)
            else np.zeros((0, len(D)))
        )
        for dm in range(n_m):
            dd = np.nonzero(d_mat == dm)[0]
            if not len(dd):
                continue
            for sm in np.nonzero(~np.isnan(penalty[dm]))[0]:
                ss = s_by_mat[sm]
                if not len(ss):
                    continue
                si = np.repeat(ss, len(dd))
                di = np.tile(dd, len(ss))
                keep = s_rank[si] >= d_rank[di]
                plo = np.maximum(s_from[si], 0)
                time_ok = (plo <= s_until[si]) & (np.maximum(d_from[di], plo) <= d_until[di])
                keep &= time_ok
                si, di = si[keep], di[keep]
                keep = requirements_ok(di, list(S), si)
                si, di = si[keep], di[keep]
                if not len(si):
                    continue
                pen = np.full(len(si), penalty[dm, sm])
                mat = np.full(len(si), sm, dtype=np.int64)
                km = rf * great_circle_km(s_lat[si], s_lon[si], d_lat[di], d_lon[di])
                plo = np.maximum(s_from[si], 0)
                t = np.maximum(plo, d_from[di])
                direct = (t <= np.minimum(s_until[si], d_until[di])) & (km <= d_limit[di])
                add(
                    0,
                    si[direct],
                    di[direct],
                    np.full(int(direct.sum()), -1),
                    t[direct],
                    t[direct],
                    km[direct],
                    mat[direct],
                    pen[direct],
                )
                if not len(K):
                    continue
                shared = np.maximum(plo, d_from[di])
                overlap = shared <= np.minimum(s_until[si], d_until[di])
                p = np.where(overlap, shared, s_until[si])
                q = np.where(overlap, shared, d_from[di])
                ok = (k_km_s[si] <= cost.max_distance_km) & (
                    k_km_d[:, di].T <= d_limit[di][:, None]
                )
                pi, ki = np.nonzero(ok)
                add(
                    1,
                    si[pi],
                    di[pi],
                    ki,
                    p[pi],
                    q[pi],
                    k_km_s[si[pi], ki] + k_km_d[ki, di[pi]],
                    mat[pi],
                    pen[pi],
                )

    # Stock: flat list of items with their depot
    stock_items = [(item, ki) for ki, k in enumerate(K) for item in k.stock]
    if stock_items and len(D):
        q_all = np.maximum(d_from, 0)
        ok_day = q_all <= d_until
        for flat, (item, ki) in enumerate(stock_items):
            sm = midx[item.material]
            km = rf * great_circle_km(k_lat[ki], k_lon[ki], d_lat, d_lon)
            keep = (
                ok_day
                & ~np.isnan(penalty[d_mat, sm])
                & (_rank(item.condition) >= d_rank)
                & (km <= d_limit)
            )
            di = np.nonzero(keep)[0]
            src = np.full(len(di), flat, dtype=np.int64)
            di = di[requirements_ok(di, [item], np.zeros(len(di), dtype=np.int64))]
            src = src[: len(di)]
            add(
                2,
                src,
                di,
                np.full(len(di), ki, dtype=np.int64),
                q_all[di],
                q_all[di],
                km[di],
                np.full(len(di), sm, dtype=np.int64),
                penalty[d_mat[di], sm],
            )

    names = list(RouteTable.__dataclass_fields__)
    if not parts:
        return RouteTable(**{n: np.zeros(0) for n in names})
    return RouteTable(**{n: np.concatenate([p[n] for p in parts]) for n in names})


@dataclass(frozen=True)
class FastSolution:
    """The large-instance reference: optimum (or bracket, when a time limit stopped it)."""

    objective_eur: float
    lower_bound_eur: float  # == objective_eur when proven optimal
    proven: bool
    lp_relaxation_eur: float
    n_routes: int
    n_capacity_rows: int
    quantities: np.ndarray
    table: RouteTable = field(repr=False)


def reference_milp_fast(
    instance: Instance, *, time_limit_s: float | None = None, mip_rel_gap: float = 0.0
) -> FastSolution:
    """:func:`reference_milp` for large instances: numpy route table, event-day capacity rows.

    Depot occupancy only rises on a pick-up day, so the daily capacity constraint holds on every
    day iff it holds on ``today`` and on each pick-up day of a route through that depot (on any
    other day, the routes present are a subset of those present on the last such day before it,
    and no less stock has left).
    """
    tab = route_table(instance)
    mats = instance.material_by_code()
    n = len(tab)
    s_disp = np.array([mats[s.material].disposal_eur_per_unit for s in instance.supply])
    s_qty = np.array([s.quantity for s in instance.supply], dtype=float)
    d_unmet = np.array([unmet_eur_per_unit(instance, mats[d.material]) for d in instance.demand])
    d_qty = np.array([d.quantity for d in instance.demand], dtype=float)
    stock_items = [item for k in instance.depots for item in k.stock]
    st_qty = np.array([i.quantity for i in stock_items], dtype=float)
    constant = float(s_disp @ s_qty + d_unmet @ d_qty)
    if n == 0:
        return FastSolution(constant, constant, True, constant, 0, 0, np.zeros(0), tab)
    is_stock = tab.kind == 2
    # Per source: a supply unit routed saves its disposal; stock that stays costs nothing.
    src_disp = np.zeros(n)
    src_disp[~is_stock] = s_disp[tab.source[~is_stock]]
    src_qty = np.zeros(n)
    src_qty[~is_stock] = s_qty[tab.source[~is_stock]]
    src_qty[is_stock] = st_qty[tab.source[is_stock]]
    c = tab.unit_cost_eur - d_unmet[tab.demand] - src_disp
    cols = np.arange(n)
    n_s, n_d, n_st = len(instance.supply), len(instance.demand), len(stock_items)
    # supply rows [0, n_s), stock rows [n_s, n_s + n_st), demand rows after
    src_row = np.where(is_stock, n_s + tab.source, tab.source)
    ri = [src_row, n_s + n_st + tab.demand]
    ci = [cols, cols]
    vals = [np.ones(n), np.ones(n)]
    rhs = [s_qty, st_qty, d_qty]
    n_rows = n_s + n_st + n_d
    n_cap = 0
    for ki, k in enumerate(instance.depots):
        stock_m3 = sum(i.quantity * mats[i.material].m3_per_unit for i in k.stock)
        dep = np.nonzero((tab.depot == ki) & (tab.kind == 1))[0]
        stk = np.nonzero((tab.depot == ki) & is_stock)[0]
        if not len(dep):
            continue  # stock alone fits (input rule) and only ever leaves
        events = np.unique(np.concatenate([[0], tab.pickup[dep]]))
        lo = np.searchsorted(events, tab.pickup[dep], "left")
        hi = np.searchsorted(events, tab.delivery[dep], "left")
        cnt = hi - lo
        r = np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())
        ri.append(n_rows + r)
        ci.append(np.repeat(dep, cnt))
        vals.append(np.repeat(tab.m3_per_unit[dep], cnt))
        lo2 = np.searchsorted(events, tab.delivery[stk], "left")
        cnt2 = len(events) - lo2
        r2 = np.repeat(lo2 - np.cumsum(cnt2) + cnt2, cnt2) + np.arange(cnt2.sum())
        ri.append(n_rows + r2)
        ci.append(np.repeat(stk, cnt2))
        vals.append(-np.repeat(tab.m3_per_unit[stk], cnt2))
        rhs.append(np.full(len(events), k.capacity_m3 - stock_m3))
        n_rows += len(events)
        n_cap += len(events)
    a = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(ri), np.concatenate(ci))), shape=(n_rows, n)
    )
    row_ub = np.concatenate(rhs)
    ub = np.minimum(src_qty, d_qty[tab.demand])
    bounds = Bounds(np.zeros(n), ub)
    constraints = [LinearConstraint(a, -np.inf, row_ub)]
    relaxed = milp(c, integrality=np.zeros(n), bounds=bounds, constraints=constraints)
    if relaxed.x is None:
        raise RuntimeError(f"reference LP failed: {relaxed.status} {relaxed.message}")
    lp_value = constant + float(relaxed.fun)
    if np.all(np.abs(relaxed.x - np.rint(relaxed.x)) <= 1e-7):
        # An integral LP optimum is a MILP optimum (common without binding capacity).
        x = np.rint(relaxed.x)
        proven = True
        lower = None
    else:
        # A whole-unit fallback: the LP rounded down if it still fits every row (only stock
        # routes have negative coefficients), else nothing moved at all (always feasible).
        x = np.floor(relaxed.x + 1e-9)
        if np.any(a @ x > row_ub + 1e-9):
            x = np.zeros(n)
        options: dict[str, Any] = {"mip_rel_gap": mip_rel_gap, "presolve": True}
        if time_limit_s is not None:
            options["time_limit"] = time_limit_s
        res = milp(
            c,
            integrality=np.ones(n),
            bounds=bounds,
            constraints=constraints,
            options=options,
        )
        if res.x is not None and float(c @ np.rint(res.x)) < float(c @ x):
            x = np.rint(res.x)
        proven = res.status == 0 and mip_rel_gap == 0.0
        bound = getattr(res, "mip_dual_bound", None)
        lower = lp_value
        if bound is not None and np.isfinite(bound):
            lower = max(lp_value, constant + float(bound))
    objective = _table_objective(instance, tab, x)
    return FastSolution(
        objective_eur=objective,
        lower_bound_eur=objective if proven or lower is None else min(lower, objective),
        proven=proven,
        lp_relaxation_eur=lp_value,
        n_routes=n,
        n_capacity_rows=n_cap,
        quantities=x.astype(np.int64),
        table=tab,
    )


def _table_objective(instance: Instance, tab: RouteTable, x: np.ndarray) -> float:
    """The spec's objective of route quantities x, summed term by term."""
    mats = instance.material_by_code()
    is_stock = tab.kind == 2
    sent = np.bincount(tab.source[~is_stock], weights=x[~is_stock], minlength=len(instance.supply))
    got = np.bincount(tab.demand, weights=x, minlength=len(instance.demand))
    disposal = sum(
        (s.quantity - sent[i]) * mats[s.material].disposal_eur_per_unit
        for i, s in enumerate(instance.supply)
    )
    new = sum(
        (d.quantity - got[i]) * unmet_eur_per_unit(instance, mats[d.material])
        for i, d in enumerate(instance.demand)
    )
    return float(x @ tab.unit_cost_eur) + float(disposal) + float(new)
