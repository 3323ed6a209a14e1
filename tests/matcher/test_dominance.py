"""The least value below a level among the first items (matcher.dominance), against every
item looked at in turn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.dominance import least_below


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
