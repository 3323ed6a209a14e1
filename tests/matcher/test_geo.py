"""The radius join: every pair within a demand's radius is found, whatever the latitude, near
the poles and across the antimeridian, without a dense matrix."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.geo import Points, candidate_pairs, great_circle_km, pairs_within, within_km


def _points(rng: np.random.Generator, n: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    if where == "twente":  # clustered, as listings are
        centres = np.array([[52.22, 6.89], [52.26, 6.79], [52.35, 6.66], [52.09, 5.12]])
        pick = centres[rng.integers(0, len(centres), n)]
        return pick[:, 0] + rng.normal(0, 0.3, n), pick[:, 1] + rng.normal(0, 0.4, n)
    if where == "pole":
        return rng.uniform(84.0, 90.0, n), rng.uniform(-180.0, 180.0, n)
    if where == "antimeridian":
        return rng.uniform(-5.0, 5.0, n), (rng.uniform(175.0, 185.0, n) + 180.0) % 360.0 - 180.0
    return np.degrees(np.arcsin(rng.uniform(-1, 1, n))), rng.uniform(-180.0, 180.0, n)


@pytest.mark.parametrize("where", ["twente", "pole", "antimeridian", "globe"])
@pytest.mark.parametrize("seed", range(4))
def test_every_pair_within_each_radius_is_found(where: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lat_a, lon_a = _points(rng, 700, where)
    lat_b, lon_b = _points(rng, 500, where)
    radius = {"twente": 50.0, "pole": 300.0, "antimeridian": 200.0, "globe": 2_000.0}[where]
    radius_b = rng.uniform(0.0, radius, lat_b.size)
    km = great_circle_km(lat_a[:, None], lon_a[:, None], lat_b[None, :], lon_b[None, :])
    expected = set(zip(*np.nonzero(km <= radius_b[None, :]), strict=True))
    assert expected  # the case is not empty

    ia, ib = candidate_pairs(lat_a, lon_a, lat_b, lon_b, radius_b)
    candidates = set(zip(ia.tolist(), ib.tolist(), strict=True))
    assert len(candidates) == ia.size  # no pair twice
    assert expected <= candidates

    ia, ib, got_km = pairs_within(lat_a, lon_a, lat_b, lon_b, radius_b)
    assert set(zip(ia.tolist(), ib.tolist(), strict=True)) == expected
    assert np.all(np.diff(ib) >= 0)  # sorted by b
    assert got_km == pytest.approx(km[ia, ib])


@pytest.mark.parametrize("where", ["twente", "pole", "antimeridian", "globe"])
@pytest.mark.parametrize("seed", range(4))
def test_with_windows_exactly_the_pairs_whose_windows_meet_are_kept(where: str, seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    lat_a, lon_a = _points(rng, 700, where)
    lat_b, lon_b = _points(rng, 500, where)
    radius = {"twente": 50.0, "pole": 300.0, "antimeridian": 200.0, "globe": 2_000.0}[where]
    radius_b = rng.uniform(0.0, radius, lat_b.size)

    def windows(n: int) -> tuple[np.ndarray, np.ndarray]:
        # mostly short, some a year long, some a single day, a few empty (last before first)
        first = rng.integers(739_000, 739_400, n)
        length = np.where(rng.random(n) < 0.1, rng.integers(100, 400, n), rng.integers(0, 60, n))
        length[rng.random(n) < 0.05] = -1
        return first, first + length

    first_a, last_a = windows(lat_a.size)
    first_b, last_b = windows(lat_b.size)
    km = great_circle_km(lat_a[:, None], lon_a[:, None], lat_b[None, :], lon_b[None, :])
    meet = np.maximum(first_a[:, None], first_b[None, :]) <= np.minimum(
        last_a[:, None], last_b[None, :]
    )
    expected = set(zip(*np.nonzero((km <= radius_b[None, :]) & meet), strict=True))
    assert expected and len(expected) < np.count_nonzero(km <= radius_b[None, :])

    ia, ib = candidate_pairs(
        lat_a, lon_a, lat_b, lon_b, radius_b, windows=((first_a, last_a), (first_b, last_b))
    )
    candidates = set(zip(ia.tolist(), ib.tolist(), strict=True))
    assert len(candidates) == ia.size  # no pair twice
    assert expected <= candidates
    assert meet[ia, ib].all()  # the windows are tested exactly


@pytest.mark.parametrize("where", ["twente", "pole", "antimeridian", "globe"])
def test_within_km_agrees_with_the_formula_even_at_the_edge(where: str) -> None:
    """Pairs anywhere, and pairs whose radius is their own distance give or take a rounding:
    the dot product screen decides none of those on the wrong side."""
    rng = np.random.default_rng(7)
    lat_a, lon_a = _points(rng, 400, where)
    lat_b, lon_b = _points(rng, 300, where)
    ia = rng.integers(0, lat_a.size, 5_000)
    ib = rng.integers(0, lat_b.size, 5_000)
    km = great_circle_km(lat_a[ia], lon_a[ia], lat_b[ib], lon_b[ib])
    radius = np.concatenate(
        [
            rng.uniform(0.0, 2 * float(np.median(km)), 2_000),
            km[2_000:3_000],  # exactly the distance
            np.nextafter(km[3_000:4_000], 0.0),  # a rounding below it
            km[4_000:] * (1 + rng.uniform(-1e-9, 1e-9, 1_000)),
        ]
    )
    got = within_km(Points(lat_a, lon_a), ia, Points(lat_b, lon_b), ib, radius)
    assert np.array_equal(got, km <= radius)
    assert got[2_000:3_000].all() and not got[3_000:4_000].any()
