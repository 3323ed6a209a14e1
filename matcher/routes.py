"""Feasible routes: direct, through a depot, and from depot stock.

This module turns an :class:`~matcher.domain.Instance` into numpy tables once
(:func:`build_tables`) and enumerates every feasible route of the spec as a :class:`RoutePool`
(:func:`build_routes`), vectorised: a grid radius join per material family for direct routes,
and per depot a join of the supplies and demands within reach.

The rules, all from ``shared/spec/matching.md``:

* compatible: the supplied material is the demanded one or one of its substitutes, its condition
  is at least ``min_condition``, its attributes meet every requirement;
* direct: road km <= the demand's max distance, picked up and delivered on the first day ``t``
  with ``max(available_from, needed_from, today) <= t <= min(available_until, needed_until)``;
* through a depot: road km(supply, depot) <= the cost model's max distance, road km(depot, demand)
  <= the demand's max distance.  When the windows share a day (from ``today`` on), the depot is
  a transfer point, ``p = q =`` the first shared day; otherwise the units are picked up on the
  last available day ``p = available_until`` and delivered on ``q = needed_from``, occupying the
  depot on the days ``p <= t < q``.  A transfer route is never cheaper than the direct route
  between the same two listings (triangle inequality, handling >= 0), so it is only kept where
  the direct route is infeasible;
* from stock: delivered on ``q = max(needed_from, today)`` if that is in the demand's window; the
  stock item occupies its depot until ``q``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

import numpy as np
import numpy.typing as npt

from matcher.domain import AttributeValue, Instance, Requirement
from matcher.geo import Points, candidate_pairs, great_circle_km, within_km
from matcher.pricing import least_below

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DIRECT, DEPOT, STOCK = 0, 1, 2

# Dense per-depot joins are cut into blocks of about this many pairs to bound memory.
_BLOCK_PAIRS = 4_000_000
# Up to this many materials (a 32 MiB table), substitution penalties are looked up densely.
_DENSE_PENALTY_MATERIALS = 2048


@dataclass
class AttributeTable:
    """Attributes of items and requirements of demands, encoded for vectorised checks.

    ``num[name]`` holds each item's numeric value (NaN when absent or a string), ``code[name]``
    each item's value code (-1 when absent).  For demands, ``req_min``/``req_max`` hold bounds
    (NaN when none), ``has_req[name]`` whether the demand constrains that attribute at all, and
    ``allowed`` the sorted keys ``demand * n_codes + code`` of ``in`` lists.
    """

    names: tuple[str, ...]
    n_codes: int
    supply_num: dict[str, FloatArray]
    supply_code: dict[str, IntArray]
    stock_num: dict[str, FloatArray]
    stock_code: dict[str, IntArray]
    has_req: dict[str, BoolArray]
    req_min: dict[str, FloatArray]
    req_max: dict[str, FloatArray]
    has_in: dict[str, BoolArray]
    allowed: dict[str, IntArray]
    demand_has_any: BoolArray


@dataclass
class Tables:
    """The instance as numpy arrays: one array per field, one row per listing.

    Dates are ordinal day numbers (``date.toordinal()``).  ``e_d`` is a demand's earliest
    delivery day, ``max(needed_from, today)``; ``a_s`` a supply's earliest pick-up day,
    ``max(available_from, today)``.
    """

    instance: Instance
    today: int
    eur_per_tonne_km: float
    road_factor: float
    max_gc_km: float  # the cost model's max distance as great-circle km
    # materials
    mat_codes: tuple[str, ...]
    mat_t: FloatArray  # tonnes per unit
    mat_m3: FloatArray
    mat_disposal: FloatArray
    mat_unmet: FloatArray  # new price plus priced embodied carbon, per unit
    mat_embodied_kg: FloatArray  # kg CO2e embodied per unit
    mat_family: IntArray
    sub_keys: IntArray  # sorted keys supplied * n_materials + demanded
    sub_penalty: FloatArray
    # supply
    s_ids: tuple[str, ...]
    s_mat: IntArray
    s_qty: IntArray
    s_cond: IntArray
    s_lat: FloatArray
    s_lon: FloatArray
    s_a: IntArray
    s_b: IntArray
    # demand
    d_ids: tuple[str, ...]
    d_mat: IntArray
    d_qty: IntArray
    d_cond: IntArray
    d_lat: FloatArray
    d_lon: FloatArray
    d_a: IntArray
    d_b: IntArray
    d_max_gc_km: FloatArray
    # depots and their stock
    k_ids: tuple[str, ...]
    k_lat: FloatArray
    k_lon: FloatArray
    k_capacity_m3: FloatArray
    k_hold: FloatArray
    k_handling: FloatArray
    i_ids: tuple[str, ...]
    i_depot: IntArray
    i_mat: IntArray
    i_qty: IntArray
    i_cond: IntArray
    attrs: AttributeTable | None

    @property
    def n_materials(self) -> int:
        return len(self.mat_codes)

    def _dense_penalty(self) -> FloatArray:
        """Penalty by ``supplied * n_materials + demanded``, NaN where not allowed (cached)."""
        table: FloatArray | None = self.__dict__.get("_penalty_table")
        if table is None:
            table = np.full(self.n_materials**2, np.nan)
            table[self.sub_keys] = self.sub_penalty
            self.__dict__["_penalty_table"] = table
        return table

    def penalty(self, supplied: IntArray, demanded: IntArray) -> tuple[BoolArray, FloatArray]:
        """Whether each supplied material may stand in for the demanded one, and at what penalty."""
        keys = supplied.astype(np.int64) * self.n_materials + demanded
        if self.n_materials <= _DENSE_PENALTY_MATERIALS:
            found = self._dense_penalty()[keys]
            ok = ~np.isnan(found)
            return ok, np.where(ok, found, 0.0)
        pos = np.searchsorted(self.sub_keys, keys)
        pos = np.minimum(pos, max(self.sub_keys.size - 1, 0))
        if self.sub_keys.size == 0:
            return np.zeros(keys.shape, bool), np.zeros(keys.shape)
        ok = self.sub_keys[pos] == keys
        return ok, np.where(ok, self.sub_penalty[pos], 0.0)


def _ordinals(values: Sequence[date]) -> IntArray:
    return np.fromiter((v.toordinal() for v in values), dtype=np.int64, count=len(values))


def _families(n: int, edges: list[tuple[int, int]]) -> IntArray:
    """Connected components of the substitution graph (union-find)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    roots = [find(i) for i in range(n)]
    _, family = np.unique(np.array(roots, dtype=np.int64), return_inverse=True)
    return family.astype(np.int64)


def _attribute_table(instance: Instance) -> AttributeTable | None:
    names = sorted({name for d in instance.demand for name in d.requirements})
    if not names:
        return None
    codes: dict[tuple[str, AttributeValue], int] = {}

    def code_of(value: AttributeValue) -> int:
        key = ("s", value) if isinstance(value, str) else ("n", float(value))
        return codes.setdefault(key, len(codes))

    stock = [item for depot in instance.depots for item in depot.stock]

    def item_arrays(
        items: Sequence[object],
    ) -> tuple[dict[str, FloatArray], dict[str, IntArray]]:
        num: dict[str, FloatArray] = {}
        code: dict[str, IntArray] = {}
        for name in names:
            n_arr = np.full(len(items), np.nan)
            c_arr = np.full(len(items), -1, dtype=np.int64)
            for row, item in enumerate(items):
                value = item.attributes.get(name)  # type: ignore[attr-defined]
                if value is None:
                    continue
                c_arr[row] = code_of(value)
                if not isinstance(value, str):
                    n_arr[row] = float(value)
            num[name], code[name] = n_arr, c_arr
        return num, code

    supply_num, supply_code = item_arrays(instance.supply)
    stock_num, stock_code = item_arrays(stock)
    n_d = len(instance.demand)
    has_req = {name: np.zeros(n_d, bool) for name in names}
    has_in = {name: np.zeros(n_d, bool) for name in names}
    req_min = {name: np.full(n_d, np.nan) for name in names}
    req_max = {name: np.full(n_d, np.nan) for name in names}
    allowed_lists: dict[str, list[tuple[int, AttributeValue]]] = {name: [] for name in names}
    for row, demand in enumerate(instance.demand):
        for name, req in demand.requirements.items():
            has_req[name][row] = True
            _fill_requirement(req, row, name, req_min, req_max, has_in, allowed_lists)
    # Codes of "in" values must all exist before the keys demand * n_codes + code are built.
    in_pairs = {name: [(d, code_of(v)) for d, v in allowed_lists[name]] for name in names}
    n_codes = max(len(codes), 1)
    allowed = {
        name: np.unique(np.array([d * n_codes + c for d, c in in_pairs[name]], dtype=np.int64))
        for name in names
    }
    demand_has_any = np.zeros(n_d, bool)
    for name in names:
        demand_has_any |= has_req[name]
    return AttributeTable(
        names=tuple(names),
        n_codes=n_codes,
        supply_num=supply_num,
        supply_code=supply_code,
        stock_num=stock_num,
        stock_code=stock_code,
        has_req=has_req,
        req_min=req_min,
        req_max=req_max,
        has_in=has_in,
        allowed=allowed,
        demand_has_any=demand_has_any,
    )


def _fill_requirement(
    req: Requirement,
    row: int,
    name: str,
    req_min: dict[str, FloatArray],
    req_max: dict[str, FloatArray],
    has_in: dict[str, BoolArray],
    allowed_lists: dict[str, list[tuple[int, AttributeValue]]],
) -> None:
    """Copy one demand's requirement on one attribute into the vectorised table."""
    if req.min is not None:
        req_min[name][row] = req.min
    if req.max is not None:
        req_max[name][row] = req.max
    if req.allowed is not None:
        has_in[name][row] = True
        allowed_lists[name].extend((row, value) for value in req.allowed)


def build_tables(instance: Instance) -> Tables:
    """Turn the readable model into numpy arrays, once; the only such conversion.

    Parameters
    ----------
    instance : Instance
        A validated instance.

    Returns
    -------
    Tables
        One array per field, one row per listing, material, depot or stock item.
    """
    cost = instance.cost
    materials = instance.materials
    index = {m.code: i for i, m in enumerate(materials)}
    n_m = len(materials)
    mat_t = np.array([m.kg_per_unit / 1000.0 for m in materials], dtype=np.float64)
    sub_pairs: dict[int, float] = {}
    edges: list[tuple[int, int]] = []
    for j, m in enumerate(materials):
        sub_pairs[j * n_m + j] = 0.0
        for sub in m.substitutes:
            i = index[sub.code]
            sub_pairs[i * n_m + j] = sub.penalty_eur_per_unit
            edges.append((i, j))
    keys = np.array(sorted(sub_pairs), dtype=np.int64)
    penalties = np.array([sub_pairs[int(k)] for k in keys], dtype=np.float64)

    supply, demand = instance.supply, instance.demand
    today = instance.today.toordinal()
    stock = [(k, item) for k, depot in enumerate(instance.depots) for item in depot.stock]
    max_km = np.array(
        [cost.max_distance_km if d.max_distance_km is None else d.max_distance_km for d in demand],
        dtype=np.float64,
    )
    return Tables(
        instance=instance,
        today=today,
        eur_per_tonne_km=cost.eur_per_tonne_km,
        road_factor=cost.road_factor,
        max_gc_km=cost.max_distance_km / cost.road_factor,
        mat_codes=tuple(m.code for m in materials),
        mat_t=mat_t,
        mat_m3=np.array([m.m3_per_unit for m in materials], dtype=np.float64),
        mat_disposal=np.array([m.disposal_eur_per_unit for m in materials], dtype=np.float64),
        mat_unmet=np.array([m.unmet_eur_per_unit(cost) for m in materials], dtype=np.float64),
        mat_embodied_kg=np.array(
            [m.kg_per_unit * m.embodied_kgco2e_per_kg for m in materials], dtype=np.float64
        ),
        mat_family=_families(n_m, edges),
        sub_keys=keys,
        sub_penalty=penalties,
        s_ids=tuple(s.id for s in supply),
        s_mat=np.fromiter((index[s.material] for s in supply), np.int64, len(supply)),
        s_qty=np.fromiter((s.quantity for s in supply), np.int64, len(supply)),
        s_cond=np.fromiter((int(s.condition) for s in supply), np.int64, len(supply)),
        s_lat=np.fromiter((s.lat for s in supply), np.float64, len(supply)),
        s_lon=np.fromiter((s.lon for s in supply), np.float64, len(supply)),
        s_a=np.maximum(_ordinals([s.available_from for s in supply]), today),
        s_b=_ordinals([s.available_until for s in supply]),
        d_ids=tuple(d.id for d in demand),
        d_mat=np.fromiter((index[d.material] for d in demand), np.int64, len(demand)),
        d_qty=np.fromiter((d.quantity for d in demand), np.int64, len(demand)),
        d_cond=np.fromiter((int(d.min_condition) for d in demand), np.int64, len(demand)),
        d_lat=np.fromiter((d.lat for d in demand), np.float64, len(demand)),
        d_lon=np.fromiter((d.lon for d in demand), np.float64, len(demand)),
        d_a=np.maximum(_ordinals([d.needed_from for d in demand]), today),
        d_b=_ordinals([d.needed_until for d in demand]),
        d_max_gc_km=max_km / cost.road_factor,
        k_ids=tuple(k.id for k in instance.depots),
        k_lat=np.array([k.lat for k in instance.depots], dtype=np.float64),
        k_lon=np.array([k.lon for k in instance.depots], dtype=np.float64),
        k_capacity_m3=np.array([k.capacity_m3 for k in instance.depots], dtype=np.float64),
        k_hold=np.array([k.holding_eur_per_m3_day for k in instance.depots], dtype=np.float64),
        k_handling=np.array([k.handling_eur_per_tonne for k in instance.depots], dtype=np.float64),
        i_ids=tuple(item.id for _, item in stock),
        i_depot=np.array([k for k, _ in stock], dtype=np.int64),
        i_mat=np.array([index[item.material] for _, item in stock], dtype=np.int64),
        i_qty=np.array([item.quantity for _, item in stock], dtype=np.int64),
        i_cond=np.array([int(item.condition) for _, item in stock], dtype=np.int64),
        attrs=_attribute_table(instance),
    )


def requirements_met(
    tables: Tables, item: IntArray, demand: IntArray, *, from_stock: bool = False
) -> BoolArray:
    """Whether each item's attributes meet every requirement of the paired demand.

    An attribute the item does not state fails any requirement on it; ``min``/``max`` are
    inclusive and apply to numbers only; ``in`` compares by equality.
    """
    ok = np.ones(item.shape, dtype=bool)
    attrs = tables.attrs
    if attrs is None or item.size == 0:
        return ok
    constrained = attrs.demand_has_any[demand]
    if not constrained.any():
        return ok
    sel = np.nonzero(constrained)[0]
    it, dm = item[sel], demand[sel]
    sub_ok = np.ones(sel.size, dtype=bool)
    for name in attrs.names:
        has = attrs.has_req[name][dm]
        if not has.any():
            continue
        num = (attrs.stock_num if from_stock else attrs.supply_num)[name][it]
        code = (attrs.stock_code if from_stock else attrs.supply_code)[name][it]
        lo, hi = attrs.req_min[name][dm], attrs.req_max[name][dm]
        passes = code >= 0
        bounded = ~np.isnan(lo) | ~np.isnan(hi)
        with np.errstate(invalid="ignore"):
            passes &= ~bounded | ~np.isnan(num)
            passes &= np.isnan(lo) | (num >= lo)
            passes &= np.isnan(hi) | (num <= hi)
        in_list = attrs.has_in[name][dm]
        if in_list.any():
            keys = dm * attrs.n_codes + code
            allowed = attrs.allowed[name]
            pos = np.minimum(np.searchsorted(allowed, keys), max(allowed.size - 1, 0))
            member = (
                (allowed.size > 0) & (allowed[pos] == keys)
                if allowed.size
                else np.zeros(keys.shape, bool)
            )
            passes &= ~in_list | member
        sub_ok &= ~has | passes
    ok[sel] = sub_ok
    return ok


_NARROW_FIELDS = ("src", "dem", "depot", "p", "q", "mat")  # RoutePool fields held in 32 bits


@dataclass
class RoutePool:
    """Every feasible route, one row each.

    ``kind`` is DIRECT, DEPOT or STOCK; ``src`` a supply index (a stock index for STOCK);
    ``depot`` -1 for direct routes; ``p``/``q`` the pick-up and delivery days (ordinals);
    ``km`` road km over all legs; ``unit_cost`` euros per unit sent (transport, priced CO2,
    substitution, handling, holding); ``mat`` the supplied material.
    """

    kind: npt.NDArray[np.int8]
    src: IntArray
    dem: IntArray
    depot: IntArray
    p: IntArray
    q: IntArray
    km: FloatArray
    unit_cost: FloatArray
    mat: IntArray

    def __post_init__(self) -> None:
        # Listing indices, days, depots and materials fit 32 bits (days are ordinals, under
        # 4 million), and the pools at 100k listings a side hold 23M routes: 24 bytes less a
        # route is 0.55 GB.  (The arrays are still typed IntArray: every use indexes, compares
        # or subtracts them, or widens them to 64 bits first where it multiplies, as keys and
        # the model's row numbers do.)
        for name in _NARROW_FIELDS:
            setattr(self, name, cast(IntArray, np.asarray(getattr(self, name), np.int32)))

    def __len__(self) -> int:
        return int(self.kind.size)

    @classmethod
    def concat(cls, parts: Sequence[RoutePool]) -> RoutePool:
        if not parts:
            return cls.empty()
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__)
        )

    def take(self, rows: IntArray) -> RoutePool:
        """The routes at ``rows``, in that order."""
        return RoutePool(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))

    @classmethod
    def empty(cls) -> RoutePool:
        z = np.empty(0, np.int64)
        return cls(np.empty(0, np.int8), z, z, z, z, z, np.empty(0), np.empty(0), z)


def _direct_routes(tables: Tables, fam: int) -> RoutePool:
    """Direct routes among the supplies and demands of one material family."""
    s_idx = np.nonzero((tables.mat_family[tables.s_mat] == fam) & (tables.s_b >= tables.s_a))[0]
    d_idx = np.nonzero((tables.mat_family[tables.d_mat] == fam) & (tables.d_b >= tables.d_a))[0]
    if s_idx.size == 0 or d_idx.size == 0:
        return RoutePool.empty()
    ia, ib = candidate_pairs(
        tables.s_lat[s_idx],
        tables.s_lon[s_idx],
        tables.d_lat[d_idx],
        tables.d_lon[d_idx],
        tables.d_max_gc_km[d_idx],
        # only pairs whose windows meet (at 100k listings a side, a seventh of those near
        # enough: the join never forms the rest)
        windows=((tables.s_a[s_idx], tables.s_b[s_idx]), (tables.d_a[d_idx], tables.d_b[d_idx])),
    )
    s, d = s_idx[ia], d_idx[ib]
    keep = tables.s_cond[s] >= tables.d_cond[d]
    s, d = s[keep], d[keep]
    day = np.maximum(tables.s_a[s], tables.d_a[d])
    s_mats, d_mats = np.unique(tables.s_mat[s_idx]), np.unique(tables.d_mat[d_idx])
    if s_mats.size == 1 and d_mats.size == 1:  # most families: one lookup, not one per pair
        one_allowed, one_penalty = tables.penalty(s_mats, d_mats)
        if not one_allowed[0]:
            return RoutePool.empty()
        penalty = np.full(s.size, float(one_penalty[0]))
    else:
        allowed, penalty = tables.penalty(tables.s_mat[s], tables.d_mat[d])
        s, d, penalty, day = s[allowed], d[allowed], penalty[allowed], day[allowed]
    keep = requirements_met(tables, s, d)
    s, d, penalty, day = s[keep], d[keep], penalty[keep], day[keep]
    # the exact distance, and the exact radius test, only for pairs that are otherwise feasible
    gc = great_circle_km(tables.s_lat[s], tables.s_lon[s], tables.d_lat[d], tables.d_lon[d])
    keep = gc <= tables.d_max_gc_km[d]
    s, d, gc, penalty, day = s[keep], d[keep], gc[keep], penalty[keep], day[keep]
    km = gc * tables.road_factor
    mat = tables.s_mat[s]
    unit_cost = tables.mat_t[mat] * km * tables.eur_per_tonne_km + penalty
    n = s.size
    return RoutePool(
        kind=np.full(n, DIRECT, np.int8),
        src=s,
        dem=d,
        depot=np.full(n, -1, np.int64),
        p=day,
        q=day,
        km=km,
        unit_cost=unit_cost,
        mat=mat,
    )


def _blocks(n_a: int, n_b: int) -> Iterator[tuple[slice, slice]]:
    """Cut an n_a x n_b cross join into blocks of at most about _BLOCK_PAIRS pairs."""
    if n_a == 0 or n_b == 0:
        return
    rows = max(1, _BLOCK_PAIRS // max(n_b, 1))
    for start in range(0, n_a, rows):
        yield slice(start, min(start + rows, n_a)), slice(0, n_b)


def _places(tables: Tables) -> tuple[Points, Points]:
    """The supplies' and the demands' places, for :func:`_direct_in_reach`."""
    return Points(tables.s_lat, tables.s_lon), Points(tables.d_lat, tables.d_lon)


def _direct_in_reach(
    tables: Tables, places: tuple[Points, Points], s: IntArray, d: IntArray
) -> BoolArray:
    """Whether each supply ``s`` lies within the radius of demand ``d``: where it does, the
    direct route does better than a transfer through a depot (see :func:`_places`)."""
    return within_km(places[0], s, places[1], d, tables.d_max_gc_km[d])


def _depot_routes(
    tables: Tables, k: int, demands: BoolArray, places: tuple[Points, Points]
) -> RoutePool:
    """Routes through depot ``k`` to the ``demands`` selected: storage across a gap, or a
    transfer where the direct route is too far.  ``places`` are the supplies' and demands'."""
    lat, lon = tables.k_lat[k], tables.k_lon[k]
    sk_gc = great_circle_km(tables.s_lat, tables.s_lon, lat, lon)
    dk_gc = great_circle_km(tables.d_lat, tables.d_lon, lat, lon)
    s_near = np.nonzero((sk_gc <= tables.max_gc_km) & (tables.s_b >= tables.s_a))[0]
    d_near = np.nonzero((dk_gc <= tables.d_max_gc_km) & (tables.d_b >= tables.d_a) & demands)[0]
    if s_near.size == 0 or d_near.size == 0:
        return RoutePool.empty()
    parts: list[RoutePool] = []
    s_fam = tables.mat_family[tables.s_mat[s_near]]
    d_fam = tables.mat_family[tables.d_mat[d_near]]
    handling, hold = tables.k_handling[k], tables.k_hold[k]
    for fam in np.intersect1d(s_fam, d_fam):
        s_f = s_near[s_fam == fam]
        d_f = d_near[d_fam == fam]
        for rows, cols in _blocks(s_f.size, d_f.size):
            s = np.repeat(s_f[rows], d_f[cols].size)
            d = np.tile(d_f[cols], s_f[rows].size)
            allowed, penalty = tables.penalty(tables.s_mat[s], tables.d_mat[d])
            keep = (
                allowed & (tables.s_cond[s] >= tables.d_cond[d]) & (tables.s_a[s] <= tables.d_b[d])
            )
            s, d, penalty = s[keep], d[keep], penalty[keep]
            storage = tables.s_b[s] < tables.d_a[d]
            # A transfer (windows overlap) is dominated by the direct route when that is in reach.
            transfer = ~storage
            if transfer.any():
                at = np.nonzero(transfer)[0]
                transfer[at] = _direct_in_reach(tables, places, s[at], d[at])
                keep = ~transfer
                s, d, penalty, storage = s[keep], d[keep], penalty[keep], storage[keep]
            keep = requirements_met(tables, s, d)
            s, d, penalty, storage = s[keep], d[keep], penalty[keep], storage[keep]
            p = np.where(storage, tables.s_b[s], np.maximum(tables.s_a[s], tables.d_a[d]))
            q = np.where(storage, tables.d_a[d], p)
            km = (sk_gc[s] + dk_gc[d]) * tables.road_factor
            mat = tables.s_mat[s]
            unit_cost = (
                tables.mat_t[mat] * (km * tables.eur_per_tonne_km + handling)
                + tables.mat_m3[mat] * (q - p) * hold
                + penalty
            )
            n = s.size
            parts.append(
                RoutePool(
                    kind=np.full(n, DEPOT, np.int8),
                    src=s,
                    dem=d,
                    depot=np.full(n, k, np.int64),
                    p=p,
                    q=q,
                    km=km,
                    unit_cost=unit_cost,
                    mat=mat,
                )
            )
    return RoutePool.concat(parts)


def _stock_routes(tables: Tables) -> RoutePool:
    """Routes from depot stock to demands in reach, leaving on the demand's earliest day."""
    if tables.i_ids == ():
        return RoutePool.empty()
    parts: list[RoutePool] = []
    for k in np.unique(tables.i_depot):
        items = np.nonzero(tables.i_depot == k)[0]
        dk_gc = great_circle_km(tables.d_lat, tables.d_lon, tables.k_lat[k], tables.k_lon[k])
        d_near = np.nonzero((dk_gc <= tables.d_max_gc_km) & (tables.d_b >= tables.d_a))[0]
        i = np.repeat(items, d_near.size)
        d = np.tile(d_near, items.size)
        allowed, penalty = tables.penalty(tables.i_mat[i], tables.d_mat[d])
        keep = allowed & (tables.i_cond[i] >= tables.d_cond[d])
        i, d, penalty = i[keep], d[keep], penalty[keep]
        keep = requirements_met(tables, i, d, from_stock=True)
        i, d, penalty = i[keep], d[keep], penalty[keep]
        km = dk_gc[d] * tables.road_factor
        mat = tables.i_mat[i]
        n = i.size
        parts.append(
            RoutePool(
                kind=np.full(n, STOCK, np.int8),
                src=i,
                dem=d,
                depot=np.full(n, k, np.int64),
                p=tables.d_a[d],
                q=tables.d_a[d],
                km=km,
                unit_cost=tables.mat_t[mat] * km * tables.eur_per_tonne_km + penalty,
                mat=mat,
            )
        )
    return RoutePool.concat(parts)


def demands_with_requirements(tables: Tables) -> BoolArray:
    """Demands that constrain attributes; their depot routes are always listed explicitly."""
    if tables.attrs is None:
        return np.zeros(len(tables.d_ids), bool)
    return tables.attrs.demand_has_any.copy()


def count_depot_pairs(tables: Tables) -> int:
    """How many (supply, depot, demand) triples share a family within reach: an upper bound on
    the explicit depot routes, cheap to count."""
    total = 0
    n_fam = int(tables.mat_family.max(initial=-1)) + 1
    for k in range(len(tables.k_ids)):
        sk = great_circle_km(tables.s_lat, tables.s_lon, tables.k_lat[k], tables.k_lon[k])
        dk = great_circle_km(tables.d_lat, tables.d_lon, tables.k_lat[k], tables.k_lon[k])
        s_fam = tables.mat_family[tables.s_mat[sk <= tables.max_gc_km]]
        d_fam = tables.mat_family[tables.d_mat[dk <= tables.d_max_gc_km]]
        total += int(
            (np.bincount(s_fam, minlength=n_fam) * np.bincount(d_fam, minlength=n_fam)).sum()
        )
    return total


def build_routes(
    tables: Tables,
    progress: Callable[[str], None] | None = None,
    *,
    depot_demands: BoolArray | None = None,
) -> RoutePool:
    """Enumerate the feasible routes of the instance.

    Parameters
    ----------
    tables : Tables
        From :func:`build_tables`.
    progress : callable, optional
        Receives a line of text now and then.
    depot_demands : numpy.ndarray of bool, optional
        The demands whose depot routes are listed; default all.  The solver lists only those
        with attribute requirements when a :class:`DepotPricer` handles the rest.

    Returns
    -------
    RoutePool
        Direct routes, then depot routes, then stock routes.
    """
    parts: list[RoutePool] = []
    families = np.unique(
        np.intersect1d(tables.mat_family[tables.s_mat], tables.mat_family[tables.d_mat])
    )
    for fam in families:
        parts.append(_direct_routes(tables, int(fam)))
    n_direct = sum(len(p) for p in parts)
    if progress:
        progress(f"direct routes: {n_direct:,}")
    if depot_demands is None:
        depot_demands = np.ones(len(tables.d_ids), bool)
    if depot_demands.any():
        places = _places(tables)
        for k in range(len(tables.k_ids)):
            parts.append(_depot_routes(tables, k, depot_demands, places))
    parts.append(_stock_routes(tables))
    pool = RoutePool.concat(parts)
    if progress:
        progress(
            f"routes listed: {len(pool):,}"
            f" ({n_direct:,} direct, {len(pool) - n_direct:,} via depots)"
        )
    return pool


@dataclass
class DepotGroup:
    """Supplies within reach of one depot that share material and condition, and the demands
    they may serve there; the unit of implicit pricing."""

    depot: int
    mat: int
    # supplies, sorted by last available day (storage) ...
    s_by_b: IntArray
    b_sorted: IntArray
    base_sb: FloatArray  # per unit: transport to the depot, handling, minus disposal
    # ... and by last available day descending (transfer), with the distinct earliest days
    # and the rank of each supply's among them
    s_by_b_desc: IntArray
    b_desc: IntArray
    a_levels: IntArray
    a_rank: IntArray
    base_sb_desc: FloatArray
    # demands
    d: IntArray
    base_d: FloatArray  # per unit: transport from the depot, penalty, minus the unmet cost


def _running_min(values: FloatArray) -> tuple[FloatArray, IntArray]:
    """For each position, the smallest value up to it and where it stands (the first such)."""
    run_min = np.minimum.accumulate(values)
    improved = np.concatenate([[True], values[1:] < run_min[:-1]])
    return run_min, np.maximum.accumulate(np.where(improved, np.arange(values.size), 0))


class DepotPricer:
    """Finds the depot routes with the most negative reduced cost without listing every triple.

    A depot route (s, k, d) has reduced cost ``A[s] + B[d]``: ``A`` collects what depends on the
    supply (its leg to the depot, handling, its disposal fee and dual, and for storage the
    holding and depot-day duals up to its pick-up day ``p = available_until``), ``B`` what
    depends on the demand (its leg, penalty, new-purchase cost and dual, holding and duals up to
    ``q = needed_from``).  Storage needs ``available_until < q``: a prefix minimum over supplies
    sorted by that day answers every demand at once.  A transfer needs the two windows to share
    a day: a minimum over supplies with ``earliest <= needed_until`` among those with
    ``available_until >= q``, answered by a Fenwick tree over the supplies' earliest days
    (:func:`matcher.pricing.least_below`).  Both are exact minima, so
    when no group yields a negative reduced cost, no depot route improves the relaxation.

    Demands with attribute requirements are left out (their depot routes are enumerated
    explicitly by :func:`build_routes`), as are routes whose direct route is in reach
    (a transfer is never cheaper than the direct route; the direct route is priced instead).
    """

    def __init__(self, tables: Tables, exclude_demands: BoolArray) -> None:
        self.tables = tables
        self.groups: list[DepotGroup] = []
        self.km_sk: list[FloatArray] = []
        self.km_kd: list[FloatArray] = []
        self.places = _places(tables)
        t = tables
        for k in range(len(t.k_ids)):
            sk_gc = great_circle_km(t.s_lat, t.s_lon, t.k_lat[k], t.k_lon[k])
            dk_gc = great_circle_km(t.d_lat, t.d_lon, t.k_lat[k], t.k_lon[k])
            self.km_sk.append(sk_gc * t.road_factor)
            self.km_kd.append(dk_gc * t.road_factor)
            s_near = np.nonzero((sk_gc <= t.max_gc_km) & (t.s_b >= t.s_a))[0]
            d_near = np.nonzero((dk_gc <= t.d_max_gc_km) & (t.d_b >= t.d_a) & ~exclude_demands)[0]
            if s_near.size == 0 or d_near.size == 0:
                continue
            key = t.s_mat[s_near] * 4 + t.s_cond[s_near]
            order = np.argsort(key, kind="stable")
            s_sorted, key_sorted = s_near[order], key[order]
            bounds = np.flatnonzero(np.diff(key_sorted)) + 1
            for members in np.split(s_sorted, bounds):
                self._add_group(k, members, d_near)
        self._concatenate()

    def _concatenate(self) -> None:
        """Lay every group's supplies and demands end to end, so that a lower bound on each
        group's best reduced cost costs a few vectorised calls per round."""
        groups = self.groups
        t = self.tables
        sizes_s = np.array([g.s_by_b.size for g in groups], dtype=np.int64)
        sizes_d = np.array([g.d.size for g in groups], dtype=np.int64)
        self._s_starts = np.concatenate([[0], np.cumsum(sizes_s)[:-1]]).astype(np.int64)
        self._d_starts = np.concatenate([[0], np.cumsum(sizes_d)[:-1]]).astype(np.int64)
        cat = np.concatenate if groups else (lambda parts: np.empty(0))
        self._s = cat([g.s_by_b for g in groups]).astype(np.int64)
        self._s_base = cat([g.base_sb for g in groups])
        self._d = cat([g.d for g in groups]).astype(np.int64)
        self._d_base = cat([g.base_d for g in groups])
        depot = np.array([g.depot for g in groups], dtype=np.int64)
        mat = np.array([g.mat for g in groups], dtype=np.int64)
        self._s_depot = np.repeat(depot, sizes_s)
        self._d_depot = np.repeat(depot, sizes_d)
        self._s_m3 = np.repeat(t.mat_m3[mat] if groups else np.empty(0), sizes_s)
        self._d_m3 = np.repeat(t.mat_m3[mat] if groups else np.empty(0), sizes_d)
        self._s_b = t.s_b[self._s] if self._s.size else np.empty(0, np.int64)
        self._d_q = t.d_a[self._d] if self._d.size else np.empty(0, np.int64)

    def _group_bounds(
        self,
        y_supply: FloatArray,
        y_demand: FloatArray,
        depot_day_duals: Sequence[tuple[IntArray, FloatArray]],
    ) -> tuple[FloatArray, FloatArray]:
        """Per group, a lower bound on the reduced cost of its storage and transfer routes
        (the best supply part plus the best demand part, ignoring the days)."""
        t = self.tables
        hold_s, hold_d = t.k_hold[self._s_depot], t.k_hold[self._d_depot]
        dual_s = np.zeros(self._s.size)
        dual_d = np.zeros(self._d.size)
        for k, (days, prefix) in enumerate(depot_day_duals):
            if days.size == 0:
                continue
            on_s, on_d = self._s_depot == k, self._d_depot == k
            dual_s[on_s] = prefix[np.searchsorted(days, self._s_b[on_s], "left")]
            dual_d[on_d] = prefix[np.searchsorted(days, self._d_q[on_d], "left")]
        a_tr = self._s_base - y_supply[self._s]
        b_tr = self._d_base - y_demand[self._d]
        a_st = a_tr - self._s_m3 * (hold_s * self._s_b - dual_s)
        b_st = b_tr + self._d_m3 * (hold_d * self._d_q - dual_d)
        storage = np.minimum.reduceat(a_st, self._s_starts) + np.minimum.reduceat(
            b_st, self._d_starts
        )
        transfer = np.minimum.reduceat(a_tr, self._s_starts) + np.minimum.reduceat(
            b_tr, self._d_starts
        )
        return storage, transfer

    def _add_group(self, k: int, members: IntArray, d_near: IntArray) -> None:
        t = self.tables
        mat = int(t.s_mat[members[0]])
        cond = int(t.s_cond[members[0]])
        allowed, penalty = t.penalty(np.full(d_near.size, mat), t.d_mat[d_near])
        fits = allowed & (t.d_cond[d_near] <= cond)
        d = d_near[fits]
        if d.size == 0:
            return
        tonnes = t.mat_t[mat]
        base_s = (
            tonnes * (self.km_sk[k][members] * t.eur_per_tonne_km + t.k_handling[k])
            - t.mat_disposal[mat]
        )
        base_d = (
            tonnes * self.km_kd[k][d] * t.eur_per_tonne_km + penalty[fits] - t.mat_unmet[t.d_mat[d]]
        )
        by_b = np.argsort(t.s_b[members], kind="stable")
        by_b_desc = by_b[::-1]
        a_levels, a_rank = np.unique(t.s_a[members[by_b_desc]], return_inverse=True)
        self.groups.append(
            DepotGroup(
                depot=k,
                mat=mat,
                s_by_b=members[by_b],
                b_sorted=t.s_b[members[by_b]],
                base_sb=base_s[by_b],
                s_by_b_desc=members[by_b_desc],
                b_desc=t.s_b[members[by_b_desc]],
                a_levels=a_levels,
                a_rank=a_rank,
                base_sb_desc=base_s[by_b_desc],
                d=d,
                base_d=base_d,
            )
        )

    def price(
        self,
        y_supply: FloatArray,
        y_demand: FloatArray,
        depot_day_duals: Sequence[tuple[IntArray, FloatArray]],
        tol: float,
        transfer_floor: FloatArray | None = None,
    ) -> RoutePool:
        """The best depot route per (group, demand) whose reduced cost is below ``-tol``.

        Parameters
        ----------
        y_supply, y_demand : numpy.ndarray
            Duals of the supply and demand rows.
        depot_day_duals : sequence of (days, prefix)
            Per depot: the sorted days that have a capacity row, and ``prefix[j]``, the sum of
            the duals of the rows before ``days[j]`` (``len(days) + 1`` entries).
        tol : float
            Reduced cost below which a route counts as improving.
        transfer_floor : numpy.ndarray, optional
            Per demand; lowered, in place, to the best reduced cost below ``-tol`` of its
            transfers (routes through a depot on one day), those in reach of a direct route
            (which are not returned: the direct route does better) included.
        """
        t = self.tables
        parts: list[RoutePool] = []
        if not self.groups:
            return RoutePool.empty()
        storage_bound, transfer_bound = self._group_bounds(y_supply, y_demand, depot_day_duals)
        for i in np.nonzero((storage_bound < -tol) | (transfer_bound < -tol))[0]:
            g = self.groups[i]
            q = t.d_a[g.d]
            b_d = t.d_b[g.d]
            part_d = g.base_d - y_demand[g.d]
            if storage_bound[i] < -tol:  # storage: p = available_until < q
                a_store, b_part = self._storage_terms(g, y_supply, y_demand, depot_day_duals)
                run_min, arg = _running_min(a_store)
                count = np.searchsorted(g.b_sorted, q, "left")
                pos = np.maximum(count - 1, 0)
                rc = np.where(count > 0, run_min[pos] + b_part, np.inf)
                hit = np.nonzero(rc < -tol)[0]
                s, d = g.s_by_b[arg[pos[hit]]], g.d[hit]
                # and for each supply, the demand that suits it best: a suffix minimum over the
                # demands by delivery day (without it, a group's one best supply would be the
                # only one offered, round after round)
                by_q = np.argsort(q, kind="stable")
                q_sorted = q[by_q]
                rev_min, rev_arg = _running_min(b_part[by_q][::-1])
                suf_min, suf_arg = rev_min[::-1], (q.size - 1 - rev_arg)[::-1]
                first = np.searchsorted(q_sorted, g.b_sorted, "right")
                has = first < q_sorted.size
                at = np.minimum(first, q_sorted.size - 1)
                rc_s = np.where(has, a_store + suf_min[at], np.inf)
                hit_s = np.nonzero(rc_s < -tol)[0]
                s = np.concatenate([s, g.s_by_b[hit_s]])
                d = np.concatenate([d, g.d[by_q[suf_arg[at[hit_s]]]]])
                if s.size:
                    pair = np.unique(s * len(t.d_ids) + d)
                    s, d = pair // len(t.d_ids), pair % len(t.d_ids)
                    parts.append(self._routes(g, s, d, t.s_b[s], t.d_a[d]))
            if transfer_bound[i] < -tol:  # transfer: the windows share a day
                hit_s, hit_d, hit_rc = self._transfer_argmin(g, y_supply, part_d, q, b_d, tol)
                if transfer_floor is not None:
                    np.minimum.at(transfer_floor, g.d[hit_d], hit_rc)
                if hit_s.size:
                    d = g.d[hit_d]
                    far = ~_direct_in_reach(t, self.places, hit_s, d)
                    hit_s, d = hit_s[far], d[far]
                    day = np.maximum(t.s_a[hit_s], t.d_a[d])
                    parts.append(self._routes(g, hit_s, d, day, day))
        return RoutePool.concat(parts)

    def storage(
        self,
        y_supply: FloatArray,
        y_demand: FloatArray,
        depot_day_duals: Sequence[tuple[IntArray, FloatArray]],
        tol: float,
    ) -> list[tuple[DepotGroup, FloatArray, FloatArray]]:
        """Every storage route of the groups that have one below ``-tol``, implicitly: per
        such group, its ``a`` and ``b`` (see :meth:`_storage_terms`); the arguments are those
        of :meth:`price`."""
        if not self.groups:
            return []
        storage_bound, _ = self._group_bounds(y_supply, y_demand, depot_day_duals)
        return [
            (
                self.groups[i],
                *self._storage_terms(self.groups[i], y_supply, y_demand, depot_day_duals),
            )
            for i in np.nonzero(storage_bound < -tol)[0].tolist()
        ]

    def _storage_terms(
        self,
        g: DepotGroup,
        y_supply: FloatArray,
        y_demand: FloatArray,
        depot_day_duals: Sequence[tuple[IntArray, FloatArray]],
    ) -> tuple[FloatArray, FloatArray]:
        """The reduced cost of group ``g``'s storage routes as ``a[i] + b[j]``: ``a`` per
        supply in the order of ``g.s_by_b`` (picked up on its last available day), ``b`` per
        demand of ``g.d`` (delivered on its first day), for every pair whose pick-up comes
        before the delivery."""
        t = self.tables
        days, prefix = depot_day_duals[g.depot]
        m3, hold = t.mat_m3[g.mat], t.k_hold[g.depot]
        q = t.d_a[g.d]
        a = g.base_sb - y_supply[g.s_by_b]
        a -= m3 * (hold * g.b_sorted - prefix[np.searchsorted(days, g.b_sorted, "left")])
        b = g.base_d - y_demand[g.d] + m3 * (hold * q - prefix[np.searchsorted(days, q, "left")])
        return a, b

    def _transfer_argmin(
        self,
        g: DepotGroup,
        y_supply: FloatArray,
        part_d: FloatArray,
        q: IntArray,
        b_d: IntArray,
        tol: float,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """For each demand of the group, the supply minimising A among those whose window
        overlaps the demand's (the first such in the group's order, of those that tie);
        returns the (supply, demand position) pairs with rc < -tol, and their rc."""
        a_tr = g.base_sb_desc - y_supply[g.s_by_b_desc]
        # prefix length: supplies with available_until >= q (b sorted descending)
        length = np.searchsorted(-g.b_desc, -q, "right")
        level = np.searchsorted(g.a_levels, b_d, "right") - 1
        ask = np.nonzero((length > 0) & (level >= 0))[0]
        if ask.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        best_val, best_pos = least_below(a_tr, g.a_rank, g.a_levels.size, length[ask], level[ask])
        rc = best_val + part_d[ask]
        hit = np.nonzero(rc < -tol)[0]
        return g.s_by_b_desc[best_pos[hit]], ask[hit], rc[hit]

    def _routes(
        self, g: DepotGroup, s: IntArray, d: IntArray, p: IntArray, q: IntArray
    ) -> RoutePool:
        t, k = self.tables, g.depot
        km = self.km_sk[k][s] + self.km_kd[k][d]
        _, penalty = t.penalty(np.full(s.size, g.mat), t.d_mat[d])
        tonnes = t.mat_t[g.mat]
        unit_cost = (
            tonnes * (km * t.eur_per_tonne_km + t.k_handling[k])
            + t.mat_m3[g.mat] * (q - p) * t.k_hold[k]
            + penalty
        )
        n = s.size
        return RoutePool(
            kind=np.full(n, DEPOT, np.int8),
            src=s,
            dem=d,
            depot=np.full(n, k, np.int64),
            p=p,
            q=q,
            km=km,
            unit_cost=unit_cost,
            mat=np.full(n, g.mat, np.int64),
        )
