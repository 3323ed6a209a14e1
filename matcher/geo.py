"""Great-circle distances, vectorised, and the radius query on the sphere.

The spec measures distance as the great-circle distance on a sphere of radius 6371.009 km (what
``geopy.distance.great_circle`` computes) times the cost model's ``road_factor``: "road km".
Everything here works on numpy arrays of degrees, so that millions of pairs cost one call.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.009  # geopy.distance.EARTH_RADIUS, the spec's sphere

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def great_circle_km(
    lat1: FloatArray | float,
    lon1: FloatArray | float,
    lat2: FloatArray | float,
    lon2: FloatArray | float,
) -> FloatArray:
    """Great-circle distance in km between points given in degrees, element-wise.

    Uses the same formula as ``geopy.distance.great_circle`` (the atan2 form of the Vincenty
    special case for a sphere), so results agree with geopy to floating-point precision.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like or float
        Latitudes and longitudes in degrees; broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Distances in km.

    Example
    -------
    >>> round(float(great_circle_km(52.2215, 6.8937, 52.257, 6.792)), 3)
    7.971
    """
    phi1 = np.radians(lat1)
    phi2 = np.radians(lat2)
    dlon = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    sin1, cos1 = np.sin(phi1), np.cos(phi1)
    sin2, cos2 = np.sin(phi2), np.cos(phi2)
    sin_d, cos_d = np.sin(dlon), np.cos(dlon)
    num = np.hypot(cos2 * sin_d, cos1 * sin2 - sin1 * cos2 * cos_d)
    den = sin1 * sin2 + cos1 * cos2 * cos_d
    return np.asarray(EARTH_RADIUS_KM * np.arctan2(num, den), dtype=np.float64)


def road_km(
    lat1: FloatArray | float,
    lon1: FloatArray | float,
    lat2: FloatArray | float,
    lon2: FloatArray | float,
    road_factor: float,
) -> FloatArray:
    """Road km as the spec defines it: great-circle km times ``road_factor``.

    Example
    -------
    >>> round(float(road_km(52.31, 6.92, 52.24, 6.85, 1.3)), 4)
    11.8626
    """
    return great_circle_km(lat1, lon1, lat2, lon2) * road_factor


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """A lat/lon box (min_lat, max_lat, min_lon, max_lon) that contains every point within
    ``radius_km`` great-circle km of (lat, lon); a cheap pre-filter for an index or a database.
    """
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    max_abs_lat = min(89.999, abs(lat) + dlat)
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * math.cos(math.radians(max_abs_lat))))
    dlon = min(dlon, 180.0)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _unit_vectors(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Points on the unit sphere, one row (x, y, z) per point given in degrees."""
    phi, lam = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    return np.column_stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)])


class Points:
    """Points given in degrees, with their unit vectors, for radius tests on many pairs
    (:func:`within_km`)."""

    def __init__(self, lat: FloatArray, lon: FloatArray) -> None:
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lon = np.asarray(lon, dtype=np.float64)
        self.x, self.y, self.z = np.ascontiguousarray(_unit_vectors(self.lat, self.lon).T)


def within_km(a: Points, ia: IntArray, b: Points, ib: IntArray, radius_km: FloatArray) -> BoolArray:
    """Whether ``great_circle_km`` from ``a[ia]`` to ``b[ib]`` is at most ``radius_km`` (one per
    pair), exactly as that formula says, with its trigonometry only for the pairs whose dot
    product of unit vectors lies within rounding of the radius's (the rest are decided by it).
    """
    dot = a.x[ia] * b.x[ib]
    dot += a.y[ia] * b.y[ib]
    dot += a.z[ia] * b.z[ib]
    edge = np.cos(np.minimum(radius_km / EARTH_RADIUS_KM, math.pi))
    inside: BoolArray = dot >= edge + 1e-9
    unsure = np.nonzero(~inside & (dot > edge - 1e-9))[0]
    if unsure.size:
        i, j = ia[unsure], ib[unsure]
        km = great_circle_km(a.lat[i], a.lon[i], b.lat[j], b.lon[j])
        inside[unsure] = km <= radius_km[unsure]
    return inside


def candidate_pairs(
    lat_a: FloatArray,
    lon_a: FloatArray,
    lat_b: FloatArray,
    lon_b: FloatArray,
    radius_km_b: FloatArray | float,
    windows: tuple[tuple[IntArray, IntArray], tuple[IntArray, IntArray]] | None = None,
) -> tuple[IntArray, IntArray]:
    """Pairs (i, j) that may lie within the radius of b_j: a superset of :func:`pairs_within`
    (by at most a rounding margin), found with a grid and a dot product, without trigonometry
    per pair.  Callers that filter pairs on other grounds first can measure fewer of them.

    ``windows``, ``((first_a, last_a), (first_b, last_b))``, are whole-number intervals (days),
    one per point: then only pairs whose intervals share a day are returned, exactly, and the
    pairs that do not are never formed.  A point whose interval is empty pairs with nothing.
    """
    lat_a = np.asarray(lat_a, dtype=np.float64)
    lon_a = np.asarray(lon_a, dtype=np.float64)
    lat_b = np.asarray(lat_b, dtype=np.float64)
    lon_b = np.asarray(lon_b, dtype=np.float64)
    radius = np.broadcast_to(np.asarray(radius_km_b, dtype=np.float64), lat_b.shape)
    empty = (np.empty(0, np.int64), np.empty(0, np.int64))
    if lat_a.size == 0 or lat_b.size == 0:
        return empty
    r_max = float(radius.max())
    if r_max < 0:
        return empty
    # Cells are half the largest radius wide, and each point of b looks at the 5 x 5 cells
    # around its own: about 30 % fewer near misses than 3 x 3 cells a radius wide.  Cells are
    # wide enough in longitude at the most poleward latitude present (they are narrower in km
    # there, so a wider degree step is safe).
    reach = 2
    cell_lat = max(math.degrees(r_max / EARTH_RADIUS_KM) / reach, 1e-6)
    worst_lat = min(89.0, float(max(np.abs(lat_a).max(), np.abs(lat_b).max())) + reach * cell_lat)
    cell_lon = max(cell_lat / math.cos(math.radians(worst_lat)), 1e-6)
    if worst_lat >= 89.0 or cell_lon * (2 * reach + 1) >= 360.0:
        # near a pole, or a radius comparable to the globe: one column of cells
        cell_lon = 360.0
    # a whole number of columns round the globe, none narrower than that: with one column
    # narrower than the others at the antimeridian, two points a reach apart across it could
    # lie more than ``reach`` columns apart, and their pair was missed
    n_lon = max(int(360.0 // cell_lon), 1)
    cell_lon = 360.0 / n_lon

    def cells(lat: FloatArray, lon: FloatArray) -> tuple[IntArray, IntArray]:
        row = np.floor((lat + 90.0) / cell_lat).astype(np.int64)
        col = np.floor((lon + 180.0) / cell_lon).astype(np.int64) % n_lon
        return row, col

    # Within a cell, the points of a are sorted by the first day of their interval, so that
    # each point of b reads only those that start no later than its own last day and no
    # earlier than its first day less the longest interval among them.  The points of a are
    # split into classes of about the same length of interval (below 4, 16, 64, ... days), so
    # that a few long intervals do not widen every read (one class per point without windows).
    row_a, col_a = cells(lat_a, lon_a)
    live_a, live_b = np.arange(lat_a.size), np.arange(lat_b.size)
    days, day0 = 1, 0
    first_a = last_a = np.zeros(lat_a.size, np.int64)
    first_b = last_b = np.zeros(lat_b.size, np.int64)
    if windows is not None:
        (first_a, last_a), (first_b, last_b) = (
            (np.asarray(first, np.int64), np.asarray(last, np.int64)) for first, last in windows
        )
        live_a, live_b = np.nonzero(last_a >= first_a)[0], np.nonzero(last_b >= first_b)[0]
        if live_a.size == 0 or live_b.size == 0:
            return empty
        day0 = int(min(first_a[live_a].min(), first_b[live_b].min()))
        days = int(max(last_a[live_a].max(), last_b[live_b].max())) - day0 + 1
    length = (last_a - first_a)[live_a]
    class_a = (np.log2(length + 1) // 2).astype(np.int64)
    classes = [(int(c), int(length[class_a == c].max())) for c in np.unique(class_a)]
    # the cells that hold a point of a, numbered, and each point's place in that order
    cells_a, cell_a = np.unique(row_a[live_a] * n_lon + col_a[live_a], return_inverse=True)
    comp_a = (class_a * cells_a.size + cell_a) * days
    comp_a += first_a[live_a] - day0
    by_comp = np.argsort(comp_a, kind="stable")
    order_a, sorted_comp = live_a[by_comp], comp_a[by_comp]
    # Unit vectors: a dot product rejects most near misses before the exact (costlier) formula.
    # (a's in the order of its cells, so that the candidates of each cell are read in a run)
    a_x, a_y, a_z = np.ascontiguousarray(_unit_vectors(lat_a, lon_a)[order_a].T)
    last_a = last_a[order_a] - day0
    row_b, col_b = cells(lat_b[live_b], lon_b[live_b])
    b_x, b_y, b_z = np.ascontiguousarray(_unit_vectors(lat_b, lon_b)[live_b].T)
    first_b, last_b = first_b[live_b] - day0, last_b[live_b] - day0
    # a margin, so that rounding never drops a pair the exact formula keeps
    min_dot = np.cos(np.minimum(radius[live_b] / EARTH_RADIUS_KM, math.pi)) - 1e-9

    col_offsets = range(-reach, reach + 1) if n_lon > 2 * reach else range(n_lon)
    if n_lon <= 2 * reach:
        col_b = np.zeros_like(col_b)
    ia_parts: list[IntArray] = []
    ib_parts: list[IntArray] = []
    for dr in range(-reach, reach + 1):
        for dc in col_offsets:
            key_b = (row_b + dr) * n_lon + (col_b + dc) % n_lon
            cell_b = np.minimum(np.searchsorted(cells_a, key_b), cells_a.size - 1)
            held = cells_a[cell_b] == key_b  # the cell holds a point of a
            for c, longest in classes:
                base = (c * cells_a.size + cell_b) * days
                start = np.searchsorted(
                    sorted_comp, base + np.maximum(first_b - longest, 0), side="left"
                )
                stop = np.searchsorted(sorted_comp, base + last_b, side="right")
                counts = np.where(held, stop - start, 0)
                total = int(counts.sum())
                if total == 0:
                    continue
                ib = np.repeat(np.arange(live_b.size, dtype=np.int64), counts)
                # positions start[b] .. stop[b]-1 for each b, flattened without a Python loop
                run_starts = np.repeat(start - np.cumsum(counts) + counts, counts)
                pos = np.arange(total, dtype=np.int64) + run_starts
                # coordinate by coordinate, from 1-d arrays: gathering rows of 3 for an
                # einsum took ten times as long (100k listings a side: 6 s of the 17 s direct
                # routes took)
                dot = a_x[pos] * np.repeat(b_x, counts)
                dot += a_y[pos] * np.repeat(b_y, counts)
                dot += a_z[pos] * np.repeat(b_z, counts)
                near = (dot >= min_dot[ib]) & (last_a[pos] >= first_b[ib])
                ia_parts.append(order_a[pos[near]])
                ib_parts.append(live_b[ib[near]])
    if not ia_parts:
        return empty
    return np.concatenate(ia_parts), np.concatenate(ib_parts)


def pairs_within(
    lat_a: FloatArray,
    lon_a: FloatArray,
    lat_b: FloatArray,
    lon_b: FloatArray,
    radius_km_b: FloatArray | float,
) -> tuple[IntArray, IntArray, FloatArray]:
    """All pairs (i, j) with great-circle km(a_i, b_j) <= radius of b_j, without a dense matrix.

    Points of ``a`` are bucketed into a lat/lon grid whose cells are at least the largest radius
    wide; each point of ``b`` then only looks at the 3 x 3 cells around it.  Work and memory grow
    with the number of pairs returned (plus the near misses in those cells), not with
    ``len(a) * len(b)``.

    Parameters
    ----------
    lat_a, lon_a : numpy.ndarray
        Degrees of the first point set.
    lat_b, lon_b : numpy.ndarray
        Degrees of the second point set.
    radius_km_b : numpy.ndarray or float
        Great-circle radius in km around each point of ``b`` (or one radius for all).

    Returns
    -------
    (ia, ib, km) : tuple of numpy.ndarray
        Indices into ``a`` and ``b`` and the great-circle km of each pair, sorted by ``ib``.

    Example
    -------
    >>> import numpy as np
    >>> ia, ib, km = pairs_within(np.array([52.0, 53.0]), np.array([6.0, 6.0]),
    ...                           np.array([52.1]), np.array([6.0]), 20.0)
    >>> ia.tolist(), ib.tolist()
    ([0], [0])
    """
    ia, ib = candidate_pairs(lat_a, lon_a, lat_b, lon_b, radius_km_b)
    lat_a = np.asarray(lat_a, dtype=np.float64)
    lon_a = np.asarray(lon_a, dtype=np.float64)
    lat_b = np.asarray(lat_b, dtype=np.float64)
    lon_b = np.asarray(lon_b, dtype=np.float64)
    radius = np.broadcast_to(np.asarray(radius_km_b, dtype=np.float64), lat_b.shape)
    km = great_circle_km(lat_a[ia], lon_a[ia], lat_b[ib], lon_b[ib])
    keep = km <= radius[ib]
    ia, ib, km = ia[keep], ib[keep], km[keep]
    order = np.argsort(ib, kind="stable")
    return ia[order], ib[order], km[order]
