"""The pricing kernels (matcher.pricing): the least value below a level among the first
items, against every item looked at in turn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.pricing import least_below


def _one_by_one(
    value: np.ndarray, level: np.ndarray, count: np.ndarray, limit: np.ndarray
) -> tuple[list[float], list[int]]:
    best, at = [], []
    for c, lim in zip(count.tolist(), limit.tolist(), strict=True):
        v, i = np.inf, 0
        for j in range(min(c, value.size)):
            if level[j] <= lim and value[j] < v:  # (strictly: the first of those that tie)
                v, i = float(value[j]), j
        best.append(v)
        at.append(i)
    return best, at


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 40).flatmap(
        lambda n: st.tuples(
            # few distinct values, so that items tie
            st.lists(st.integers(-5, 5), min_size=n, max_size=n),
            st.lists(st.integers(0, 6), min_size=n, max_size=n),
            st.lists(st.tuples(st.integers(0, n + 3), st.integers(-2, 9)), max_size=30),
        )
    )
)
def test_each_query_gets_the_first_least_item_among_those_it_admits(
    case: tuple[list[int], list[int], list[tuple[int, int]]],
) -> None:
    values, levels, queries = case
    value = np.asarray(values, np.float64) / 4
    level = np.asarray(levels, np.int64)
    count = np.asarray([c for c, _ in queries], np.int64)
    limit = np.asarray([lim for _, lim in queries], np.int64)
    best, at = least_below(value, level, 7, count, limit)
    expected_best, expected_at = _one_by_one(value, level, count, limit)
    assert best.tolist() == expected_best
    assert at.tolist() == expected_at


def test_many_items_and_queries_agree_with_one_by_one() -> None:
    """A size where the tree's levels span several of its nodes per query."""
    rng = np.random.default_rng(3)
    n, m, n_levels = 3_000, 400, 300
    value = rng.normal(size=n).round(2)  # ties too
    level = rng.integers(0, n_levels, n)
    count = rng.integers(0, n + 10, m)
    limit = rng.integers(-3, n_levels + 3, m)
    best, at = least_below(value, level, n_levels, count, limit)
    expected_best, expected_at = _one_by_one(value, level, count, limit)
    assert best.tolist() == expected_best
    assert at.tolist() == expected_at


def test_inputs_that_do_not_fit_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        least_below([1.0, 2.0], [0], 1, [1], [0])
    with pytest.raises(ValueError, match="between 0 and 2"):
        least_below([1.0], [3], 3, [1], [0])
    best, at = least_below([], [], 0, [0, 5], [0, 1])
    assert best.tolist() == [np.inf, np.inf] and at.tolist() == [0, 0]


@pytest.mark.parametrize("seed", range(6))
def test_route_costs_are_numpys_to_the_last_bit(seed: int) -> None:
    """route_costs against numpy's reading of the same formula, day by day: objective less
    the duals of a route's rows (a stock route's source row after the supply and demand
    rows), plus or minus its volume times the values of the days it holds (``p <= day <
    q``) or frees (a stock route: ``day >= q``); the whole pool and a part of it, with and
    without duals and days; days before the first and after the last valued day included."""
    from types import SimpleNamespace

    from matcher.pricing import DayValues, route_costs
    from matcher.routes import DEPOT, DIRECT, STOCK

    rng = np.random.default_rng(seed)
    n, n_s, n_d, n_i, n_depots, n_mat, today = 2_000, 50, 60, 7, 4, 5, 738_000
    kind = rng.choice([DIRECT, DEPOT, STOCK], size=n).astype(np.int8)
    src = np.where(kind == STOCK, rng.integers(0, n_i, n), rng.integers(0, n_s, n))
    pool = SimpleNamespace(
        kind=kind,
        src=src.astype(np.int32),
        dem=rng.integers(0, n_d, n).astype(np.int32),
        depot=np.where(kind == DIRECT, -1, rng.integers(0, n_depots, n)).astype(np.int32),
        p=(today + rng.integers(-5, 50, n)).astype(np.int32),
        mat=rng.integers(0, n_mat, n).astype(np.int32),
    )
    pool.q = (pool.p + rng.integers(0, 25, n)).astype(np.int32)
    m3 = rng.random(n_mat) + 0.1
    obj = rng.normal(size=n) * 30
    row_dual = -rng.random(n_s + n_d + n_i) * 40
    day_prefix = []
    value = {}
    for k in range(n_depots):
        days = np.sort(rng.choice(np.arange(today, today + 40), size=0 if k == 1 else 12))
        days = np.unique(days)
        v = rng.normal(size=days.size)
        value[k] = dict(zip(days.tolist(), v.tolist(), strict=True))
        day_prefix.append((days.astype(np.int64), np.concatenate([[0.0], np.cumsum(v)])))
    days = DayValues.of(day_prefix)
    assert days is not None

    src_row = np.where(kind == STOCK, pool.src.astype(np.int64) + n_s + n_d, pool.src)
    held = np.zeros(n)
    for r in np.nonzero(pool.depot >= 0)[0].tolist():
        k, p, q = int(pool.depot[r]), int(pool.p[r]), int(pool.q[r])
        held[r] = (
            day_prefix[k][1][np.searchsorted(day_prefix[k][0], q)] - day_prefix[k][1][-1]
            if kind[r] == STOCK
            else day_prefix[k][1][np.searchsorted(day_prefix[k][0], q)]
            - day_prefix[k][1][np.searchsorted(day_prefix[k][0], p)]
        )
        by_day = sum(v for d, v in value[k].items() if (d >= q if kind[r] == STOCK else p <= d < q))
        # a stock route frees the days it no longer holds: minus their values
        assert held[r] == pytest.approx(-by_day if kind[r] == STOCK else by_day, abs=1e-9)
    spanned = m3[pool.mat] * held
    rc = obj - row_dual[src_row] - row_dual[pool.dem + n_s]
    rc -= spanned
    part = rng.choice(n, size=n // 3, replace=False)
    common = {"stock_offset": n_s + n_d, "dem_offset": n_s}
    got = route_costs(pool, m3, None, obj, row_dual, days=days, sign=-1.0, **common)
    assert got.tolist() == rc.tolist()  # bit for bit
    got = route_costs(pool, m3, part, obj, row_dual, days=days, sign=-1.0, **common)
    assert got.tolist() == rc[part].tolist()
    assert route_costs(pool, m3, part, obj, days=days).tolist() == (obj + spanned)[part].tolist()
    assert route_costs(pool, m3, part, days=days).tolist() == spanned[part].tolist()
    no_days = obj - row_dual[src_row] - row_dual[pool.dem + n_s]
    assert route_costs(pool, m3, None, obj, row_dual, **common).tolist() == no_days.tolist()
    with pytest.raises(IndexError):
        route_costs(pool, m3, np.array([n]))
    with pytest.raises(ValueError, match="a coefficient per route"):
        route_costs(pool, m3, None, obj[:-1])
