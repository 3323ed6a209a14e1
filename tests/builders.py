"""Tiny, readable builders for matcher instances, with Twente defaults.

Every builder takes the dataclass's own field names as overrides.  Two conveniences keep the
hand-worked tests short:

- dates may be given as whole days after :data:`TODAY` (``available_until=5``);
- :func:`at` places a point ``km`` kilometres north of Enschede on one meridian, so that the
  great-circle distance between two such points is exactly the difference of their ``km``
  (with ``road_factor=1`` that is the road km too), which makes costs easy to work out by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

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

TODAY = date(2027, 3, 1)
ENSCHEDE = (52.2215, 6.8937)
KM_PER_DEGREE = 6371.009 * math.pi / 180.0  # along a meridian, on geopy's great-circle sphere

# Hand-worked tests use this cost model: with road_factor 1 and 1-tonne units, a unit costs
# 0.12 + 0.1 / 1000 * 100 = 0.13 EUR per km driven (transport plus priced CO2).
HAND_COST = CostModel(
    transport_eur_per_tonne_km=0.12,
    road_factor=1.0,
    co2_kg_per_tonne_km=0.1,
    co2_price_eur_per_tonne=100.0,
    max_distance_km=50.0,
)


def at(km: float = 0.0) -> dict[str, float]:
    """``lat``/``lon`` of the point ``km`` kilometres north (negative: south) of Enschede."""
    return {"lat": ENSCHEDE[0] + km / KM_PER_DEGREE, "lon": ENSCHEDE[1]}


def day(offset: int | date) -> date:
    """A date given as itself or as whole days after TODAY."""
    return offset if isinstance(offset, date) else TODAY + timedelta(days=offset)


def _dates(fields: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        if name in fields:
            fields[name] = day(fields[name])


def make_material(code: str = "block", **overrides: Any) -> Material:
    """Reclaimed concrete blocks sold per tonne: unmet costs 50 + 1000 * 0.1 / 1000 * 100 = 60."""
    fields: dict[str, Any] = {
        "code": code,
        "name": code,
        "unit": "t",
        "kg_per_unit": 1000.0,
        "m3_per_unit": 0.5,
        "new_price_eur_per_unit": 50.0,
        "disposal_eur_per_unit": 10.0,
        "embodied_kgco2e_per_kg": 0.1,
        "substitutes": (),
    }
    fields.update(overrides)
    subs = fields["substitutes"]
    if isinstance(subs, Mapping):
        subs = [Substitute(c, p) for c, p in subs.items()]
    fields["substitutes"] = tuple(subs)
    return Material(**fields)


def make_supply(id: str = "s1", **overrides: Any) -> Supply:
    """Ten units of blocks in Enschede, available from today for 30 days, condition B."""
    fields: dict[str, Any] = {
        "id": id,
        "material": "block",
        "quantity": 10,
        **at(0.0),
        "available_from": TODAY,
        "available_until": 30,
        "condition": Condition.B,
    }
    fields.update(overrides)
    _dates(fields, ("available_from", "available_until"))
    if isinstance(fields["condition"], str):
        fields["condition"] = Condition.parse(fields["condition"])
    if "attributes" in fields:
        fields["attributes"] = MappingProxyType(dict(fields["attributes"]))
    return Supply(**fields)


def make_demand(id: str = "d1", **overrides: Any) -> Demand:
    """Ten units of blocks 20 km north of Enschede, needed from today for 30 days, any condition."""
    fields: dict[str, Any] = {
        "id": id,
        "material": "block",
        "quantity": 10,
        **at(20.0),
        "needed_from": TODAY,
        "needed_until": 30,
        "min_condition": Condition.C,
    }
    fields.update(overrides)
    _dates(fields, ("needed_from", "needed_until"))
    if isinstance(fields["min_condition"], str):
        fields["min_condition"] = Condition.parse(fields["min_condition"])
    if "requirements" in fields:
        fields["requirements"] = MappingProxyType(
            {name: _requirement(r) for name, r in dict(fields["requirements"]).items()}
        )
    return Demand(**fields)


def _requirement(r: Any) -> Requirement:
    if isinstance(r, Requirement):
        return r
    allowed = r.get("in")
    return Requirement(
        min=r.get("min"), max=r.get("max"), allowed=None if allowed is None else tuple(allowed)
    )


def make_stock(id: str = "st1", **overrides: Any) -> StockItem:
    """Five units of blocks, condition B."""
    fields: dict[str, Any] = {
        "id": id,
        "material": "block",
        "quantity": 5,
        "condition": Condition.B,
    }
    fields.update(overrides)
    if isinstance(fields["condition"], str):
        fields["condition"] = Condition.parse(fields["condition"])
    if "attributes" in fields:
        fields["attributes"] = MappingProxyType(dict(fields["attributes"]))
    return StockItem(**fields)


def make_depot(id: str = "dep1", **overrides: Any) -> Depot:
    """A depot 10 km north of Enschede: 100 m3, 0.05 EUR per m3 per day, 4 EUR per tonne handled."""
    fields: dict[str, Any] = {
        "id": id,
        **at(10.0),
        "capacity_m3": 100.0,
        "holding_eur_per_m3_day": 0.05,
        "handling_eur_per_tonne": 4.0,
        "stock": (),
    }
    fields.update(overrides)
    fields["stock"] = tuple(fields["stock"])
    return Depot(**fields)


def make_instance(
    *,
    materials: Iterable[Material] | None = None,
    supply: Iterable[Supply] = (),
    demand: Iterable[Demand] = (),
    depots: Iterable[Depot] = (),
    today: int | date = TODAY,
    cost: CostModel = HAND_COST,
    **cost_overrides: Any,
) -> Instance:
    """An instance; materials default to the single default material ``block``."""
    if cost_overrides:
        cost = CostModel(**{**cost.__dict__, **cost_overrides})
    return Instance(
        today=day(today),
        cost=cost,
        materials=tuple(materials) if materials is not None else (make_material(),),
        supply=tuple(supply),
        demand=tuple(demand),
        depots=tuple(depots),
    )


def instance_from_json(doc: Mapping[str, Any]) -> Instance:
    """A small loader for VALID instance JSON (the spec's format), independent of matcher.io."""

    def d(text: str) -> date:
        return date.fromisoformat(text)

    def attrs(x: Mapping[str, Any]) -> Mapping[str, Any]:
        return MappingProxyType(dict(x.get("attributes") or {}))

    cost = CostModel(**{k: float(v) for k, v in (doc.get("cost") or {}).items() if v is not None})
    materials = tuple(
        Material(
            code=m["code"],
            name=m.get("name") or m["code"],
            unit=m["unit"],
            kg_per_unit=float(m["kg_per_unit"]),
            m3_per_unit=float(m["m3_per_unit"]),
            new_price_eur_per_unit=float(m["new_price_eur_per_unit"]),
            disposal_eur_per_unit=float(m["disposal_eur_per_unit"]),
            embodied_kgco2e_per_kg=float(m["embodied_kgco2e_per_kg"]),
            substitutes=tuple(
                Substitute(x["code"], float(x["penalty_eur_per_unit"]))
                for x in m.get("substitutes") or ()
            ),
        )
        for m in doc["materials"]
    )
    supply = tuple(
        Supply(
            id=s["id"],
            material=s["material"],
            quantity=s["quantity"],
            lat=float(s["lat"]),
            lon=float(s["lon"]),
            available_from=d(s["available_from"]),
            available_until=d(s["available_until"]),
            condition=Condition.parse(s.get("condition") or "B"),
            attributes=attrs(s),
        )
        for s in doc.get("supply") or ()
    )
    demand = tuple(
        Demand(
            id=x["id"],
            material=x["material"],
            quantity=x["quantity"],
            lat=float(x["lat"]),
            lon=float(x["lon"]),
            needed_from=d(x["needed_from"]),
            needed_until=d(x["needed_until"]),
            min_condition=Condition.parse(x.get("min_condition") or "C"),
            max_distance_km=(
                None if x.get("max_distance_km") is None else float(x["max_distance_km"])
            ),
            requirements=MappingProxyType(
                {n: _requirement(r) for n, r in (x.get("requirements") or {}).items()}
            ),
        )
        for x in doc.get("demand") or ()
    )
    depots = tuple(
        Depot(
            id=k["id"],
            lat=float(k["lat"]),
            lon=float(k["lon"]),
            capacity_m3=float(k["capacity_m3"]),
            holding_eur_per_m3_day=float(k["holding_eur_per_m3_day"]),
            handling_eur_per_tonne=float(k["handling_eur_per_tonne"]),
            stock=tuple(
                StockItem(
                    id=i["id"],
                    material=i["material"],
                    quantity=i["quantity"],
                    condition=Condition.parse(i.get("condition") or "B"),
                    attributes=attrs(i),
                )
                for i in k.get("stock") or ()
            ),
        )
        for k in doc.get("depots") or ()
    )
    return Instance(
        today=d(doc["today"]),
        cost=cost,
        materials=materials,
        supply=supply,
        demand=demand,
        depots=depots,
    )
