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

import numpy as np
import numpy.typing as npt

from matcher.domain import AttributeValue, Instance, Requirement
from matcher.geo import great_circle_km, pairs_within

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DIRECT, DEPOT, STOCK = 0, 1, 2

# Dense per-depot joins are cut into blocks of about this many pairs to bound memory.
_BLOCK_PAIRS = 4_000_000


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

    def penalty(self, supplied: IntArray, demanded: IntArray) -> tuple[BoolArray, FloatArray]:
        """Whether each supplied material may stand in for the demanded one, and at what penalty."""
        keys = supplied * self.n_materials + demanded
        pos = np.searchsorted(self.sub_keys, keys)
        pos = np.minimum(pos, max(self.sub_keys.size - 1, 0))
        if self.sub_keys.size == 0:
            return np.zeros(keys.shape, bool), np.zeros(keys.shape)
        ok = self.sub_keys[pos] == keys
        return ok, np.where(ok, self.sub_penalty[pos], 0.0)


def _ordinals(values: Sequence[object]) -> IntArray:
    return np.fromiter((v.toordinal() for v in values), dtype=np.int64, count=len(values))  # type: ignore[attr-defined]


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
        return codes.setdefault(key, len(codes))  # type: ignore[arg-type]

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
            member = (allowed.size > 0) & (allowed[pos] == keys) if allowed.size else np.zeros(
                keys.shape, bool
            )
            passes &= ~in_list | member
        sub_ok &= ~has | passes
    ok[sel] = sub_ok
    return ok


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

    def __len__(self) -> int:
        return int(self.kind.size)

    @classmethod
    def concat(cls, parts: Sequence[RoutePool]) -> RoutePool:
        if not parts:
            return cls.empty()
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__)
        )

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
    ia, ib, gc = pairs_within(
        tables.s_lat[s_idx],
        tables.s_lon[s_idx],
        tables.d_lat[d_idx],
        tables.d_lon[d_idx],
        tables.d_max_gc_km[d_idx],
    )
    s, d = s_idx[ia], d_idx[ib]
    allowed, penalty = tables.penalty(tables.s_mat[s], tables.d_mat[d])
    day = np.maximum(tables.s_a[s], tables.d_a[d])
    keep = (
        allowed
        & (tables.s_cond[s] >= tables.d_cond[d])
        & (day <= np.minimum(tables.s_b[s], tables.d_b[d]))
    )
    s, d, gc, penalty, day = s[keep], d[keep], gc[keep], penalty[keep], day[keep]
    keep = requirements_met(tables, s, d)
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


def _depot_routes(tables: Tables, k: int) -> RoutePool:
    """Routes through depot ``k``: storage across a gap, or a transfer where direct is too far."""
    lat, lon = tables.k_lat[k], tables.k_lon[k]
    sk_gc = great_circle_km(tables.s_lat, tables.s_lon, lat, lon)
    dk_gc = great_circle_km(tables.d_lat, tables.d_lon, lat, lon)
    s_near = np.nonzero((sk_gc <= tables.max_gc_km) & (tables.s_b >= tables.s_a))[0]
    d_near = np.nonzero((dk_gc <= tables.d_max_gc_km) & (tables.d_b >= tables.d_a))[0]
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
            keep = allowed & (tables.s_cond[s] >= tables.d_cond[d]) & (tables.s_a[s] <= tables.d_b[d])
            s, d, penalty = s[keep], d[keep], penalty[keep]
            storage = tables.s_b[s] < tables.d_a[d]
            # A transfer (windows overlap) is dominated by the direct route when that is in reach.
            transfer = ~storage
            if transfer.any():
                direct_gc = great_circle_km(
                    tables.s_lat[s], tables.s_lon[s], tables.d_lat[d], tables.d_lon[d]
                )
                transfer &= direct_gc <= tables.d_max_gc_km[d]
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


def build_routes(
    tables: Tables, progress: Callable[[str], None] | None = None
) -> RoutePool:
    """Enumerate every feasible route of the instance.

    Parameters
    ----------
    tables : Tables
        From :func:`build_tables`.
    progress : callable, optional
        Receives a line of text now and then.

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
    for k in range(len(tables.k_ids)):
        parts.append(_depot_routes(tables, k))
    parts.append(_stock_routes(tables))
    pool = RoutePool.concat(parts)
    if progress:
        progress(f"routes: {len(pool):,} ({n_direct:,} direct, {len(pool) - n_direct:,} via depots)")
    return pool
