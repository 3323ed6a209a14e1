"""Synthetic but realistic matching instances, for tests, benchmarks and demonstrations.

Listings cluster around real Dutch places weighted by population, with a Gaussian scatter of a
few kilometres that is kept on land by the PC4 postcode table.  Small instances stay mostly in
Overijssel (a Twente pilot); the larger the instance, the more of the country it covers.
Materials, quantities, conditions, windows and attributes follow ``data/listing_profile.csv``;
depots sit on the outskirts of the largest towns of the listing region, like municipal yards.

Everything is drawn with one :class:`numpy.random.Generator`, vectorised, and turned into plain
dictionaries at the end, so 100 000 x 100 000 listings take a few seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.catalogue import (
    CatalogueEntry,
    CatalogueError,
    _rows,
    data_path,
    load_entries,
    load_places,
    load_postcodes,
    nearest_postcodes,
)
from matcher.domain import CostModel

REGIMES = ("default", "tight", "substitution", "nodepots")
"""Instance flavours: spare depot room; depot room that binds; heavy substitution; no depots."""

DEFAULT_TODAY = date(2027, 1, 4)
"""``today`` when none is given, so that a seed alone fixes the instance."""

HOME_PROVINCE = "Overijssel"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_KM_PER_DEG_LAT = 111.2
_CITY_FEATURES = frozenset({"PPL", "PPLA", "PPLA2", "PPLC", "PPLG"})
_MIN_CITY_POPULATION = 1000
_OFFSHORE_KM = 2.0  # farther than this from every PC4 position: in water, move onto land
_CONDITIONS = ("A", "B", "C")
_SUPPLY_CONDITION_P = (0.20, 0.55, 0.25)
_STOCK_CONDITION_P = (0.15, 0.60, 0.25)
_MIN_CONDITION_P = (0.10, 0.45, 0.45)
_STEEL_GRADES = ("S235", "S275", "S355")
_STEEL_GRADE_P = (0.60, 0.10, 0.30)
_STRENGTH_CLASSES = {
    "softwood": (("C18", "C24", "C30"), (0.25, 0.65, 0.10)),
    "glulam": (("GL24h", "GL28h", "GL32h"), (0.60, 0.30, 0.10)),
}
_ATTRIBUTE_SHARE = 0.6  # of supply/stock of a material that has attributes
_REQUIREMENT_SHARE = 0.35  # of demand of such a material


@dataclass(frozen=True)
class _Profile:
    """Listing frequencies and sizes per catalogue material (``data/listing_profile.csv``)."""

    entries: tuple[CatalogueEntry, ...]
    supply_weight: FloatArray
    demand_weight: FloatArray
    quantity_median: FloatArray
    quantity_sigma: FloatArray
    quantity_max: IntArray
    attributes: tuple[str, ...]
    length_m: FloatArray
    m3_per_unit: FloatArray


@cache
def _profile() -> _Profile:
    path = data_path("listing_profile.csv")
    by_code = {e.code: e for e in load_entries()}
    columns = (
        "code",
        "supply_weight",
        "demand_weight",
        "quantity_median",
        "quantity_sigma",
        "quantity_max",
        "attributes",
        "length_m",
    )
    rows: list[dict[str, str]] = []
    for line, row in _rows(path, columns):
        where = f"{path.name}:{line}"
        if row["code"] not in by_code:
            raise CatalogueError(f"{where}: code: {row['code']!r} is not in the catalogue")
        kind = row["attributes"]
        if kind not in ("", "steel", "softwood", "glulam", "hardwood"):
            raise CatalogueError(f"{where}: attributes: unknown kind {kind!r}")
        if kind and not row["length_m"]:
            raise CatalogueError(f"{where}: length_m: needed for attributes {kind!r}")
        for field in ("supply_weight", "demand_weight", "quantity_sigma"):
            if not float(row[field]) >= 0:
                raise CatalogueError(f"{where}: {field}: must be >= 0")
        for field in ("quantity_median", "quantity_max"):
            if not float(row[field]) >= 1:
                raise CatalogueError(f"{where}: {field}: must be >= 1")
        rows.append(row)
    if {r["code"] for r in rows} != set(by_code) or len(rows) != len(by_code):
        missing = sorted(set(by_code) - {r["code"] for r in rows})
        raise CatalogueError(f"{path.name}: every material once; missing or doubled: {missing}")
    entries = tuple(by_code[r["code"]] for r in rows)
    return _Profile(
        entries=entries,
        supply_weight=np.array([float(r["supply_weight"]) for r in rows]),
        demand_weight=np.array([float(r["demand_weight"]) for r in rows]),
        quantity_median=np.array([float(r["quantity_median"]) for r in rows]),
        quantity_sigma=np.array([float(r["quantity_sigma"]) for r in rows]),
        quantity_max=np.array([int(r["quantity_max"]) for r in rows], dtype=np.int64),
        attributes=tuple(r["attributes"] for r in rows),
        length_m=np.array([float(r["length_m"] or "nan") for r in rows]),
        m3_per_unit=np.array([e.m3_per_unit for e in entries]),
    )


@dataclass(frozen=True)
class _Cities:
    """Towns that listings cluster around, as parallel arrays."""

    name: tuple[str, ...]
    municipality: tuple[str, ...]
    municipality_code: tuple[str, ...]
    lat: FloatArray
    lon: FloatArray
    population: FloatArray
    home: npt.NDArray[np.bool_]
    sigma_km: FloatArray


@cache
def _cities() -> _Cities:
    towns = [
        p
        for p in load_places()
        if p.feature_code in _CITY_FEATURES and p.population >= _MIN_CITY_POPULATION
    ]
    population = np.array([p.population for p in towns], dtype=np.float64)
    return _Cities(
        name=tuple(p.name for p in towns),
        municipality=tuple(p.municipality for p in towns),
        municipality_code=tuple(p.municipality_code for p in towns),
        lat=np.array([p.lat for p in towns]),
        lon=np.array([p.lon for p in towns]),
        population=population,
        home=np.array([p.province == HOME_PROVINCE for p in towns]),
        # A village spreads over a km or so, a city over several.
        sigma_km=np.clip(1.0 + 2.0 * np.sqrt(population / 100_000.0), 1.0, 5.0),
    )


@cache
def _postcode_positions() -> tuple[FloatArray, FloatArray, npt.NDArray[np.str_]]:
    areas = tuple(load_postcodes().values())
    return (
        np.array([a.lat for a in areas]),
        np.array([a.lon for a in areas]),
        np.array([a.municipality_code for a in areas]),
    )


def home_share(n_listings: int) -> float:
    """Share of listings placed in the home province: nearly all for a pilot, 15 % nationally.

    Example
    -------
    >>> round(home_share(100), 2), round(home_share(200_000), 2)
    (0.9, 0.15)
    """
    return float(np.clip(2000.0 / (n_listings + 2000.0), 0.15, 0.9))


def _city_weights(share: float) -> FloatArray:
    cities = _cities()
    p_all = cities.population / cities.population.sum()
    home_pop = cities.population * cities.home
    p_home = home_pop / home_pop.sum()
    return np.asarray((1.0 - share) * p_all + share * p_home, dtype=np.float64)


def _locations(rng: np.random.Generator, n: int, share: float) -> tuple[FloatArray, FloatArray]:
    """Population-weighted towns, Gaussian scatter, kept within reach of a PC4 position."""
    if n == 0:
        return np.zeros(0), np.zeros(0)
    cities = _cities()
    town = rng.choice(len(cities.population), size=n, p=_city_weights(share))
    sigma = cities.sigma_km[town]
    lat = cities.lat[town] + rng.normal(size=n) * sigma / _KM_PER_DEG_LAT
    lon = cities.lon[town] + rng.normal(size=n) * sigma / (
        _KM_PER_DEG_LAT * np.cos(np.radians(cities.lat[town]))
    )
    nearest, km, _ = nearest_postcodes(lat, lon)
    offshore = km > _OFFSHORE_KM
    if offshore.any():
        pc_lat, pc_lon, _ = _postcode_positions()
        k = int(offshore.sum())
        jitter_km = 0.3
        lat[offshore] = pc_lat[nearest[offshore]] + rng.normal(size=k) * jitter_km / _KM_PER_DEG_LAT
        lon[offshore] = pc_lon[nearest[offshore]] + rng.normal(size=k) * jitter_km / (
            _KM_PER_DEG_LAT * math.cos(math.radians(52.2))
        )
    return np.round(lat, 5), np.round(lon, 5)


def _regime_weights(profile: _Profile, regime: str) -> tuple[FloatArray, FloatArray]:
    supply, demand = profile.supply_weight.copy(), profile.demand_weight.copy()
    if regime == "substitution":
        has_subs = np.array([bool(e.substitutes) for e in profile.entries])
        sub_codes = {s.code for e in profile.entries for s in e.substitutes}
        is_sub = np.array([e.code in sub_codes for e in profile.entries])
        demand *= np.where(has_subs, 12.0, 0.5)
        supply *= np.where(is_sub, 5.0, 1.0) * np.where(has_subs, 0.5, 1.0)
    return supply / supply.sum(), demand / demand.sum()


def _quantities(rng: np.random.Generator, profile: _Profile, material: IntArray) -> IntArray:
    """Log-normal listing sizes per material, whole units, capped."""
    raw = profile.quantity_median[material] * np.exp(
        profile.quantity_sigma[material] * rng.normal(size=len(material))
    )
    return np.clip(np.rint(raw), 1, profile.quantity_max[material]).astype(np.int64)


def _attributes(
    rng: np.random.Generator, profile: _Profile, material: IntArray
) -> dict[int, dict[str, float | str]]:
    """Measured properties for a share of steel and timber items: row -> attributes."""
    kinds = np.array(profile.attributes, dtype=object)[material]
    rows = np.flatnonzero((kinds != "") & (rng.random(len(material)) < _ATTRIBUTE_SHARE))
    if len(rows) == 0:
        return {}
    lengths = np.round(profile.length_m[material[rows]] * rng.uniform(0.6, 1.25, len(rows)), 1)
    grade = rng.choice(len(_STEEL_GRADES), size=len(rows), p=_STEEL_GRADE_P)
    pick = rng.random(len(rows))
    out: dict[int, dict[str, float | str]] = {}
    for i, row in enumerate(rows.tolist()):
        kind = kinds[row]
        attrs: dict[str, float | str] = {"length_m": float(lengths[i])}
        if kind == "steel":
            attrs["steel_grade"] = _STEEL_GRADES[int(grade[i])]
        elif kind in _STRENGTH_CLASSES:
            classes, p = _STRENGTH_CLASSES[kind]
            attrs["strength_class"] = classes[int(np.searchsorted(np.cumsum(p), pick[i]))]
        out[row] = attrs
    return out


def _requirements(
    rng: np.random.Generator, profile: _Profile, material: IntArray
) -> dict[int, dict[str, dict[str, Any]]]:
    """Requirements for a share of steel and timber demand: row -> requirements."""
    kinds = np.array(profile.attributes, dtype=object)[material]
    rows = np.flatnonzero((kinds != "") & (rng.random(len(material)) < _REQUIREMENT_SHARE))
    if len(rows) == 0:
        return {}
    min_len = np.round(profile.length_m[material[rows]] * rng.uniform(0.5, 1.0, len(rows)), 1)
    what = rng.random(len(rows))
    strict = rng.random(len(rows)) < 0.3
    out: dict[int, dict[str, dict[str, Any]]] = {}
    for i, row in enumerate(rows.tolist()):
        kind = kinds[row]
        reqs: dict[str, dict[str, Any]] = {}
        if what[i] < 0.75:
            reqs["length_m"] = {"min": float(min_len[i])}
        if what[i] >= 0.4:
            if kind == "steel":
                reqs["steel_grade"] = {"in": ["S355"] if strict[i] else ["S235", "S275", "S355"]}
            elif kind in _STRENGTH_CLASSES:
                classes = list(_STRENGTH_CLASSES[kind][0])
                reqs["strength_class"] = {"in": classes[1:] if strict[i] else classes}
        if not reqs:
            reqs["length_m"] = {"min": float(min_len[i])}
        out[row] = reqs
    return out


def _conditions(rng: np.random.Generator, n: int, p: Sequence[float]) -> list[str]:
    picks = rng.choice(3, size=n, p=p)
    return [_CONDITIONS[int(k)] for k in picks]


def _supply_windows(rng: np.random.Generator, n: int) -> tuple[IntArray, IntArray]:
    """Day offsets from today: 1-8 week windows over the coming ~11 months, some open already,
    a rare one expired."""
    already = rng.random(n) < 0.15
    start = np.where(already, rng.integers(-42, 1, n), rng.integers(1, 331, n))
    length = rng.integers(7, 57, n)
    until = start + length
    until = np.where(already & (until < 1), length, until)
    expired = rng.random(n) < 0.01
    k = int(expired.sum())
    if k:
        start[expired] = rng.integers(-90, -30, k)
        until[expired] = start[expired] + rng.integers(0, 28, k)
    return start.astype(np.int64), until.astype(np.int64)


def _demand_windows(rng: np.random.Generator, n: int) -> tuple[IntArray, IntArray]:
    """Day offsets from today: 2-10 week windows starting over the coming 12 months."""
    start = rng.integers(7, 366, n)
    return start.astype(np.int64), (start + rng.integers(14, 71, n)).astype(np.int64)


def _depots(
    rng: np.random.Generator,
    n_depots: int,
    share: float,
    regime: str,
    profile: _Profile,
    supply_p: FloatArray,
) -> tuple[list[dict[str, Any]], list[int]]:
    """Municipal yards on the outskirts of the largest towns of the listing region."""
    cities = _cities()
    weight = _city_weights(share)
    best: dict[str, int] = {}
    for i in np.argsort(-weight, kind="stable").tolist():
        best.setdefault(cities.municipality_code[i], i)
    towns = list(best.values())
    pc_lat, pc_lon, pc_muni = _postcode_positions()
    depots: list[dict[str, Any]] = []
    stock_materials: list[int] = []
    stock_id = 0
    tight = regime == "tight"
    for k in range(n_depots):
        town = towns[k % len(towns)]
        lap = k // len(towns)
        candidates = np.flatnonzero(pc_muni == cities.municipality_code[town])
        if len(candidates) == 0:
            candidates = nearest_postcodes(cities.lat[town], cities.lon[town])[0]
        dist_km = np.hypot(
            (pc_lat[candidates] - cities.lat[town]) * _KM_PER_DEG_LAT,
            (pc_lon[candidates] - cities.lon[town])
            * _KM_PER_DEG_LAT
            * math.cos(math.radians(cities.lat[town])),
        )
        ranked = candidates[np.argsort(np.abs(dist_km - 4.0), kind="stable")]
        pc = int(ranked[(int(rng.integers(0, min(3, len(ranked)))) + lap) % len(ranked)])
        if tight:
            capacity = float(5 * round(rng.uniform(30.0, 150.0) / 5))
        else:
            capacity = float(50 * round(rng.uniform(500.0, 5000.0) / 50))
        depot: dict[str, Any] = {
            "id": f"dep{k + 1}",
            "name": f"Gemeentewerf {cities.municipality[town]}" + (f" {lap + 1}" if lap else ""),
            "lat": round(float(pc_lat[pc]), 5),
            "lon": round(float(pc_lon[pc]), 5),
            "capacity_m3": capacity,
            "holding_eur_per_m3_day": round(float(rng.uniform(0.02, 0.10)), 3),
            "handling_eur_per_tonne": round(float(rng.uniform(2.0, 6.0)), 1),
        }
        if k == 0 or rng.random() < 0.3:
            fill = rng.uniform(0.2, 0.6) if tight else rng.uniform(0.05, 0.4)
            n_items = int(rng.integers(1, 6))
            material = rng.choice(len(supply_p), size=n_items, p=supply_p).astype(np.int64)
            wanted = _quantities(rng, profile, material)
            room = np.floor(fill * capacity / n_items / profile.m3_per_unit[material])
            quantity = np.minimum(wanted, room.astype(np.int64))
            conditions = _conditions(rng, n_items, _STOCK_CONDITION_P)
            attributes = _attributes(rng, profile, material)
            stock = []
            for j in range(n_items):
                if quantity[j] < 1:
                    continue
                stock_id += 1
                item: dict[str, Any] = {
                    "id": f"st{stock_id}",
                    "material": profile.entries[int(material[j])].code,
                    "quantity": int(quantity[j]),
                    "condition": conditions[j],
                }
                if j in attributes:
                    item["attributes"] = attributes[j]
                stock.append(item)
                stock_materials.append(int(material[j]))
            if stock:
                depot["stock"] = stock
        depots.append(depot)
    return depots, stock_materials


def _material_dict(entry: CatalogueEntry, present: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": entry.code,
        "name": entry.name_en,
        "unit": entry.unit,
        "kg_per_unit": entry.kg_per_unit,
        "m3_per_unit": entry.m3_per_unit,
        "new_price_eur_per_unit": entry.new_price_eur_per_unit,
        "disposal_eur_per_unit": entry.disposal_eur_per_unit,
        "embodied_kgco2e_per_kg": entry.embodied_kgco2e_per_kg,
    }
    subs = [
        {"code": s.code, "penalty_eur_per_unit": s.penalty_eur_per_unit}
        for s in entry.substitutes
        if s.code in present
    ]
    if subs:
        out["substitutes"] = subs
    return out


def generate_instance(
    n_supply: int,
    n_demand: int,
    n_depots: int,
    seed: int,
    today: date | None = None,
    *,
    regime: str = "default",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """A realistic synthetic instance in the spec's JSON shape, as plain Python data.

    Parameters
    ----------
    n_supply, n_demand : int
        Number of supply and demand listings (>= 0).
    n_depots : int
        Number of depots (>= 0); ignored (no depots) for ``regime="nodepots"``.
    seed : int
        Seed of the :class:`numpy.random.Generator`; the same arguments give the same instance.
    today : datetime.date, optional
        The instance's ``today``; windows are placed relative to it. Default 2027-01-04.
    regime : {"default", "tight", "substitution", "nodepots"}
        ``"default"``: depots of 500-5000 m3 with spare room. ``"tight"``: depots of 30-150 m3,
        so that storage binds across several materials. ``"substitution"``: most demand is for
        materials that have substitutes, and supply leans to the substitutes. ``"nodepots"``:
        no depots at all.
    progress : callable, optional
        Called with a short message at each stage (for a CLI's progress line).

    Returns
    -------
    dict
        ``today``, ``cost``, ``materials`` (the catalogue materials in use, with the
        substitutes they name), ``supply``, ``demand``, ``depots`` and ``generator`` (the
        arguments; an unknown key the matcher ignores). Ready for ``json.dump``: only str,
        int, float, list and dict; quantities are ints; ids are unique across the instance.

    Raises
    ------
    ValueError
        When a count is negative or ``regime`` is unknown.

    Example
    -------
    >>> inst = generate_instance(20, 10, 2, seed=7)
    >>> len(inst["supply"]), len(inst["demand"]), len(inst["depots"]), inst["today"]
    (20, 10, 2, '2027-01-04')
    """
    for name, value in (("n_supply", n_supply), ("n_demand", n_demand), ("n_depots", n_depots)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name}: must be an integer >= 0, got {value!r}")
    if regime not in REGIMES:
        raise ValueError(f"regime: must be one of {', '.join(REGIMES)}, got {regime!r}")
    say = progress or (lambda _message: None)
    today = today or DEFAULT_TODAY
    rng = np.random.default_rng(seed)
    profile = _profile()
    share = home_share(n_supply + n_demand)
    supply_p, demand_p = _regime_weights(profile, regime)
    codes = np.array([e.code for e in profile.entries], dtype=object)

    say(f"supply: {n_supply} listings")
    s_mat = rng.choice(len(codes), size=n_supply, p=supply_p).astype(np.int64)
    s_qty = _quantities(rng, profile, s_mat)
    s_lat, s_lon = _locations(rng, n_supply, share)
    s_cond = _conditions(rng, n_supply, _SUPPLY_CONDITION_P)
    s_from, s_until = _supply_windows(rng, n_supply)
    s_attr = _attributes(rng, profile, s_mat)

    say(f"demand: {n_demand} listings")
    d_mat = rng.choice(len(codes), size=n_demand, p=demand_p).astype(np.int64)
    d_qty = _quantities(rng, profile, d_mat)
    d_lat, d_lon = _locations(rng, n_demand, share)
    d_cond = _conditions(rng, n_demand, _MIN_CONDITION_P)
    d_from, d_until = _demand_windows(rng, n_demand)
    d_req = _requirements(rng, profile, d_mat)
    d_has_max = rng.random(n_demand) < 0.25
    d_max_km = rng.choice(np.arange(20, 65, 5), size=n_demand).astype(np.float64)

    n_dep = 0 if regime == "nodepots" else n_depots
    say(f"depots: {n_dep}")
    depots, stock_mat = _depots(rng, n_dep, share, regime, profile, supply_p)

    say("assembling")
    lo = int(min(s_from.min(initial=0), d_from.min(initial=0)))
    hi = int(max(s_until.max(initial=0), d_until.max(initial=0)))
    iso = [(today + timedelta(days=k)).isoformat() for k in range(lo, hi + 1)]
    supply = [
        {
            "id": f"s{i + 1}",
            "material": m,
            "quantity": q,
            "condition": c,
            "lat": la,
            "lon": lo_,
            "available_from": iso[a - lo],
            "available_until": iso[b - lo],
        }
        for i, (m, q, c, la, lo_, a, b) in enumerate(
            zip(
                codes[s_mat].tolist(),
                s_qty.tolist(),
                s_cond,
                s_lat.tolist(),
                s_lon.tolist(),
                s_from.tolist(),
                s_until.tolist(),
                strict=True,
            )
        )
    ]
    for row, attrs in s_attr.items():
        supply[row]["attributes"] = attrs
    demand = [
        {
            "id": f"d{i + 1}",
            "material": m,
            "quantity": q,
            "min_condition": c,
            "lat": la,
            "lon": lo_,
            "needed_from": iso[a - lo],
            "needed_until": iso[b - lo],
        }
        for i, (m, q, c, la, lo_, a, b) in enumerate(
            zip(
                codes[d_mat].tolist(),
                d_qty.tolist(),
                d_cond,
                d_lat.tolist(),
                d_lon.tolist(),
                d_from.tolist(),
                d_until.tolist(),
                strict=True,
            )
        )
    ]
    for row in np.flatnonzero(d_has_max).tolist():
        demand[row]["max_distance_km"] = float(d_max_km[row])
    for row, reqs in d_req.items():
        demand[row]["requirements"] = reqs

    used = set(np.unique(np.concatenate([s_mat, d_mat])).tolist()) | set(stock_mat)
    present = {profile.entries[i].code for i in used}
    frontier = list(present)
    by_code = {e.code: e for e in profile.entries}
    while frontier:  # add the substitutes the used materials name, and theirs
        for sub in by_code[frontier.pop()].substitutes:
            if sub.code not in present:
                present.add(sub.code)
                frontier.append(sub.code)
    materials = [_material_dict(e, present) for e in profile.entries if e.code in present]
    cost = CostModel()
    return {
        "today": today.isoformat(),
        "cost": {
            "transport_eur_per_tonne_km": cost.transport_eur_per_tonne_km,
            "road_factor": cost.road_factor,
            "co2_kg_per_tonne_km": cost.co2_kg_per_tonne_km,
            "co2_price_eur_per_tonne": cost.co2_price_eur_per_tonne,
            "max_distance_km": cost.max_distance_km,
        },
        "materials": materials,
        "supply": supply,
        "demand": demand,
        "depots": depots,
        "generator": {
            "n_supply": n_supply,
            "n_demand": n_demand,
            "n_depots": n_depots,
            "seed": seed,
            "regime": regime,
        },
    }
