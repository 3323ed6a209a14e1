"""Hypothesis strategies for small random matching instances (one place, as the style guide asks).

Instances are small enough for the brute-force reference: 1-4 materials (with substitutes among
them), 1-6 supplies and demands, 0-2 depots with small capacities (so that they bind) and stock,
windows around today, conditions, some attributes and requirements, positions within ~60 km of
Enschede.  Numbers are drawn on coarse grids so that shrunk examples stay readable.
"""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType
from typing import Any

from hypothesis import strategies as st

from matcher.domain import (
    Condition,
    CostModel,
    Demand,
    Depot,
    Instance,
    Material,
    Requirement,
    StockItem,
    Substitute,
    Supply,
)
from tests.builders import TODAY

conditions = st.sampled_from([Condition.A, Condition.B, Condition.C])
# Biased towards compatible pairs, so that most examples have routes to choose between.
supplied_conditions = st.sampled_from([Condition.A, Condition.B, Condition.B, Condition.C])
minimum_conditions = st.sampled_from([Condition.C, Condition.C, Condition.B, Condition.A])


def grid(lo: float, hi: float, step: float) -> st.SearchStrategy[float]:
    """Floats lo, lo + step, ..., hi."""
    n = round((hi - lo) / step)
    return st.integers(0, n).map(lambda i: round(lo + i * step, 10))


@st.composite
def cost_models(draw: st.DrawFn) -> CostModel:
    return CostModel(
        transport_eur_per_tonne_km=draw(grid(0.0, 0.3, 0.01)),
        road_factor=draw(grid(1.0, 1.5, 0.05)),
        co2_kg_per_tonne_km=draw(grid(0.0, 0.2, 0.01)),
        co2_price_eur_per_tonne=draw(grid(0.0, 200.0, 10.0)),
        max_distance_km=draw(grid(10.0, 80.0, 5.0)),
    )


@st.composite
def material_lists(draw: st.DrawFn, max_materials: int = 4) -> list[Material]:
    n = draw(st.integers(1, max_materials))
    codes = [f"m{i}" for i in range(n)]
    materials = []
    for code in codes:
        others = [c for c in codes if c != code]
        subs = draw(st.lists(st.sampled_from(others), unique=True, max_size=2)) if others else []
        materials.append(
            Material(
                code=code,
                name=code,
                unit="pcs",
                kg_per_unit=draw(st.sampled_from([10.0, 55.0, 255.0, 1000.0, 2400.0])),
                m3_per_unit=draw(st.sampled_from([0.01, 0.1, 0.25, 0.5, 1.0, 2.0])),
                new_price_eur_per_unit=draw(grid(0.0, 500.0, 2.5)),
                disposal_eur_per_unit=draw(grid(-50.0, 20.0, 0.5)),
                embodied_kgco2e_per_kg=draw(grid(0.0, 2.0, 0.05)),
                substitutes=tuple(Substitute(c, draw(grid(0.0, 20.0, 0.25))) for c in subs),
            )
        )
    return materials


positions = st.tuples(grid(52.0, 52.5, 0.005), grid(6.55, 7.1, 0.005))


@st.composite
def windows(draw: st.DrawFn) -> tuple[Any, Any]:
    start = draw(st.integers(-10, 40))
    length = draw(st.integers(0, 40))
    return TODAY + timedelta(days=start), TODAY + timedelta(days=start + length)


@st.composite
def attribute_maps(draw: st.DrawFn) -> MappingProxyType[str, Any]:
    attrs: dict[str, Any] = {}
    if draw(st.booleans()):
        attrs["length_m"] = draw(grid(3.0, 9.0, 0.5))
    if draw(st.booleans()):
        attrs["grade"] = draw(st.sampled_from(["S235", "S355", "C20"]))
    return MappingProxyType(attrs)


@st.composite
def requirement_maps(draw: st.DrawFn) -> MappingProxyType[str, Requirement]:
    reqs: dict[str, Requirement] = {}
    if draw(st.integers(0, 4)) == 0:
        kind = draw(st.sampled_from(["min", "max", "both"]))
        lo = draw(grid(3.0, 9.0, 0.5))
        hi = draw(grid(lo, 9.0, 0.5))
        reqs["length_m"] = Requirement(
            min=lo if kind in ("min", "both") else None,
            max=hi if kind in ("max", "both") else None,
        )
    if draw(st.integers(0, 4)) == 0:
        allowed = draw(st.lists(st.sampled_from(["S235", "S355", "C20"]), min_size=1, unique=True))
        reqs["grade"] = Requirement(allowed=tuple(allowed))
    return MappingProxyType(reqs)


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    max_materials: int = 4,
    max_supply: int = 6,
    max_demand: int = 6,
    max_depots: int = 2,
    max_quantity: int = 20,
) -> Instance:
    """A random small valid instance."""
    cost = draw(cost_models())
    materials = draw(material_lists(max_materials))
    codes = [m.code for m in materials]
    # The first material is drawn more often, so that supplies and demands meet.
    material_codes = st.sampled_from(codes[:1] * 2 + codes)
    m3 = {m.code: m.m3_per_unit for m in materials}
    supply = []
    for i in range(draw(st.integers(1, max_supply))):
        lat, lon = draw(positions)
        start, end = draw(windows())
        supply.append(
            Supply(
                id=f"s{i}",
                material=draw(material_codes),
                quantity=draw(st.integers(1, max_quantity)),
                lat=lat,
                lon=lon,
                available_from=start,
                available_until=end,
                condition=draw(supplied_conditions),
                attributes=draw(attribute_maps()),
            )
        )
    demand = []
    for i in range(draw(st.integers(1, max_demand))):
        lat, lon = draw(positions)
        start, end = draw(windows())
        demand.append(
            Demand(
                id=f"d{i}",
                material=draw(material_codes),
                quantity=draw(st.integers(1, max_quantity)),
                lat=lat,
                lon=lon,
                needed_from=start,
                needed_until=end,
                min_condition=draw(minimum_conditions),
                max_distance_km=draw(st.none() | grid(5.0, 80.0, 5.0)),
                requirements=draw(requirement_maps()),
            )
        )
    depots = []
    n_stock = 0
    for i in range(draw(st.integers(0, max_depots))):
        lat, lon = draw(positions)
        stock = []
        for _ in range(draw(st.integers(0, 2))):
            stock.append(
                StockItem(
                    id=f"st{n_stock}",
                    material=draw(material_codes),
                    quantity=draw(st.integers(1, 10)),
                    condition=draw(supplied_conditions),
                    attributes=draw(attribute_maps()),
                )
            )
            n_stock += 1
        stock_m3 = sum(item.quantity * m3[item.material] for item in stock)
        depots.append(
            Depot(
                id=f"k{i}",
                lat=lat,
                lon=lon,
                # Small, so that capacity often binds; never below the stock (input rule).
                capacity_m3=stock_m3 + draw(grid(0.0, 12.0, 0.5)),
                holding_eur_per_m3_day=draw(grid(0.0, 0.5, 0.01)),
                handling_eur_per_tonne=draw(grid(0.0, 10.0, 0.5)),
                stock=tuple(stock),
            )
        )
    return Instance(
        today=TODAY,
        cost=cost,
        materials=tuple(materials),
        supply=tuple(supply),
        demand=tuple(demand),
        depots=tuple(depots),
    )


def depot_free_instances(**kwargs: Any) -> st.SearchStrategy[Instance]:
    """Random small instances without depots (a min-cost flow problem)."""
    return instances(max_depots=0, **kwargs)
