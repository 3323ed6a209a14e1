"""The shipped catalogue, its validation, and the place and postcode lookups."""

from __future__ import annotations

import csv
import importlib.util
import math
import shutil
import sys
from pathlib import Path

import pytest

from matcher.catalogue import (
    UNITS,
    CatalogueError,
    data_path,
    entries_by_code,
    load_catalogue,
    load_entries,
    load_places,
    load_postcodes,
    lookup_place,
    lookup_postcode,
    nearest_postcodes,
    read_catalogue,
)
from matcher.domain import Material, substitution_penalty


def test_the_catalogue_loads_about_forty_to_sixty_materials_with_unique_codes() -> None:
    materials = load_catalogue()
    codes = [m.code for m in materials]
    assert 40 <= len(materials) <= 60
    assert len(set(codes)) == len(codes)
    assert all(isinstance(m, Material) for m in materials)
    assert load_catalogue() is materials  # cached


def test_every_material_has_positive_mass_and_volume_and_non_negative_prices() -> None:
    for m in load_catalogue():
        assert m.kg_per_unit > 0 and m.m3_per_unit > 0, m.code
        assert m.new_price_eur_per_unit >= 0 and m.embodied_kgco2e_per_kg >= 0, m.code
        assert m.unit in UNITS, m.code
        assert all(math.isfinite(x) for x in (m.kg_per_unit, m.disposal_eur_per_unit)), m.code


def test_every_substitute_exists_differs_and_shares_the_unit() -> None:
    by_code = {m.code: m for m in load_catalogue()}
    pairs = 0
    for m in by_code.values():
        seen = [s.code for s in m.substitutes]
        assert len(seen) == len(set(seen)), m.code
        for sub in m.substitutes:
            pairs += 1
            assert sub.code in by_code and sub.code != m.code
            assert by_code[sub.code].unit == m.unit, (m.code, sub.code)
            assert sub.penalty_eur_per_unit >= 0
            assert substitution_penalty(m, sub.code) == sub.penalty_eur_per_unit
    assert pairs >= 5


def test_metals_fetch_scrap_money_and_nothing_else_is_paid_for() -> None:
    metals = [e for e in load_entries() if e.is_metal]
    assert {"steel-hea200", "rebar-mesh", "radiator-steel", "lamp-post"} <= {e.code for e in metals}
    assert all(e.disposal_eur_per_unit < 0 for e in metals)
    assert all(e.disposal_eur_per_unit >= 0 for e in load_entries() if not e.is_metal)


def test_the_brief_materials_are_there_with_sane_magnitudes() -> None:
    by_code = entries_by_code()
    tile = by_code["tile-30x30"]
    assert tile.unit == "pcs" and 9 < tile.kg_per_unit < 11  # 30x30x4.5 concrete tile
    assert [s.code for s in tile.substitutes] == ["tile-30x30-coloured"]
    hea = by_code["steel-hea200"]
    assert 240 < hea.kg_per_unit < 270  # 42.3 kg/m x 6 m
    assert 2.0 < hea.embodied_kgco2e_per_kg < 4.0
    assert by_code["aggregate-concrete"].unit == "t"
    assert by_code["aggregate-concrete"].kg_per_unit == 1000.0
    families = {e.family for e in load_entries()}
    assert {
        "paving",
        "kerbs",
        "masonry",
        "steel",
        "timber",
        "openings",
        "furniture",
        "bulk",
        "finishes",
    } <= families


def test_entries_carry_dutch_names_and_the_eural_texts() -> None:
    hea = entries_by_code()["steel-hea200"]
    assert hea.name_nl.startswith("Stalen balk")
    assert hea.eural_code == "17 04 05" and hea.eural_description_nl == "ijzer en staal"
    assert "DESNZ 2025" in hea.carbon_source and "7850" in hea.density_basis
    material = hea.to_material()
    assert material.name == hea.name_en and material.kg_per_unit == hea.kg_per_unit
    assert hea.to_material(name=hea.name_nl).name == hea.name_nl


def _build_module() -> object:
    spec = importlib.util.spec_from_file_location(
        "build_catalogue", data_path("build_catalogue.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being created
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_the_shipped_csv_is_what_the_build_script_derives() -> None:
    build = _build_module()
    assert data_path("catalogue.csv").read_text(encoding="utf-8") == build.render()  # type: ignore[attr-defined]


def test_derived_numbers_follow_from_density_and_desnz_factor() -> None:
    # HEA 200: 53.8 cm2 x 6 m x 7850 kg/m3; DESNZ steel cans 2863.90131 kg CO2e/t.
    hea = entries_by_code()["steel-hea200"]
    assert hea.kg_per_unit == pytest.approx(53.8e-4 * 6 * 7850, abs=1e-3)
    assert hea.embodied_kgco2e_per_kg == pytest.approx(2.86390131, abs=1e-6)
    assert hea.m3_per_unit == pytest.approx(0.19 * 0.2 * 6)
    tile = entries_by_code()["tile-30x30"]
    assert tile.kg_per_unit == pytest.approx(0.3 * 0.3 * 0.045 * 2400)
    assert tile.embodied_kgco2e_per_kg == pytest.approx(0.11879306, abs=1e-6)


# ------------------------------------------------------------------ broken files fail loudly


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    for name in ("catalogue.csv", "substitutes.csv", "eural_chapter17_construction_demolition.csv"):
        shutil.copy(data_path(name), tmp_path / name)
    return tmp_path


def _read(folder: Path) -> None:
    read_catalogue(
        folder / "catalogue.csv",
        folder / "substitutes.csv",
        folder / "eural_chapter17_construction_demolition.csv",
    )


def _edit(path: Path, code: str, column: str, value: str, key: str = "code") -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or ())
        rows = list(reader)
    hits = [row for row in rows if row[key] == code]
    assert hits, code
    hits[0][column] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_the_copied_files_read_back_identically(data_copy: Path) -> None:
    assert (
        read_catalogue(
            data_copy / "catalogue.csv",
            data_copy / "substitutes.csv",
            data_copy / "eural_chapter17_construction_demolition.csv",
        )
        == load_entries()
    )


@pytest.mark.parametrize(
    ("code", "column", "value", "message"),
    [
        ("tile-40x40", "kg_per_unit", "0", "kg_per_unit: must be > 0"),
        ("tile-40x40", "m3_per_unit", "-0.1", "m3_per_unit: must be > 0"),
        ("tile-40x40", "kg_per_unit", "heavy", "kg_per_unit: not a number"),
        ("tile-40x40", "new_price_eur_per_unit", "-1", "new_price_eur_per_unit: must be >= 0"),
        ("tile-40x40", "unit", "pallet", "unit: must be one of"),
        ("tile-40x40", "code", "Tile 40x40", "code: must be kebab-case"),
        ("tile-40x40", "code", "tile-30x30", "appears twice"),
        ("tile-40x40", "eural_code", "17 99 99", "eural_code"),
        ("tile-40x40", "eural_code", "17 06 05*", "hazardous"),
        ("steel-hea200", "disposal_eur_per_unit", "5", "scrap pays"),
        ("tile-40x40", "name_nl", "  ", "name_nl: must not be empty"),
        ("tile-40x40", "embodied_kgco2e_per_kg", "nan", "must be finite"),
    ],
)
def test_a_broken_catalogue_row_names_line_and_field(
    data_copy: Path, code: str, column: str, value: str, message: str
) -> None:
    _edit(data_copy / "catalogue.csv", code, column, value)
    with pytest.raises(CatalogueError, match=message) as info:
        _read(data_copy)
    assert "catalogue.csv:" in str(info.value)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("substitute_code", "steel-ipe200-typo", "unknown material"),
        ("substitute_code", "tile-30x30", "cannot substitute itself"),
        ("substitute_code", "tile-40x40", None),  # same unit, allowed
        ("substitute_code", "paver-concrete", "must share the unit"),
        ("penalty_eur_per_unit", "-0.5", "must be >= 0"),
    ],
)
def test_a_broken_substitute_row_fails(
    data_copy: Path, column: str, value: str, message: str | None
) -> None:
    _edit(data_copy / "substitutes.csv", "tile-30x30", column, value)
    if message is None:
        _read(data_copy)
        return
    with pytest.raises(CatalogueError, match=message) as info:
        _read(data_copy)
    assert "substitutes.csv:" in str(info.value)


def test_a_substitute_listed_twice_fails(data_copy: Path) -> None:
    with open(data_copy / "substitutes.csv", "a", encoding="utf-8") as fh:
        fh.write("tile-30x30,tile-30x30-coloured,0.10,again\n")
    with pytest.raises(CatalogueError, match="listed twice"):
        _read(data_copy)


def test_a_missing_column_fails(data_copy: Path) -> None:
    text = (data_copy / "catalogue.csv").read_text(encoding="utf-8")
    (data_copy / "catalogue.csv").write_text(text.replace("m3_per_unit", "volume", 1))
    with pytest.raises(CatalogueError, match="missing column.*m3_per_unit"):
        _read(data_copy)


# ------------------------------------------------------------------ places and postcodes


def test_lookup_postcode_accepts_the_usual_spellings() -> None:
    expected = lookup_postcode("7511")
    assert expected is not None
    assert expected.place == "Enschede"
    assert 52.1 < expected.lat < 52.3 and 6.8 < expected.lon < 7.0
    assert lookup_postcode("7511AB") == expected == lookup_postcode(" 7511 ab ")
    lat, lon, place = expected
    assert (lat, lon, place) == (expected.lat, expected.lon, "Enschede")


def test_lookup_postcode_refuses_malformed_input_and_misses_unknown_codes() -> None:
    for bad in ("751", "0511", "75111", "7511 A", "abcd", ""):
        with pytest.raises(ValueError, match="postcode"):
            lookup_postcode(bad)
    unknown = next(f"{n}" for n in range(1000, 10000) if f"{n}" not in load_postcodes())
    assert lookup_postcode(unknown) is None


def test_lookup_place_ignores_case_and_finds_municipalities() -> None:
    enschede = lookup_place("ENSCHEDE")
    assert enschede is not None and enschede.province == "Overijssel"
    assert enschede.population > 100_000
    den_haag = lookup_place("den haag")
    assert den_haag is not None and den_haag.municipality == "Den Haag"
    bosch = lookup_place("s Hertogenbosch")
    assert bosch is not None and bosch.name == "'s-Hertogenbosch"
    assert lookup_place("Atlantis") is None


def test_places_and_postcodes_cover_the_netherlands() -> None:
    places = load_places()
    assert len(places) > 7000
    # Loose box: GeoNames places one hamlet (Klispoel, Wijchen) at lon 7.315 by mistake.
    assert all(50.7 < p.lat < 53.6 and 3.3 < p.lon < 7.4 for p in places)
    assert len(load_postcodes()) > 4000


def test_nearest_postcodes_finds_the_postcode_of_its_own_position() -> None:
    areas = list(load_postcodes().values())[::97]
    idx, km, table = nearest_postcodes([a.lat for a in areas], [a.lon for a in areas])
    assert [table[i].pc4 for i in idx] == [a.pc4 for a in areas]
    assert float(km.max()) < 1e-6
    _, far, _ = nearest_postcodes(53.9, 4.0)  # North Sea
    assert float(far[0]) > 30
