"""Build ``catalogue.csv`` from product dimensions, densities and DESNZ 2025 factors.

Run ``python matcher/data/build_catalogue.py`` after changing an item below; the test suite
checks that the shipped CSV is exactly what this script writes.

Every unit is described by its *components*: the solid volume of each constituent material
per unit.  Mass is solid volume times the density from ``material_carbon_density.csv``;
embodied carbon per kg is the mass-weighted DESNZ 2025 "Primary material production" factor
(kg CO2e per tonne / 1000); disposal is the mass-weighted gate fee of the waste stream each
component goes to.  ``m3_per_unit`` is the *gross* volume a unit takes when stacked in a depot
(its envelope), which is what depot capacity is about; for bulk goods it is the loose volume.
Prices and gate fees are indicative estimates; see ``SOURCES.md``.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent

COLUMNS = (
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


@dataclass(frozen=True)
class Basis:
    """A constituent material: density and the DESNZ 2025 primary-production factor row."""

    key: str
    density_kg_m3: float
    density_note: str
    desnz_id: str
    desnz_label: str
    kgco2e_per_t: float


@dataclass(frozen=True)
class GateFee:
    """An indicative Dutch gate fee (EUR per tonne, negative = scrap revenue)."""

    eur_per_t: float
    label: str


# Indicative 2025 Dutch gate fees (stortingstarieven) per tonne at a recycler, excl. VAT and
# excl. container hire and transport; metals are what a scrap dealer pays.  See SOURCES.md.
GATE_FEES: dict[str, GateFee] = {
    "concrete_rubble": GateFee(10.0, "clean concrete rubble (schoon betonpuin) EUR 10/t"),
    "masonry_rubble": GateFee(15.0, "clean masonry rubble (metselwerkpuin) EUR 15/t"),
    "stone": GateFee(10.0, "clean natural stone with rubble EUR 10/t"),
    "granulate": GateFee(5.0, "granulate back to a crusher EUR 5/t"),
    "clean_soil": GateFee(6.0, "clean soil/sand to a soil bank (grondbank) EUR 6/t"),
    "wood_a": GateFee(60.0, "untreated wood (A-hout) EUR 60/t"),
    "wood_b": GateFee(100.0, "painted/glued wood (B-hout) EUR 100/t"),
    "glass": GateFee(25.0, "clean flat glass EUR 25/t"),
    "window": GateFee(120.0, "window frames with glass (B-hout + glass) EUR 120/t"),
    "gypsum": GateFee(95.0, "gypsum (gips) EUR 95/t"),
    "insulation": GateFee(180.0, "mineral wool insulation EUR 180/t"),
    "heavy_scrap": GateFee(-200.0, "heavy steel scrap (zwaar schroot) pays EUR 200/t"),
    "light_scrap": GateFee(-150.0, "light steel scrap (licht schroot) pays EUR 150/t"),
    "ceramics": GateFee(15.0, "ceramics with masonry rubble EUR 15/t"),
}


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _desnz_primary(
    level_2: str, level_3: str, column_text: str = "Primary material production"
) -> tuple[str, float]:
    for row in _read_csv("desnz_2025_material_use.csv"):
        if (
            row["level_2"] == level_2
            and row["level_3"] == level_3
            and row["column_text"] == column_text
            and row["factor_2025"]
        ):
            return row["id"], float(row["factor_2025"])
    raise KeyError(f"no DESNZ {column_text} factor for {level_2}/{level_3}")


def load_bases() -> dict[str, Basis]:
    """The constituent materials, with densities and factors read from the data files."""
    density = {row["material_key"]: row for row in _read_csv("material_carbon_density.csv")}

    def from_table(
        key: str,
        level_2: str,
        level_3: str,
        note: str = "",
        column_text: str = "Primary material production",
    ) -> Basis:
        row = density[key]
        desnz_id, factor = _desnz_primary(level_2, level_3, column_text)
        rho = float(row["density_kg_m3"])
        text = f"{key} {rho:g} kg/m3 (material_carbon_density.csv{note})"
        label = f"{level_2} / {level_3}, {column_text.lower()}"
        return Basis(key, rho, text, desnz_id, label, factor)

    bases = {
        "concrete": from_table("concrete", "Construction", "Concrete"),
        "brick": from_table("brick", "Construction", "Bricks"),
        # Vitreous china is denser than brick (about 2300 kg/m3); fired clay is the nearest
        # row with a DESNZ factor, so ceramics carry the brick density and factor.
        "ceramic": from_table("brick", "Construction", "Bricks", "; fired-clay proxy for ceramics"),
        "recycled_aggregate": from_table("recycled_aggregate", "Construction", "Aggregates"),
        "gravel": from_table("gravel", "Construction", "Aggregates"),
        "sand": from_table("soil", "Construction", "Aggregates", "; soil row for dry loose sand"),
        # DESNZ Soils has no primary factor: the closed-loop source value is the only one.
        "soil": from_table("soil", "Construction", "Soils", column_text="Closed-loop source"),
        "softwood_timber": from_table("softwood_timber", "Construction", "Wood"),
        "glulam": from_table("glulam", "Construction", "Wood"),
        "hardwood_timber": from_table("hardwood_timber", "Construction", "Wood"),
        "flat_glass": from_table("flat_glass", "Other", "Glass"),
        # DESNZ construction "Metals" is a mixed-metals average; steel cans is the steel-only
        # factor the density table itself recommends for steel.
        "steel": from_table("structural_steel", "Metal", "Metal: steel cans"),
        "granite": from_table(
            "natural_stone_granite",
            "Construction",
            "Aggregates",
            "; no DESNZ dimension-stone factor, Aggregates as a low proxy",
        ),
        "plasterboard": from_table("plasterboard", "Construction", "Plasterboard"),
    }
    desnz_id, factor = _desnz_primary("Construction", "Wood")
    bases["azobe"] = Basis(
        "azobe",
        1080.0,
        "azobe 1080 kg/m3 (EN 338 strength class D70 mean density; the table's generic "
        "hardwood 700 kg/m3 is far too light for azobe)",
        desnz_id,
        "Construction / Wood, primary material production",
        factor,
    )
    desnz_id, factor = _desnz_primary("Construction", "Insulation")
    bases["mineral_wool"] = Basis(
        "mineral_wool",
        35.0,
        "mineral wool slab 35 kg/m3 (typical manufacturer data sheet value; the table gives "
        "no density for insulation)",
        desnz_id,
        "Construction / Insulation, primary material production",
        factor,
    )
    return bases


@dataclass(frozen=True)
class Component:
    basis: str
    solid_m3: float
    fee: str


@dataclass(frozen=True)
class Item:
    code: str
    name_nl: str
    name_en: str
    family: str
    unit: str
    eural_code: str
    dimensions: str
    envelope_m3: float
    components: tuple[Component, ...]
    new_price_eur_per_unit: float


def _box(a_mm: float, b_mm: float, c_mm: float) -> float:
    return a_mm * b_mm * c_mm / 1e9


def _steel_beam(
    code: str, profile: str, area_cm2: float, h_mm: int, b_mm: int, length_m: float
) -> Item:
    solid = area_cm2 / 1e4 * length_m
    kg = solid * 7850.0
    return Item(
        code,
        f"Stalen balk {profile}, per stuk van {length_m:g} m",
        f"Steel beam {profile}, per piece of {length_m:g} m",
        "steel",
        "pcs",
        "17 04 05",
        f"{profile}: A = {area_cm2:g} cm2, h x b = {h_mm} x {b_mm} mm, L = {length_m:g} m",
        h_mm / 1000 * b_mm / 1000 * length_m,
        (Component("steel", solid, "heavy_scrap"),),
        round(kg * 1.55, 2),
    )  # stockist price about EUR 1.55/kg for S235 sections


def _bulk(
    code: str,
    name_nl: str,
    name_en: str,
    basis: str,
    density: float,
    fee: str,
    eural: str,
    price: float,
) -> Item:
    m3 = 1000.0 / density
    return Item(
        code,
        name_nl,
        name_en,
        "bulk",
        "t",
        eural,
        "1 tonne, loose",
        m3,
        (Component(basis, m3, fee),),
        price,
    )


def items(bases: dict[str, Basis]) -> list[Item]:
    """The catalogue, one entry per material, in display order."""
    c = Component
    pavers_concrete_per_m2 = 45  # 1 / (0.21 m x 0.105 m) = 45.4, joints make it 45
    clay_per_m2 = 90  # waalformaat on edge with joints
    out = [
        # --- paving: concrete tiles and pavers, clay pavers, setts (street and park works)
        Item(
            "tile-30x30",
            "Betontegel 30x30x4,5 grijs",
            "Concrete paving tile 30x30x4.5 grey",
            "paving",
            "pcs",
            "17 01 01",
            "300 x 300 x 45 mm",
            _box(300, 300, 45),
            (c("concrete", _box(300, 300, 45), "concrete_rubble"),),
            1.00,
        ),
        Item(
            "tile-30x30-coloured",
            "Betontegel 30x30x4,5 gekleurd",
            "Concrete paving tile 30x30x4.5 coloured",
            "paving",
            "pcs",
            "17 01 01",
            "300 x 300 x 45 mm",
            _box(300, 300, 45),
            (c("concrete", _box(300, 300, 45), "concrete_rubble"),),
            1.25,
        ),
        Item(
            "tile-40x40",
            "Betontegel 40x40x5 grijs",
            "Concrete paving tile 40x40x5 grey",
            "paving",
            "pcs",
            "17 01 01",
            "400 x 400 x 50 mm",
            _box(400, 400, 50),
            (c("concrete", _box(400, 400, 50), "concrete_rubble"),),
            2.10,
        ),
        Item(
            "tile-60x60",
            "Betontegel 60x60x5 grijs",
            "Concrete paving tile 60x60x5 grey",
            "paving",
            "pcs",
            "17 01 01",
            "600 x 600 x 50 mm",
            _box(600, 600, 50),
            (c("concrete", _box(600, 600, 50), "concrete_rubble"),),
            5.20,
        ),
        Item(
            "paver-concrete",
            "Betonklinker keiformaat 21x10,5x8 grijs (per m2)",
            "Concrete paver 21x10.5x8 grey (per m2)",
            "paving",
            "m2",
            "17 01 01",
            f"{pavers_concrete_per_m2} pavers of 210 x 105 x 80 mm per m2",
            pavers_concrete_per_m2 * _box(210, 105, 80),
            (c("concrete", pavers_concrete_per_m2 * _box(210, 105, 80), "concrete_rubble"),),
            14.00,
        ),
        Item(
            "paver-concrete-coloured",
            "Betonklinker keiformaat 21x10,5x8 gekleurd (per m2)",
            "Concrete paver 21x10.5x8 coloured (per m2)",
            "paving",
            "m2",
            "17 01 01",
            f"{pavers_concrete_per_m2} pavers of 210 x 105 x 80 mm per m2",
            pavers_concrete_per_m2 * _box(210, 105, 80),
            (c("concrete", pavers_concrete_per_m2 * _box(210, 105, 80), "concrete_rubble"),),
            16.50,
        ),
        Item(
            "paver-clay-waal",
            "Gebakken klinker waalformaat, op kant (per m2)",
            "Clay street brick waalformaat, laid on edge (per m2)",
            "paving",
            "m2",
            "17 01 02",
            f"{clay_per_m2} bricks of 200 x 100 x 50 mm per m2",
            clay_per_m2 * _box(200, 100, 50),
            (c("brick", clay_per_m2 * _box(200, 100, 50), "masonry_rubble"),),
            38.00,
        ),
        Item(
            "setts-granite",
            "Granieten kinderkopjes 10x10x8 (per m2)",
            "Granite setts 10x10x8 (per m2)",
            "paving",
            "m2",
            "17 05 04",
            "85 setts of 100 x 100 x 80 mm per m2",
            85 * _box(100, 100, 80),
            (c("granite", 85 * _box(100, 100, 80), "stone"),),
            55.00,
        ),
        # --- kerbs and gutters
        Item(
            "kerb-6x20",
            "Opsluitband 6x20x100 grijs",
            "Concrete edging kerb 6x20x100 grey",
            "kerbs",
            "pcs",
            "17 01 01",
            "60 x 200 x 1000 mm",
            _box(60, 200, 1000),
            (c("concrete", _box(60, 200, 1000), "concrete_rubble"),),
            2.80,
        ),
        Item(
            "kerb-10x20",
            "Opsluitband 10x20x100 grijs",
            "Concrete edging kerb 10x20x100 grey",
            "kerbs",
            "pcs",
            "17 01 01",
            "100 x 200 x 1000 mm",
            _box(100, 200, 1000),
            (c("concrete", _box(100, 200, 1000), "concrete_rubble"),),
            4.20,
        ),
        Item(
            "kerb-13-15x25",
            "Trottoirband 13/15x25x100 grijs",
            "Concrete kerb 13/15x25x100 grey",
            "kerbs",
            "pcs",
            "17 01 01",
            "130/150 x 250 x 1000 mm (bevelled)",
            _box(150, 250, 1000),
            (c("concrete", _box(140, 250, 1000), "concrete_rubble"),),
            8.50,
        ),
        Item(
            "kerb-18-20x25",
            "Trottoirband 18/20x25x100 grijs",
            "Concrete kerb 18/20x25x100 grey",
            "kerbs",
            "pcs",
            "17 01 01",
            "180/200 x 250 x 1000 mm (bevelled)",
            _box(200, 250, 1000),
            (c("concrete", _box(190, 250, 1000), "concrete_rubble"),),
            11.00,
        ),
        Item(
            "kerb-granite",
            "Granieten trottoirband 20x25 (per m)",
            "Granite kerb 20x25 (per metre)",
            "kerbs",
            "m",
            "17 05 04",
            "200 x 250 mm, random lengths",
            _box(200, 250, 1000),
            (c("granite", _box(200, 250, 1000), "stone"),),
            60.00,
        ),
        Item(
            "gutter-concrete",
            "Betonnen molgoot 30x100",
            "Concrete dished gutter 30x100",
            "kerbs",
            "pcs",
            "17 01 01",
            "300 x 1000 x 120 mm, channel about 15 % of the block",
            _box(300, 1000, 120),
            (c("concrete", 0.85 * _box(300, 1000, 120), "concrete_rubble"),),
            18.00,
        ),
        # --- masonry and roofing
        Item(
            "brick-wf",
            "Gevelsteen waalformaat",
            "Facing brick waalformaat",
            "masonry",
            "pcs",
            "17 01 02",
            "210 x 100 x 50 mm",
            _box(210, 100, 50),
            (c("brick", _box(210, 100, 50), "masonry_rubble"),),
            0.55,
        ),
        Item(
            "brick-df",
            "Gevelsteen dikformaat",
            "Facing brick dikformaat",
            "masonry",
            "pcs",
            "17 01 02",
            "210 x 100 x 65 mm",
            _box(210, 100, 65),
            (c("brick", _box(210, 100, 65), "masonry_rubble"),),
            0.62,
        ),
        Item(
            "roof-tile-clay",
            "Keramische dakpan (OVH)",
            "Clay roof tile (interlocking)",
            "masonry",
            "pcs",
            "17 01 03",
            "420 x 260 mm, 16 mm shell, 40 mm profile",
            _box(420, 260, 40),
            (c("ceramic", _box(420, 260, 16), "ceramics"),),
            1.40,
        ),
        Item(
            "roof-tile-concrete",
            "Betonnen dakpan",
            "Concrete roof tile",
            "masonry",
            "pcs",
            "17 01 01",
            "420 x 330 mm, 12 mm shell, 40 mm profile",
            _box(420, 330, 40),
            (c("concrete", _box(420, 330, 12), "concrete_rubble"),),
            0.95,
        ),
        # --- steel (sectional areas from EN 10365 / Euronorm 53-62 tables)
        _steel_beam("steel-hea200", "HEA 200", 53.8, 190, 200, 6.0),
        _steel_beam("steel-heb200", "HEB 200", 78.1, 200, 200, 6.0),
        _steel_beam("steel-ipe200", "IPE 200", 28.5, 200, 100, 6.0),
        _steel_beam("steel-hea300", "HEA 300", 112.5, 290, 300, 8.0),
        _steel_beam("steel-heb300", "HEB 300", 149.1, 300, 300, 8.0),
        _steel_beam("steel-ipe300", "IPE 300", 53.8, 300, 150, 8.0),
        Item(
            "rebar-mesh",
            "Bouwstaalmat 5,00x2,15 m, rond 8 mm, maas 150",
            "Rebar mesh 5.00x2.15 m, 8 mm bars at 150 mm",
            "steel",
            "pcs",
            "17 04 05",
            "5000 x 2150 mm, 8 mm bars both ways at 150 mm",
            _box(5000, 2150, 16),
            (
                c(
                    "steel",
                    (2150 / 150 * 5.0 + 5000 / 150 * 2.15) * math.pi * 0.004**2,
                    "light_scrap",
                ),
            ),
            52.00,
        ),
        # --- timber
        Item(
            "timber-c24-71x171",
            "Vuren balk C24 71x171, 5,4 m",
            "Softwood beam C24 71x171, 5.4 m",
            "timber",
            "pcs",
            "17 02 01",
            "71 x 171 mm, L = 5.4 m",
            _box(71, 171, 5400),
            (c("softwood_timber", _box(71, 171, 5400), "wood_a"),),
            round(_box(71, 171, 5400) * 650, 2),
        ),  # C24 about EUR 650/m3
        Item(
            "timber-c24-71x196",
            "Vuren balk C24 71x196, 5,4 m",
            "Softwood beam C24 71x196, 5.4 m",
            "timber",
            "pcs",
            "17 02 01",
            "71 x 196 mm, L = 5.4 m",
            _box(71, 196, 5400),
            (c("softwood_timber", _box(71, 196, 5400), "wood_a"),),
            round(_box(71, 196, 5400) * 650, 2),
        ),
        Item(
            "glulam-90x360",
            "Gelamineerde ligger GL24h 90x360, 8 m",
            "Glulam beam GL24h 90x360, 8 m",
            "timber",
            "pcs",
            "17 02 01",
            "90 x 360 mm, L = 8 m",
            _box(90, 360, 8000),
            (c("glulam", _box(90, 360, 8000), "wood_b"),),
            round(_box(90, 360, 8000) * 950, 2),
        ),  # glulam about EUR 950/m3
        Item(
            "azobe-beam",
            "Azobé balk 150x150, 4 m",
            "Azobé hardwood beam 150x150, 4 m",
            "timber",
            "pcs",
            "17 02 01",
            "150 x 150 mm, L = 4 m",
            _box(150, 150, 4000),
            (c("azobe", _box(150, 150, 4000), "wood_a"),),
            round(_box(150, 150, 4000) * 2400, 2),
        ),  # azobe about EUR 2400/m3
        Item(
            "azobe-sheet-pile",
            "Azobé damwandplank 50x200, 3 m",
            "Azobé sheet pile plank 50x200, 3 m",
            "timber",
            "pcs",
            "17 02 01",
            "50 x 200 mm tongue and groove, L = 3 m",
            _box(50, 200, 3000),
            (c("azobe", _box(50, 200, 3000), "wood_a"),),
            round(_box(50, 200, 3000) * 2200, 2),
        ),
        Item(
            "scaffold-board",
            "Steigerplank 32x200, 4 m",
            "Scaffold board 32x200, 4 m",
            "timber",
            "pcs",
            "17 02 01",
            "32 x 200 mm, L = 4 m",
            _box(32, 200, 4000),
            (c("softwood_timber", _box(32, 200, 4000), "wood_a"),),
            14.00,
        ),
        Item(
            "floorboards-softwood",
            "Grenen vloerdelen 28 mm (per m2)",
            "Softwood floorboards 28 mm (per m2)",
            "timber",
            "m2",
            "17 02 01",
            "28 mm tongue and groove",
            0.028,
            (c("softwood_timber", 0.028, "wood_b"),),
            28.00,
        ),
        Item(
            "floorboards-oak",
            "Eiken vloerdelen 20 mm (per m2)",
            "Oak floorboards 20 mm (per m2)",
            "timber",
            "m2",
            "17 02 01",
            "20 mm tongue and groove",
            0.020,
            (c("hardwood_timber", 0.020, "wood_b"),),
            65.00,
        ),
        # --- openings and fittings
        Item(
            "window-hardwood",
            "Hardhouten kozijn met HR++ glas 120x140",
            "Hardwood window frame with HR++ glazing 120x140",
            "openings",
            "pcs",
            "17 02 01",
            "1200 x 1400 mm, 67 x 114 mm frame, 4-15-4 glass",
            _box(1200, 1400, 114),
            (
                c("hardwood_timber", 0.067 * 0.114 * 5.2, "window"),
                c("flat_glass", 2 * 0.004 * 1.066 * 1.266, "window"),
            ),
            750.00,
        ),
        Item(
            "glass-hr-plus",
            "Isolatieglas HR++ 4-15-4 (per m2)",
            "Double glazing HR++ 4-15-4 (per m2)",
            "openings",
            "m2",
            "17 02 02",
            "two 4 mm panes, 15 mm cavity",
            0.023,
            (c("flat_glass", 0.008, "glass"),),
            48.00,
        ),
        Item(
            "door-interior",
            "Binnendeur paneel 83x201,5",
            "Interior panel door 83x201.5",
            "openings",
            "pcs",
            "17 02 01",
            "830 x 2015 x 40 mm, about 90 % solid",
            _box(830, 2015, 40),
            (c("softwood_timber", 0.9 * _box(830, 2015, 40), "wood_b"),),
            140.00,
        ),
        Item(
            "radiator-steel",
            "Paneelradiator staal type 22, 60x100",
            "Steel panel radiator type 22, 60x100",
            "installations",
            "pcs",
            "17 04 05",
            "600 x 1000 x 100 mm, two panels with convector fins",
            _box(600, 1000, 100),
            (c("steel", 0.0036, "light_scrap"),),
            125.00,
        ),
        Item(
            "toilet",
            "Staand toilet (porselein)",
            "Floor-standing toilet (ceramic)",
            "installations",
            "pcs",
            "17 01 03",
            "360 x 700 x 400 mm, about 10 l ceramic",
            _box(360, 700, 400),
            (c("ceramic", 0.010, "ceramics"),),
            120.00,
        ),
        # --- street furniture and play
        Item(
            "bench-park",
            "Parkbank hardhout op stalen frame, 1,8 m",
            "Park bench, hardwood slats on steel frame, 1.8 m",
            "furniture",
            "pcs",
            "17 04 07",
            "1800 x 650 x 800 mm; five 45 x 90 mm slats, two steel supports",
            _box(1800, 650, 800),
            (
                c("hardwood_timber", 5 * _box(45, 90, 1800), "wood_a"),
                c("steel", 0.003, "light_scrap"),
            ),
            900.00,
        ),
        Item(
            "bollard-steel",
            "Stalen afzetpaal 114 mm, 1,2 m",
            "Steel bollard 114 mm, 1.2 m",
            "furniture",
            "pcs",
            "17 04 05",
            "114 mm tube, 4 mm wall, 1200 mm, base plate",
            _box(150, 150, 1200),
            (c("steel", 0.0022, "light_scrap"),),
            140.00,
        ),
        Item(
            "bicycle-rack",
            "Fietsenrek 5 plaatsen, verzinkt staal",
            "Bicycle rack, 5 places, galvanised steel",
            "furniture",
            "pcs",
            "17 04 05",
            "1750 x 400 x 400 mm",
            _box(1750, 400, 400),
            (c("steel", 0.0045, "light_scrap"),),
            280.00,
        ),
        Item(
            "lamp-post",
            "Lichtmast staal 6 m (zonder armatuur)",
            "Steel lamp post 6 m (without luminaire)",
            "furniture",
            "pcs",
            "17 04 05",
            "6 m conical tube 60-140 mm, 3 mm wall",
            _box(150, 150, 6000),
            (c("steel", math.pi * 0.1 * 0.003 * 6.0, "light_scrap"),),
            450.00,
        ),
        Item(
            "playground-swing",
            "Dubbele schommel staal",
            "Double swing, steel frame",
            "furniture",
            "pcs",
            "17 04 05",
            "3.5 m frame, dismantled 3500 x 400 x 400 mm",
            _box(3500, 400, 400),
            (c("steel", 0.0153, "light_scrap"),),
            2200.00,
        ),
        Item(
            "playground-climbing-frame",
            "Klimrek robinia",
            "Climbing frame, robinia",
            "furniture",
            "pcs",
            "17 02 01",
            "dismantled about 3 x 1 x 0.6 m, 0.3 m3 of wood",
            1.8,
            (c("hardwood_timber", 0.3, "wood_a"),),
            4500.00,
        ),
        # --- bulk (per tonne)
        _bulk(
            "aggregate-concrete",
            "Betongranulaat 0/31,5",
            "Crushed concrete aggregate 0/31.5",
            "recycled_aggregate",
            bases["recycled_aggregate"].density_kg_m3,
            "granulate",
            "17 01 07",
            13.00,
        ),
        _bulk(
            "aggregate-mixed",
            "Menggranulaat 0/31,5",
            "Mixed crushed aggregate 0/31.5",
            "recycled_aggregate",
            bases["recycled_aggregate"].density_kg_m3,
            "granulate",
            "17 01 07",
            9.00,
        ),
        _bulk(
            "gravel",
            "Grind 8/16",
            "Gravel 8/16",
            "gravel",
            bases["gravel"].density_kg_m3,
            "clean_soil",
            "17 05 04",
            32.00,
        ),
        _bulk(
            "sand",
            "Zand (ophoog- en straatzand)",
            "Sand (fill and bedding sand)",
            "sand",
            bases["sand"].density_kg_m3,
            "clean_soil",
            "17 05 04",
            12.00,
        ),
        _bulk(
            "topsoil",
            "Teelaarde / bomengrond",
            "Topsoil / tree soil",
            "soil",
            bases["soil"].density_kg_m3,
            "clean_soil",
            "17 05 04",
            13.00,
        ),
        # --- finishes and insulation (per m2)
        Item(
            "plasterboard",
            "Gipsplaat 12,5 mm (per m2)",
            "Gypsum plasterboard 12.5 mm (per m2)",
            "finishes",
            "m2",
            "17 08 02",
            "12.5 mm board",
            0.0125,
            (c("plasterboard", 0.0125, "gypsum"),),
            3.20,
        ),
        Item(
            "insulation-mineral-wool",
            "Minerale wol plaat 100 mm (per m2)",
            "Mineral wool board 100 mm (per m2)",
            "finishes",
            "m2",
            "17 06 04",
            "100 mm slab",
            0.100,
            (c("mineral_wool", 0.100, "insulation"),),
            8.50,
        ),
    ]
    return out


def _fmt(x: float, digits: int) -> str:
    return f"{round(x, digits):.{digits}f}".rstrip("0").rstrip(".")


def _share(mass: float, total: float, parts: int) -> str:
    return f"{mass / total:.0%} " if parts > 1 else ""


def rows() -> list[dict[str, str]]:
    """The catalogue rows as strings, exactly as written to ``catalogue.csv``."""
    bases = load_bases()
    out = []
    for item in items(bases):
        kg_parts = [
            (bases[comp.basis], comp.solid_m3 * bases[comp.basis].density_kg_m3, comp)
            for comp in item.components
        ]
        kg = sum(part[1] for part in kg_parts)
        co2 = sum(b.kgco2e_per_t / 1000.0 * mass for b, mass, _ in kg_parts) / kg
        disposal = sum(GATE_FEES[comp.fee].eur_per_t * mass / 1000.0 for _, mass, comp in kg_parts)
        out.append(
            {
                "code": item.code,
                "name_nl": item.name_nl,
                "name_en": item.name_en,
                "family": item.family,
                "unit": item.unit,
                "kg_per_unit": _fmt(kg, 3),
                "m3_per_unit": _fmt(item.envelope_m3, 6),
                "new_price_eur_per_unit": _fmt(item.new_price_eur_per_unit, 2),
                "disposal_eur_per_unit": _fmt(disposal, 3),
                "embodied_kgco2e_per_kg": _fmt(co2, 6),
                "eural_code": item.eural_code,
                "carbon_source": "; ".join(
                    f"{_share(mass, kg, len(kg_parts))}DESNZ 2025 {b.desnz_id} {b.desnz_label} "
                    f"{b.kgco2e_per_t} kgCO2e/t"
                    for b, mass, _ in kg_parts
                ),
                "density_basis": "; ".join(dict.fromkeys(b.density_note for b, _, _ in kg_parts)),
                "dimensions": item.dimensions,
                "disposal_basis": "; ".join(
                    dict.fromkeys(GATE_FEES[comp.fee].label for _, _, comp in kg_parts)
                ),
            }
        )
    return out


def render() -> str:
    """The full text of ``catalogue.csv``."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows())
    return buf.getvalue()


if __name__ == "__main__":
    (DATA_DIR / "catalogue.csv").write_text(render(), encoding="utf-8")
    print(f"wrote {DATA_DIR / 'catalogue.csv'}")
