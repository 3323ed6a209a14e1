"""matcher.io: every field rule of the spec refused with its location; round trips; result JSON."""

from __future__ import annotations

import copy
import io
import math
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from matcher.domain import Condition, CostModel, Instance
from matcher.io import (
    DemandSchema,
    InstanceError,
    Problem,
    SupplySchema,
    instance_to_dict,
    load_instance,
    load_rows,
    load_rows_marshmallow,
    parse_instance,
    parse_result,
    result_to_dict,
    write_json_atomic,
    write_result,
)
from matcher.result import Allocation, CostBreakdown, Kpis, Leftover, MatchResult
from tests.strategies import instances

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLE_INSTANCE = DATA / "example-instance.json"
EXAMPLE_RESULT = DATA / "example-result.json"

DELETE = object()  # a mutation that removes the key


@pytest.fixture
def example() -> dict[str, Any]:
    """A fresh copy of the spec's example instance, decoded."""
    return orjson.loads(EXAMPLE_INSTANCE.read_bytes())  # type: ignore[no-any-return]


def _steps(path: str) -> list[str | int]:
    return [int(i) if i else k for k, i in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)]


def mutate(data: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """Set (or with DELETE remove) the value at a JSON path such as ``supply[0].quantity``."""
    *parents, last = _steps(path)
    node: Any = data
    for step in parents:
        node = node[step]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list) and last == len(node):
        node.append(value)
    else:
        node[last] = value
    return data


def problems_of(data: object) -> list[Problem]:
    with pytest.raises(InstanceError) as caught:
        parse_instance(data)
    return caught.value.problems


# (path to change, new value, expected location, expected words in the message)
CASES: list[tuple[str, object, str, str]] = [
    # dates: ISO YYYY-MM-DD, windows in order
    ("today", "01-03-2027", "today", "must be a date YYYY-MM-DD"),
    ("today", "20270301", "today", "must be a date YYYY-MM-DD"),
    ("today", "2027-02-30", "today", "must be a date YYYY-MM-DD"),
    ("today", "2027-03-01T00:00", "today", "must be a date YYYY-MM-DD"),
    ("today", DELETE, "today", "is required"),
    ("today", None, "today", "is required"),
    ("supply[1].available_from", 20270301, "supply[1].available_from", "must be a date"),
    ("supply[0].available_from", "2027-03-25", "supply[0].available_until", "must not be before"),
    ("demand[0].needed_until", "2027-04-30", "demand[0].needed_until", "must not be before"),
    ("demand[1].needed_from", DELETE, "demand[1].needed_from", "is required"),
    # cost: finite, >= 0, road_factor >= 1
    ("cost.road_factor", 0.9, "cost.road_factor", "must be a finite number >= 1"),
    ("cost.transport_eur_per_tonne_km", -0.1, "cost.transport_eur_per_tonne_km", ">= 0"),
    ("cost.co2_price_eur_per_tonne", "100", "cost.co2_price_eur_per_tonne", "finite number"),
    ("cost.max_distance_km", math.inf, "cost.max_distance_km", "finite number"),
    ("cost.co2_kg_per_tonne_km", math.nan, "cost.co2_kg_per_tonne_km", "finite number"),
    ("cost.road_factor", True, "cost.road_factor", "finite number"),
    ("cost", [], "cost", "must be an object"),
    # materials
    ("materials", DELETE, "materials", "is required"),
    ("materials", {"code": "x"}, "materials", "must be a list"),
    ("materials[2]", "steel", "materials[2]", "must be an object"),
    ("materials[1].code", "tile-30x30", "materials[1].code", 'duplicate code "tile-30x30"'),
    ("materials[1].code", DELETE, "materials[1].code", "is required"),
    ("materials[0].unit", DELETE, "materials[0].unit", "is required"),
    ("materials[0].kg_per_unit", 0, "materials[0].kg_per_unit", "must be a finite number > 0"),
    ("materials[2].m3_per_unit", -0.25, "materials[2].m3_per_unit", "> 0"),
    ("materials[0].new_price_eur_per_unit", -1, "materials[0].new_price_eur_per_unit", ">= 0"),
    ("materials[0].disposal_eur_per_unit", "0.15", "materials[0].disposal_eur_per_unit", "finite"),
    ("materials[0].embodied_kgco2e_per_kg", -0.1, "materials[0].embodied_kgco2e_per_kg", ">= 0"),
    ("materials[0].substitutes", "tile", "materials[0].substitutes", "must be a list"),
    ("materials[0].substitutes[0]", 3, "materials[0].substitutes[0]", "must be an object"),
    ("materials[0].substitutes[0].code", "nope", "materials[0].substitutes[0].code", "unknown"),
    ("materials[0].substitutes[0].code", "tile-30x30", "materials[0].substitutes[0].code", "own"),
    (
        "materials[0].substitutes[1]",
        {"code": "tile-30x30-coloured", "penalty_eur_per_unit": 0.2},
        "materials[0].substitutes[1].code",
        "listed twice",
    ),
    ("materials[1].unit", "m2", "materials[0].substitutes[0].code", "counted in m2"),
    (
        "materials[0].substitutes[0].penalty_eur_per_unit",
        -0.1,
        "materials[0].substitutes[0].penalty_eur_per_unit",
        ">= 0",
    ),
    (
        "materials[0].substitutes[0].penalty_eur_per_unit",
        DELETE,
        "materials[0].substitutes[0].penalty_eur_per_unit",
        "is required",
    ),
    # ids unique across supply, demand, depots and stock
    ("demand[0].id", "s1", "demand[0].id", 'duplicate id "s1" (first used at supply[0])'),
    ("depots[0].stock[0].id", "s2", "depots[0].stock[0].id", 'duplicate id "s2"'),
    ("depots[0].stock[0].id", "dep1", "depots[0].stock[0].id", "first used at depots[0]"),
    ("demand[1].id", "d1", "demand[1].id", "first used at demand[0]"),
    ("supply[0].id", "", "supply[0].id", "must be a non-empty string"),
    ("supply[0].id", 17, "supply[0].id", "must be a non-empty string"),
    ("depots[0].id", DELETE, "depots[0].id", "is required"),
    # quantity: a JSON integer >= 1
    ("supply[0].quantity", 5.0, "supply[0].quantity", "must be an integer >= 1"),
    ("supply[0].quantity", True, "supply[0].quantity", "must be an integer >= 1"),
    ("supply[1].quantity", "5", "supply[1].quantity", "must be an integer >= 1"),
    ("demand[0].quantity", 0, "demand[0].quantity", "must be an integer >= 1"),
    ("depots[0].stock[0].quantity", -3, "depots[0].stock[0].quantity", "integer >= 1"),
    ("demand[1].quantity", DELETE, "demand[1].quantity", "is required"),
    # condition and min_condition: A, B or C
    ("supply[0].condition", "D", "supply[0].condition", 'must be "A", "B" or "C"'),
    ("supply[0].condition", "a", "supply[0].condition", 'must be "A", "B" or "C"'),
    ("demand[0].min_condition", 2, "demand[0].min_condition", 'must be "A", "B" or "C"'),
    ("depots[0].stock[0].condition", ["B"], "depots[0].stock[0].condition", '"A", "B" or "C"'),
    # attributes: a flat object of numbers and strings
    ("supply[1].attributes.length_m", True, "supply[1].attributes.length_m", "number or a string"),
    ("supply[1].attributes.steel_grade", {"n": 1}, "supply[1].attributes.steel_grade", "number"),
    ("supply[1].attributes", [6.2], "supply[1].attributes", "must be an object"),
    ("supply[1].attributes", {"length m": [1]}, 'supply[1].attributes["length m"]', "number"),
    ("depots[0].stock[0].attributes", {"w": []}, "depots[0].stock[0].attributes.w", "number"),
    # requirements: {min}, {max}, both, or {in: [...]}
    ("demand[1].requirements.length_m", {}, "demand[1].requirements.length_m", '"min", "max"'),
    ("demand[1].requirements.length_m", 5.4, "demand[1].requirements.length_m", "an object"),
    ("demand[1].requirements.length_m.min", "5", "demand[1].requirements.length_m.min", "finite"),
    ("demand[1].requirements.length_m.max", 5.0, "demand[1].requirements.length_m.max", ">= min"),
    ("demand[1].requirements.steel_grade.in", [], "demand[1].requirements.steel_grade.in", "non"),
    ("demand[1].requirements.steel_grade.in", "S235", "demand[1].requirements.steel_grade.in", "l"),
    (
        "demand[1].requirements.steel_grade.in",
        ["S235", {"x": 1}],
        "demand[1].requirements.steel_grade.in[1]",
        "must be a number or a string",
    ),
    ("demand[1].requirements.steel_grade.min", 1, "demand[1].requirements.steel_grade", "combine"),
    ("demand[1].requirements", ["length_m"], "demand[1].requirements", "must be an object"),
    # lat in [-90, 90], lon in [-180, 180]
    ("supply[0].lat", 91, "supply[0].lat", "must be a number between -90 and 90"),
    ("demand[0].lon", -180.5, "demand[0].lon", "must be a number between -180 and 180"),
    ("depots[0].lat", "52.2", "depots[0].lat", "between -90 and 90"),
    ("supply[0].lon", DELETE, "supply[0].lon", "is required"),
    # max_distance_km: optional, finite >= 0
    ("demand[0].max_distance_km", -1, "demand[0].max_distance_km", "finite number >= 0"),
    ("demand[0].max_distance_km", "40", "demand[0].max_distance_km", "finite number >= 0"),
    # depots: numbers finite >= 0, stock fits capacity on today
    ("depots", {"id": "dep1"}, "depots", "must be a list"),
    ("depots[0]", None, "depots[0]", "must be an object"),
    ("depots[0].capacity_m3", -1.0, "depots[0].capacity_m3", "finite number >= 0"),
    ("depots[0].holding_eur_per_m3_day", DELETE, "depots[0].holding_eur_per_m3_day", "required"),
    ("depots[0].handling_eur_per_tonne", math.inf, "depots[0].handling_eur_per_tonne", "finite"),
    ("depots[0].capacity_m3", 2.0, "depots[0].stock", "occupies 2.7 m3 on today (2027-03-01)"),
    ("depots[0].stock", {"id": "st1"}, "depots[0].stock", "must be a list"),
    # unknown material codes
    ("supply[0].material", "tile-99", "supply[0].material", 'unknown material "tile-99"'),
    ("demand[1].material", "steel-hea999", "demand[1].material", "unknown material"),
    ("depots[0].stock[0].material", "brick", "depots[0].stock[0].material", "unknown material"),
    ("supply[0].material", 4, "supply[0].material", "must be a non-empty string"),
    # the listings themselves
    ("supply", {"id": "s1"}, "supply", "must be a list"),
    ("supply[1]", ["s2"], "supply[1]", "must be an object"),
    ("demand[0]", None, "demand[0]", "must be an object"),
]


@pytest.mark.parametrize(
    ("path", "value", "location", "words"),
    CASES,
    ids=[f"{path}={value!r}"[:60] for path, value, _, _ in CASES],
)
def test_a_broken_rule_is_refused_with_its_location(
    example: dict[str, Any], path: str, value: object, location: str, words: str
) -> None:
    problems = problems_of(mutate(example, path, value))
    assert any(p.location == location and words in p.message for p in problems), problems


@pytest.mark.parametrize(
    ("path", "value"),
    [(path, value) for path, value, _, _ in CASES if path.startswith(("supply", "demand"))],
)
def test_the_fast_engine_and_marshmallow_agree_on_listings(
    example: dict[str, Any], path: str, value: object
) -> None:
    data = mutate(example, path, value)
    for schema, key in ((SupplySchema, "supply"), (DemandSchema, "demand")):
        fast_objects, fast_problems = load_rows(schema, data[key], key)
        slow_objects, slow_problems = load_rows_marshmallow(schema, data[key], key)
        assert sorted(fast_problems) == sorted(slow_problems)
        if not slow_problems:
            assert fast_objects == slow_objects


def test_both_engines_read_nulls_and_unknown_keys_alike(example: dict[str, Any]) -> None:
    example["supply"][0].update(condition=None, attributes=None, colour="red")
    example["demand"][0].update(max_distance_km=None, min_condition=None, note={"x": [1]})
    example["demand"][1]["requirements"]["width_m"] = None
    for schema, key in ((SupplySchema, "supply"), (DemandSchema, "demand")):
        fast = load_rows(schema, example[key], key)
        assert fast == load_rows_marshmallow(schema, example[key], key)
        assert fast[1] == [] and len(fast[0]) == 2


def test_the_example_instance_validates() -> None:
    instance = load_instance(EXAMPLE_INSTANCE)
    assert instance.today == date(2027, 3, 1)
    assert [m.code for m in instance.materials] == [
        "tile-30x30",
        "tile-30x30-coloured",
        "steel-hea200",
    ]
    assert instance.materials[2].disposal_eur_per_unit == -40.0  # negative: scrap fetches money
    assert instance.materials[0].substitutes[0].penalty_eur_per_unit == 0.1
    s1, s2 = instance.supply
    assert (s1.id, s1.quantity, s1.condition) == ("s1", 4000, Condition.A)
    assert dict(s2.attributes) == {"length_m": 6.2, "steel_grade": "S235"}
    d1, d2 = instance.demand
    assert (d1.min_condition, d1.max_distance_km) == (Condition.B, 40.0)
    assert (d2.min_condition, d2.max_distance_km) == (Condition.C, None)  # the defaults
    assert d2.requirements["length_m"].min == 5.4
    assert d2.requirements["steel_grade"].allowed == ("S235", "S355")
    (depot,) = instance.depots
    assert (depot.capacity_m3, depot.stock[0].id, depot.stock[0].quantity) == (300.0, "st1", 600)


def test_every_problem_is_collected_one_line_each(example: dict[str, Any]) -> None:
    mutate(example, "supply[0].quantity", 5.0)
    mutate(example, "demand[1].lat", 95)
    with pytest.raises(InstanceError) as caught:
        parse_instance(example)
    assert str(caught.value).splitlines() == [
        "supply[0].quantity: must be an integer >= 1",
        "demand[1].lat: must be a number between -90 and 90",
    ]
    assert isinstance(caught.value, ValueError)


def test_problems_come_in_document_order(example: dict[str, Any]) -> None:
    mutate(example, "depots[0].capacity_m3", -1)
    mutate(example, "demand[0].id", "s2")  # a cross-record rule, found after the rows
    mutate(example, "supply[1].quantity", 0)
    mutate(example, "demand[0].quantity", 0)
    mutate(example, "cost.road_factor", 0)
    locations = [p.location for p in problems_of(example)]
    assert locations == [
        "cost.road_factor",
        "supply[1].quantity",
        "demand[0].quantity",
        "demand[0].id",
        "depots[0].capacity_m3",
    ]


def test_a_broken_material_does_not_make_its_listings_unknown(example: dict[str, Any]) -> None:
    mutate(example, "materials[0].kg_per_unit", -10)
    assert [str(p) for p in problems_of(example)] == [
        "materials[0].kg_per_unit: must be a finite number > 0"
    ]


@pytest.mark.parametrize("materials", [DELETE, "tiles"])
def test_without_a_catalogue_listings_are_not_each_unknown(
    example: dict[str, Any], materials: object
) -> None:
    assert [p.location for p in problems_of(mutate(example, "materials", materials))] == [
        "materials"
    ]


def test_a_broken_row_still_has_its_id_checked(example: dict[str, Any]) -> None:
    mutate(example, "demand[0].id", "s1")
    mutate(example, "demand[0].quantity", 2.5)
    assert [p.location for p in problems_of(example)] == ["demand[0].quantity", "demand[0].id"]


@pytest.mark.parametrize("document", [[], "x", 3, None])
def test_a_document_that_is_not_an_object_is_refused(document: object) -> None:
    assert problems_of(document) == [Problem("<root>", "must be a JSON object")]


def test_null_counts_as_absent(example: dict[str, Any]) -> None:
    mutate(example, "supply[0].condition", None)
    mutate(example, "demand[0].min_condition", None)
    mutate(example, "demand[0].max_distance_km", None)
    mutate(example, "supply[1].attributes.length_m", None)
    mutate(example, "demand[1].requirements.steel_grade", None)
    mutate(example, "materials[0].name", None)
    mutate(example, "materials[0].substitutes", None)
    mutate(example, "depots[0].stock", None)
    mutate(example, "cost", None)
    instance = parse_instance(example)
    assert instance.supply[0].condition is Condition.B
    assert instance.demand[0].min_condition is Condition.C
    assert instance.demand[0].max_distance_km is None
    assert dict(instance.supply[1].attributes) == {"steel_grade": "S235"}
    assert list(instance.demand[1].requirements) == ["length_m"]
    assert instance.materials[0].name == "tile-30x30"  # the name defaults to the code
    assert instance.materials[0].substitutes == ()
    assert instance.depots[0].stock == ()
    assert instance.cost == CostModel()


def test_optional_sections_may_be_left_out() -> None:
    instance = parse_instance({"today": "2027-03-01", "materials": [], "supply": None})
    assert instance == Instance(today=date(2027, 3, 1), cost=CostModel(), materials=())


def test_cost_keys_default_one_by_one(example: dict[str, Any]) -> None:
    example["cost"] = {"road_factor": 1.0, "max_distance_km": 0}
    cost = parse_instance(example).cost
    assert cost == CostModel(road_factor=1.0, max_distance_km=0.0)
    assert cost.transport_eur_per_tonne_km == 0.12


def test_unknown_keys_are_ignored(example: dict[str, Any]) -> None:
    baseline = parse_instance(copy.deepcopy(example))
    example["comment"] = "made by hand"
    example["cost"]["currency"] = "EUR"
    example["materials"][0]["colour"] = "grey"
    example["materials"][0]["substitutes"][0]["why"] = "looks alike"
    example["supply"][0]["owner"] = "Gemeente Enschede"
    example["demand"][1]["requirements"]["length_m"]["unit"] = "m"
    example["depots"][0]["stock"][0]["shelf"] = 4
    assert parse_instance(example) == baseline


def test_whole_numbers_are_numbers(example: dict[str, Any]) -> None:
    mutate(example, "supply[0].lat", 52)
    mutate(example, "cost.road_factor", 1)
    mutate(example, "supply[0].quantity", 10**15)
    instance = parse_instance(example)
    assert (instance.supply[0].lat, instance.cost.road_factor) == (52.0, 1.0)
    assert instance.supply[0].quantity == 10**15


def test_stock_that_fills_the_depot_exactly_fits(example: dict[str, Any]) -> None:
    mutate(example, "depots[0].capacity_m3", 600 * 0.0045)
    assert parse_instance(example).depots[0].capacity_m3 == pytest.approx(2.7)


def test_nothing_to_match_is_not_an_error(example: dict[str, Any]) -> None:
    example["supply"] = []
    del example["demand"]
    instance = parse_instance(example)
    assert (instance.supply, instance.demand) == ((), ())


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "today": "2027-03-01",\n  "materials": [,]\n}\n')
    with pytest.raises(InstanceError) as caught:
        load_instance(path)
    (problem,) = caught.value.problems
    assert problem.location == "<json>"
    assert problem.message.startswith("line 3 column 17: ")


def test_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InstanceError) as caught:
        load_instance(tmp_path / "nope.json")
    (problem,) = caught.value.problems
    assert problem.location == "<file>"
    assert "nope.json" in problem.message and "No such file" in problem.message


def test_load_instance_reads_paths_and_open_files() -> None:
    expected = load_instance(EXAMPLE_INSTANCE)
    assert load_instance(str(EXAMPLE_INSTANCE)) == expected
    with EXAMPLE_INSTANCE.open("rb") as binary:
        assert load_instance(binary) == expected
    with EXAMPLE_INSTANCE.open(encoding="utf-8") as text:
        assert load_instance(text) == expected
    assert load_instance(io.BytesIO(EXAMPLE_INSTANCE.read_bytes())) == expected


def test_the_example_round_trips_through_instance_to_dict() -> None:
    instance = load_instance(EXAMPLE_INSTANCE)
    data = instance_to_dict(instance)
    assert parse_instance(orjson.loads(orjson.dumps(data))) == instance
    assert data["supply"][1]["attributes"] == {"length_m": 6.2, "steel_grade": "S235"}
    assert data["demand"][1]["requirements"] == {
        "length_m": {"min": 5.4},
        "steel_grade": {"in": ["S235", "S355"]},
    }
    assert "max_distance_km" not in data["demand"][1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance=instances())
def test_any_instance_round_trips(instance: Instance) -> None:
    assert parse_instance(orjson.loads(orjson.dumps(instance_to_dict(instance)))) == instance


def _hand_made_result() -> MatchResult:
    return MatchResult(
        status="feasible",
        objective_eur=100.5,
        lower_bound_eur=100.25,
        cost_breakdown=CostBreakdown(
            transport_eur=10.0,
            co2_eur=1.0,
            substitution_eur=2.0,
            handling_eur=3.0,
            holding_eur=4.0,
            disposal_eur=-0.5,
            new_purchase_eur=81.0,
        ),
        allocations=(
            Allocation("s1", "d1", None, 3, date(2027, 3, 2), date(2027, 3, 2), 1.5, 2.5, 0.5),
            Allocation("s2", "d1", "k1", 4, date(2027, 3, 4), date(2027, 4, 1), 9.0, 7.0, 1.0),
        ),
        unmatched_supply=(Leftover("s2", 6),),
        unmet_demand=(Leftover("d2", 1),),
        kpis=Kpis(
            tonnes_reused=0.7,
            transport_co2_kg=1.5,
            embodied_co2_avoided_kg=84.0,
            demand_met_fraction=0.875,
        ),
        stats={"solve_seconds": 0.1},
    )


def test_result_to_dict_has_the_spec_shape() -> None:
    data = result_to_dict(_hand_made_result())
    assert data == {
        "status": "feasible",
        "objective_eur": 100.5,
        "lower_bound_eur": 100.25,
        "cost_breakdown": {
            "transport_eur": 10.0,
            "co2_eur": 1.0,
            "substitution_eur": 2.0,
            "handling_eur": 3.0,
            "holding_eur": 4.0,
            "disposal_eur": -0.5,
            "new_purchase_eur": 81.0,
        },
        "allocations": [
            {
                "supply_id": "s1",
                "demand_id": "d1",
                "depot_id": None,
                "quantity": 3,
                "pickup_date": "2027-03-02",
                "delivery_date": "2027-03-02",
                "road_km": 1.5,
                "cost_eur": 2.5,
                "co2_kg": 0.5,
            },
            {
                "supply_id": "s2",
                "demand_id": "d1",
                "depot_id": "k1",
                "quantity": 4,
                "pickup_date": "2027-03-04",
                "delivery_date": "2027-04-01",
                "road_km": 9.0,
                "cost_eur": 7.0,
                "co2_kg": 1.0,
            },
        ],
        "unmatched_supply": [{"supply_id": "s2", "quantity": 6}],
        "unmet_demand": [{"demand_id": "d2", "quantity": 1}],
        "kpis": {
            "tonnes_reused": 0.7,
            "transport_co2_kg": 1.5,
            "embodied_co2_avoided_kg": 84.0,
            "demand_met_fraction": 0.875,
        },
    }


def test_result_keys_follow_the_spec_order() -> None:
    spec = orjson.loads(EXAMPLE_RESULT.read_bytes())
    ours = result_to_dict(_hand_made_result())
    assert list(ours) == list(spec)
    for key in ("cost_breakdown", "kpis"):
        assert list(ours[key]) == list(spec[key])
    assert list(ours["allocations"][0]) == list(spec["allocations"][0])
    assert list(ours["unmatched_supply"][0]) == ["supply_id", "quantity"]
    assert list(ours["unmet_demand"][0]) == ["demand_id", "quantity"]


def test_the_example_result_reads_and_writes_back_byte_for_byte() -> None:
    raw = EXAMPLE_RESULT.read_bytes()
    assert orjson.dumps(result_to_dict(parse_result(orjson.loads(raw)))) == raw.strip()


def test_numpy_scalars_become_plain_json_numbers() -> None:
    np = pytest.importorskip("numpy")
    result = MatchResult(
        "optimal",
        np.float64(1.5),
        np.float64(1.5),
        CostBreakdown(transport_eur=np.float64(1.5)),
        (Allocation("s", "d", None, np.int64(2), date(2027, 3, 1), date(2027, 3, 1), 1, 1, 1),),
        (Leftover("s", np.int64(1)),),
        (),
        Kpis(),
    )
    data = orjson.loads(orjson.dumps(result_to_dict(result)))
    assert data["allocations"][0]["quantity"] == 2
    assert data["unmatched_supply"] == [{"supply_id": "s", "quantity": 1}]


def test_write_result_writes_the_result_json(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    write_result(_hand_made_result(), target)
    assert orjson.loads(target.read_bytes()) == result_to_dict(_hand_made_result())
    assert os.listdir(tmp_path) == ["result.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "result.json"
    target.write_text("old")

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_result(_hand_made_result(), target)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["result.json"]


def test_writing_into_a_missing_directory_fails_without_a_trace(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_json_atomic({"a": 1}, tmp_path / "missing" / "x.json")
    assert os.listdir(tmp_path) == []
