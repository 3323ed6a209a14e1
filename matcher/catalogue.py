"""Reference data shipped with the matcher: the material catalogue, Dutch places and postcodes.

The catalogue (``data/catalogue.csv`` and ``data/substitutes.csv``) describes some fifty
reclaimed building materials that Dutch municipal projects free up and buy, with masses,
volumes, prices, gate fees, embodied carbon and EURAL codes; ``data/SOURCES.md`` says where each
number comes from.  The places and PC4 postcode tables are GeoNames data (CC BY 4.0).

Everything is read once and cached; a broken data file raises :class:`CatalogueError` naming the
file, the line and the field.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from matcher.domain import Material, Substitute

UNITS = frozenset({"pcs", "m2", "m", "t"})
"""The units a catalogue quantity may be counted in (always whole units)."""

_CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_POSTCODE_RE = re.compile(r"^\s*([1-9][0-9]{3})\s*(?:[A-Za-z]{2})?\s*$")

_CATALOGUE_COLUMNS = (
    "code",
    "name_nl",
    "name_en",
    "family",
    "unit",
    "kg_per_unit",
    "m3_per_unit",
    "new_price_eur_per_unit",
    "disposal_eur_per_unit",
    "embodied_kgco2e_per_kg",
    "eural_code",
    "carbon_source",
    "density_basis",
    "dimensions",
    "disposal_basis",
)
_SUBSTITUTE_COLUMNS = ("code", "substitute_code", "penalty_eur_per_unit", "reason")


class CatalogueError(ValueError):
    """A reference data file breaks a rule; the message names file, line and field."""


@dataclass(frozen=True)
class CatalogueEntry:
    """One catalogue row: the matcher's :class:`~matcher.domain.Material` plus display data.

    ``m3_per_unit`` is the gross volume one unit takes when stacked in a depot; ``kg_per_unit``
    the mass of its solid material.  ``disposal_eur_per_unit`` is negative where scrap pays.
    """

    code: str
    name_nl: str
    name_en: str
    family: str
    unit: str
    kg_per_unit: float
    m3_per_unit: float
    new_price_eur_per_unit: float
    disposal_eur_per_unit: float
    embodied_kgco2e_per_kg: float
    eural_code: str
    eural_description_nl: str
    eural_description_en: str
    carbon_source: str
    density_basis: str
    dimensions: str
    disposal_basis: str
    substitutes: tuple[Substitute, ...] = ()

    @property
    def is_metal(self) -> bool:
        """Whether the EURAL code is in group 17 04 (metals, including alloys)."""
        return self.eural_code.startswith("17 04")

    def to_material(self, name: str | None = None) -> Material:
        """The matcher's view of this entry; ``name`` defaults to the English name."""
        return Material(
            code=self.code,
            name=self.name_en if name is None else name,
            unit=self.unit,
            kg_per_unit=self.kg_per_unit,
            m3_per_unit=self.m3_per_unit,
            new_price_eur_per_unit=self.new_price_eur_per_unit,
            disposal_eur_per_unit=self.disposal_eur_per_unit,
            embodied_kgco2e_per_kg=self.embodied_kgco2e_per_kg,
            substitutes=self.substitutes,
        )


def data_path(name: str) -> Path:
    """Path of a file in ``matcher/data`` (works for editable and regular installs)."""
    return Path(str(resources.files("matcher").joinpath("data", name)))


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) of a CSV file whose header must hold ``columns``."""
    try:
        fh = open(path, encoding="utf-8", newline="")
    except OSError as exc:
        raise CatalogueError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise CatalogueError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise CatalogueError(f"{path.name}:{reader.line_num}: wrong number of fields")
            yield reader.line_num, row


def _number(
    path: Path,
    line: int,
    row: Mapping[str, str],
    field: str,
    *,
    positive: bool = False,
    non_negative: bool = False,
) -> float:
    where = f"{path.name}:{line}: {field}"
    try:
        value = float(row[field])
    except ValueError:
        raise CatalogueError(f"{where}: not a number: {row[field]!r}") from None
    if not math.isfinite(value):
        raise CatalogueError(f"{where}: must be finite")
    if positive and value <= 0:
        raise CatalogueError(f"{where}: must be > 0, got {value:g}")
    if non_negative and value < 0:
        raise CatalogueError(f"{where}: must be >= 0, got {value:g}")
    return value


def _text(path: Path, line: int, row: Mapping[str, str], field: str) -> str:
    value = row[field].strip()
    if not value:
        raise CatalogueError(f"{path.name}:{line}: {field}: must not be empty")
    return value


def read_catalogue(
    catalogue_csv: Path | None = None,
    substitutes_csv: Path | None = None,
    eural_csv: Path | None = None,
) -> tuple[CatalogueEntry, ...]:
    """Read and validate the catalogue files (uncached; :func:`load_entries` caches).

    Parameters
    ----------
    catalogue_csv, substitutes_csv, eural_csv : pathlib.Path, optional
        The files to read; by default the ones shipped in ``matcher/data``.

    Returns
    -------
    tuple of CatalogueEntry
        In file order, each with its substitutes attached.

    Raises
    ------
    CatalogueError
        When a row breaks a rule: a code that is not kebab-case or not unique, an unknown unit,
        a mass or volume that is not > 0, a negative price or carbon factor, a positive-only
        field that is not finite, an unknown or hazardous EURAL code, a metal (EURAL 17 04) that
        does not fetch scrap money, or a substitute that is unknown, itself, listed twice or
        counted in another unit.

    Example
    -------
    >>> entries = read_catalogue()
    >>> entries[0].code, entries[0].unit
    ('tile-30x30', 'pcs')
    """
    catalogue_csv = catalogue_csv or data_path("catalogue.csv")
    substitutes_csv = substitutes_csv or data_path("substitutes.csv")
    eural_csv = eural_csv or data_path("eural_chapter17_construction_demolition.csv")

    eural: dict[str, dict[str, str]] = {}
    for _, row in _rows(eural_csv, ("code", "description_en", "description_nl", "hazardous")):
        eural[row["code"]] = row

    base: dict[str, dict[str, object]] = {}
    for line, row in _rows(catalogue_csv, _CATALOGUE_COLUMNS):
        code = _text(catalogue_csv, line, row, "code")
        where = f"{catalogue_csv.name}:{line}"
        if not _CODE_RE.match(code):
            raise CatalogueError(f"{where}: code: must be kebab-case, got {code!r}")
        if code in base:
            raise CatalogueError(f"{where}: code: {code!r} appears twice")
        unit = _text(catalogue_csv, line, row, "unit")
        if unit not in UNITS:
            raise CatalogueError(
                f"{where}: unit: must be one of {', '.join(sorted(UNITS))}, got {unit!r}"
            )
        eural_code = _text(catalogue_csv, line, row, "eural_code")
        if eural_code not in eural:
            raise CatalogueError(f"{where}: eural_code: {eural_code!r} is not a EURAL 17 code")
        if eural[eural_code]["hazardous"] == "true":
            raise CatalogueError(f"{where}: eural_code: {eural_code!r} is hazardous waste")
        disposal = _number(catalogue_csv, line, row, "disposal_eur_per_unit")
        if eural_code.startswith("17 04") and disposal >= 0:
            raise CatalogueError(
                f"{where}: disposal_eur_per_unit: a metal (EURAL {eural_code}) must be "
                f"negative (scrap pays), got {disposal:g}"
            )
        base[code] = {
            "code": code,
            "name_nl": _text(catalogue_csv, line, row, "name_nl"),
            "name_en": _text(catalogue_csv, line, row, "name_en"),
            "family": _text(catalogue_csv, line, row, "family"),
            "unit": unit,
            "kg_per_unit": _number(catalogue_csv, line, row, "kg_per_unit", positive=True),
            "m3_per_unit": _number(catalogue_csv, line, row, "m3_per_unit", positive=True),
            "new_price_eur_per_unit": _number(
                catalogue_csv, line, row, "new_price_eur_per_unit", non_negative=True
            ),
            "disposal_eur_per_unit": disposal,
            "embodied_kgco2e_per_kg": _number(
                catalogue_csv, line, row, "embodied_kgco2e_per_kg", non_negative=True
            ),
            "eural_code": eural_code,
            "eural_description_nl": eural[eural_code]["description_nl"],
            "eural_description_en": eural[eural_code]["description_en"],
            "carbon_source": _text(catalogue_csv, line, row, "carbon_source"),
            "density_basis": _text(catalogue_csv, line, row, "density_basis"),
            "dimensions": _text(catalogue_csv, line, row, "dimensions"),
            "disposal_basis": _text(catalogue_csv, line, row, "disposal_basis"),
        }

    subs: dict[str, list[Substitute]] = {code: [] for code in base}
    for line, row in _rows(substitutes_csv, _SUBSTITUTE_COLUMNS):
        where = f"{substitutes_csv.name}:{line}"
        code = _text(substitutes_csv, line, row, "code")
        sub_code = _text(substitutes_csv, line, row, "substitute_code")
        if code not in base:
            raise CatalogueError(f"{where}: code: unknown material {code!r}")
        if sub_code not in base:
            raise CatalogueError(f"{where}: substitute_code: unknown material {sub_code!r}")
        if sub_code == code:
            raise CatalogueError(f"{where}: substitute_code: a material cannot substitute itself")
        if any(s.code == sub_code for s in subs[code]):
            raise CatalogueError(
                f"{where}: substitute_code: {sub_code!r} listed twice for {code!r}"
            )
        if base[code]["unit"] != base[sub_code]["unit"]:
            raise CatalogueError(
                f"{where}: substitute_code: {sub_code!r} is counted in {base[sub_code]['unit']!r},"
                f" {code!r} in {base[code]['unit']!r}; substitutes must share the unit"
            )
        penalty = _number(substitutes_csv, line, row, "penalty_eur_per_unit", non_negative=True)
        subs[code].append(Substitute(sub_code, penalty))

    return tuple(
        CatalogueEntry(**fields, substitutes=tuple(subs[code]))  # type: ignore[arg-type]
        for code, fields in base.items()
    )


@cache
def load_entries() -> tuple[CatalogueEntry, ...]:
    """The shipped catalogue with display data (cached).

    Returns
    -------
    tuple of CatalogueEntry
        In catalogue order.

    Raises
    ------
    CatalogueError
        When a shipped data file is broken (see :func:`read_catalogue`).

    Example
    -------
    >>> by_code = {e.code: e for e in load_entries()}
    >>> by_code["steel-hea200"].family, by_code["steel-hea200"].eural_code
    ('steel', '17 04 05')
    """
    return read_catalogue()


@cache
def load_catalogue() -> tuple[Material, ...]:
    """The shipped catalogue as matcher materials, substitutes attached (cached).

    Returns
    -------
    tuple of Material
        In catalogue order; ``name`` is the English name (the Dutch one is on
        :class:`CatalogueEntry`).

    Example
    -------
    >>> tile = next(m for m in load_catalogue() if m.code == "tile-30x30")
    >>> tile.unit, [s.code for s in tile.substitutes]
    ('pcs', ['tile-30x30-coloured'])
    """
    return tuple(entry.to_material() for entry in load_entries())


@cache
def entries_by_code() -> Mapping[str, CatalogueEntry]:
    """Read-only mapping from material code to its :class:`CatalogueEntry` (cached)."""
    return MappingProxyType({entry.code: entry for entry in load_entries()})


# --------------------------------------------------------------------------- places, postcodes


@dataclass(frozen=True)
class Place:
    """A populated place from GeoNames (feature class P) in the European Netherlands."""

    geonameid: int
    name: str
    feature_code: str
    lat: float
    lon: float
    municipality_code: str
    municipality: str
    province: str
    population: int


@dataclass(frozen=True)
class PostcodeArea:
    """A four-digit postcode (PC4) with the mean GeoNames position of its places."""

    pc4: str
    places: tuple[str, ...]
    municipality_code: str
    municipality: str
    province: str
    lat: float
    lon: float


class PostcodeLocation(NamedTuple):
    """What :func:`lookup_postcode` answers: a position and the postcode's main place."""

    lat: float
    lon: float
    place: str


@cache
def load_places() -> tuple[Place, ...]:
    """All Dutch populated places from GeoNames (cached), in file order.

    Returns
    -------
    tuple of Place
        About 7700 places; ``population`` is 0 where GeoNames gives none.

    Example
    -------
    >>> enschede = next(p for p in load_places() if p.name == "Enschede")
    >>> enschede.province
    'Overijssel'
    """
    path = data_path("nl_places_geonames.csv")
    columns = (
        "geonameid",
        "name",
        "feature_code",
        "lat",
        "lon",
        "municipality_code",
        "municipality",
        "province",
        "population",
    )
    return tuple(
        Place(
            geonameid=int(row["geonameid"]),
            name=row["name"],
            feature_code=row["feature_code"],
            lat=_number(path, line, row, "lat"),
            lon=_number(path, line, row, "lon"),
            municipality_code=row["municipality_code"],
            municipality=row["municipality"],
            province=row["province"],
            population=int(row["population"] or 0),
        )
        for line, row in _rows(path, columns)
    )


@cache
def load_postcodes() -> Mapping[str, PostcodeArea]:
    """Read-only mapping from PC4 (``"7511"``) to its :class:`PostcodeArea` (cached).

    Example
    -------
    >>> load_postcodes()["7511"].municipality
    'Enschede'
    """
    path = data_path("nl_pc4_centroids.csv")
    columns = ("pc4", "places", "municipality_code", "municipality", "province", "lat", "lon")
    areas = {
        row["pc4"]: PostcodeArea(
            pc4=row["pc4"],
            places=tuple(row["places"].split("|")),
            municipality_code=row["municipality_code"],
            municipality=row["municipality"],
            province=row["province"],
            lat=_number(path, line, row, "lat"),
            lon=_number(path, line, row, "lon"),
        )
        for line, row in _rows(path, columns)
    }
    return MappingProxyType(areas)


def normalise_postcode(text: str) -> str:
    """The PC4 part of a Dutch postcode (``"7511 AB"`` -> ``"7511"``).

    Raises
    ------
    ValueError
        When ``text`` is not a Dutch postcode (four digits not starting with 0, optionally
        followed by two letters).
    """
    match = _POSTCODE_RE.match(text)
    if match is None:
        raise ValueError(
            f"postcode: not a Dutch postcode: {text!r} (expected e.g. '7511' or '7511 AB')"
        )
    return match.group(1)


def lookup_postcode(text: str) -> PostcodeLocation | None:
    """Position and main place of a Dutch postcode, from its four digits.

    Parameters
    ----------
    text : str
        ``"7511"``, ``"7511AB"`` or ``"7511 ab"``; the letters are accepted and ignored.

    Returns
    -------
    PostcodeLocation or None
        ``(lat, lon, place)``, or None when the PC4 does not exist in the table.

    Raises
    ------
    ValueError
        When ``text`` is not shaped like a Dutch postcode.

    Example
    -------
    >>> lookup_postcode("7511 AB")
    PostcodeLocation(lat=52.22, lon=6.9001, place='Enschede')
    """
    area = load_postcodes().get(normalise_postcode(text))
    if area is None:
        return None
    return PostcodeLocation(area.lat, area.lon, area.places[0])


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key for place names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", letters).strip()


_SECTION_CODES = frozenset({"PPLX", "PPLH", "PPLL"})


@cache
def _place_index() -> Mapping[str, Place]:
    best: dict[str, Place] = {}

    def rank(p: Place) -> tuple[bool, int]:
        return (p.feature_code not in _SECTION_CODES, p.population)

    for place in load_places():
        key = _fold(place.name)
        if key not in best or rank(place) > rank(best[key]):
            best[key] = place
    # A municipality's name finds its largest place ("Den Haag" -> The Hague) unless a place
    # of that very name exists.
    by_municipality: dict[str, Place] = {}
    for place in load_places():
        key = _fold(place.municipality)
        if key and (key not in by_municipality or rank(place) > rank(by_municipality[key])):
            by_municipality[key] = place
    for key, place in by_municipality.items():
        best.setdefault(key, place)
    return MappingProxyType(best)


def lookup_place(name: str) -> Place | None:
    """The Dutch place called ``name`` (case, accents and punctuation ignored).

    When several places share the name, the most populous town wins over sections and hamlets;
    a municipality's name finds its largest place when no place has that name.

    Example
    -------
    >>> lookup_place("enschede").municipality
    'Enschede'
    >>> lookup_place("Den Haag").name
    'The Hague'
    """
    return _place_index().get(_fold(name))


@cache
def _postcode_grid() -> tuple[npt.NDArray[np.float64], tuple[PostcodeArea, ...]]:
    areas = tuple(load_postcodes().values())
    xyz = _unit_vectors(np.array([a.lat for a in areas]), np.array([a.lon for a in areas]))
    return xyz, areas


def _unit_vectors(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def nearest_postcodes(
    lat: npt.ArrayLike, lon: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], tuple[PostcodeArea, ...]]:
    """Index of the nearest PC4 position for each point, and the distance to it in km.

    Parameters
    ----------
    lat, lon : array_like
        Points in degrees.

    Returns
    -------
    index : numpy.ndarray of int
        Into ``areas``.
    distance_km : numpy.ndarray of float
        Great-circle (chord, which is the same to 1e-6 at these ranges) distance in km.
    areas : tuple of PostcodeArea
        The postcode areas the index refers to.

    Example
    -------
    >>> idx, km, areas = nearest_postcodes([52.22], [6.9001])
    >>> areas[int(idx[0])].pc4, float(km[0]) < 0.01
    ('7511', True)
    """
    points = _unit_vectors(
        np.atleast_1d(np.asarray(lat, dtype=np.float64)),
        np.atleast_1d(np.asarray(lon, dtype=np.float64)),
    )
    chord, index = _tree().query(points)
    areas = _postcode_grid()[1]
    distance_km = 2.0 * 6371.009 * np.arcsin(np.minimum(np.asarray(chord) / 2.0, 1.0))
    return np.asarray(index, dtype=np.int64), np.asarray(distance_km, dtype=np.float64), areas


@cache
def _tree() -> Any:
    from scipy.spatial import cKDTree  # scipy is slow to import; only the generator needs it

    return cKDTree(_postcode_grid()[0])
