"""The synthetic instance generator: valid per the spec, deterministic, and shaped as promised."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.catalogue import entries_by_code, nearest_postcodes
from matcher.generate import DEFAULT_TODAY, HOME_PROVINCE, REGIMES, generate_instance
from matcher.io import parse_instance

NL_LAT = (50.70, 53.60)
NL_LON = (3.30, 7.30)


def check_instance(inst: dict[str, Any]) -> None:
    """The spec's rules, checked directly (independent of matcher.io), plus JSON-safety."""
    assert json.loads(json.dumps(inst)) == inst  # only JSON types, nothing numpy
    today = date.fromisoformat(inst["today"])
    materials = {m["code"]: m for m in inst["materials"]}
    assert len(materials) == len(inst["materials"])
    for m in materials.values():
        assert m["kg_per_unit"] > 0 and m["m3_per_unit"] > 0
        for sub in m.get("substitutes", []):
            assert sub["code"] in materials and sub["code"] != m["code"]
            assert materials[sub["code"]]["unit"] == m["unit"]
    ids: list[str] = []
    for s in inst["supply"]:
        ids.append(s["id"])
        assert s["material"] in materials
        assert type(s["quantity"]) is int and s["quantity"] >= 1
        assert s["condition"] in ("A", "B", "C")
        assert s["available_from"] <= s["available_until"]
        assert NL_LAT[0] < s["lat"] < NL_LAT[1] and NL_LON[0] < s["lon"] < NL_LON[1]
    for d in inst["demand"]:
        ids.append(d["id"])
        assert d["material"] in materials
        assert type(d["quantity"]) is int and d["quantity"] >= 1
        assert d["min_condition"] in ("A", "B", "C")
        assert d["needed_from"] <= d["needed_until"]
        assert date.fromisoformat(d["needed_from"]) >= today
        assert NL_LAT[0] < d["lat"] < NL_LAT[1] and NL_LON[0] < d["lon"] < NL_LON[1]
        if "max_distance_km" in d:
            assert 20 <= d["max_distance_km"] <= 60
    for dep in inst["depots"]:
        ids.append(dep["id"])
        assert NL_LAT[0] < dep["lat"] < NL_LAT[1] and NL_LON[0] < dep["lon"] < NL_LON[1]
        volume = 0.0
        for item in dep.get("stock", []):
            ids.append(item["id"])
            assert type(item["quantity"]) is int and item["quantity"] >= 1
            volume += item["quantity"] * materials[item["material"]]["m3_per_unit"]
        assert volume <= dep["capacity_m3"]
        assert 0.02 <= dep["holding_eur_per_m3_day"] <= 0.10
        assert 2.0 <= dep["handling_eur_per_tonne"] <= 6.0
    assert len(ids) == len(set(ids)), "ids must be unique across the instance"


@pytest.mark.parametrize("regime", REGIMES)
def test_every_regime_gives_a_valid_instance(regime: str) -> None:
    inst = generate_instance(400, 300, 6, seed=11, regime=regime)
    check_instance(inst)
    parsed = parse_instance(json.loads(json.dumps(inst)))
    assert len(parsed.supply) == 400 and len(parsed.demand) == 300
    assert len(parsed.depots) == (0 if regime == "nodepots" else 6)
    assert parsed.today == DEFAULT_TODAY


def test_the_same_seed_gives_the_same_instance_and_another_seed_another() -> None:
    first = generate_instance(200, 150, 4, seed=5)
    assert generate_instance(200, 150, 4, seed=5) == first
    other = generate_instance(200, 150, 4, seed=6)
    assert other != first
    assert [s["lat"] for s in other["supply"]] != [s["lat"] for s in first["supply"]]


def test_sizes_follow_the_arguments_including_zero() -> None:
    inst = generate_instance(0, 7, 0, seed=1)
    assert (len(inst["supply"]), len(inst["demand"]), len(inst["depots"])) == (0, 7, 0)
    check_instance(inst)
    parse_instance(inst)
    empty = generate_instance(0, 0, 2, seed=1)
    assert empty["supply"] == [] and empty["demand"] == [] and len(empty["depots"]) == 2
    parse_instance(empty)


def test_materials_are_those_in_use_plus_the_substitutes_they_name() -> None:
    inst = generate_instance(60, 40, 2, seed=3)
    used = {row["material"] for row in inst["supply"] + inst["demand"]}
    used |= {it["material"] for dep in inst["depots"] for it in dep.get("stock", [])}
    codes = {m["code"] for m in inst["materials"]}
    assert used <= codes
    closure = set(used)
    frontier = list(used)
    while frontier:
        for sub in entries_by_code()[frontier.pop()].substitutes:
            if sub.code not in closure:
                closure.add(sub.code)
                frontier.append(sub.code)
    assert codes == closure
    assert len(codes) < len(entries_by_code())  # not simply the whole catalogue


def test_today_moves_the_windows() -> None:
    base = generate_instance(50, 50, 1, seed=9)
    later = generate_instance(50, 50, 1, seed=9, today=date(2030, 6, 1))
    assert later["today"] == "2030-06-01"
    shift = date(2030, 6, 1) - DEFAULT_TODAY
    for a, b in zip(base["demand"], later["demand"], strict=True):
        assert date.fromisoformat(b["needed_from"]) - date.fromisoformat(a["needed_from"]) == shift


def test_small_instances_stay_in_the_home_province_large_ones_cover_the_country() -> None:
    def provinces(inst: dict[str, Any]) -> Counter[str]:
        rows = inst["supply"] + inst["demand"]
        idx, _, areas = nearest_postcodes([r["lat"] for r in rows], [r["lon"] for r in rows])
        return Counter(areas[i].province for i in idx.tolist())

    small = provinces(generate_instance(60, 60, 0, seed=2))
    assert small[HOME_PROVINCE] / sum(small.values()) > 0.7
    large = provinces(generate_instance(20_000, 20_000, 0, seed=2))
    assert large[HOME_PROVINCE] / sum(large.values()) < 0.4
    assert len(large) == 12  # every province
    top3 = {name for name, _ in large.most_common(3)}
    assert {"Zuid-Holland", "Noord-Holland"} <= top3  # the Randstad shows up


def test_listings_cluster_near_real_places() -> None:
    inst = generate_instance(2000, 0, 0, seed=4)
    rows = inst["supply"]
    _, km, _ = nearest_postcodes([r["lat"] for r in rows], [r["lon"] for r in rows])
    assert float(km.max()) <= 2.0 + 1e-9  # nothing out at sea


def test_tight_depots_are_small_and_default_depots_have_room() -> None:
    tight = generate_instance(100, 100, 12, seed=8, regime="tight")["depots"]
    roomy = generate_instance(100, 100, 12, seed=8)["depots"]
    assert all(30 <= d["capacity_m3"] <= 150 for d in tight)
    assert all(500 <= d["capacity_m3"] <= 5000 for d in roomy)
    assert any(d.get("stock") for d in tight) and any(d.get("stock") for d in roomy)
    assert sum(bool(d.get("stock")) for d in roomy) < len(roomy)  # a few, not all
    assert len({(d["lat"], d["lon"]) for d in roomy}) == 12
    assert all(d["name"].startswith("Gemeentewerf ") for d in roomy)


def test_the_substitution_regime_demands_materials_that_have_substitutes() -> None:
    def share(regime: str) -> float:
        demand = generate_instance(300, 1000, 2, seed=12, regime=regime)["demand"]
        with_subs = [d for d in demand if entries_by_code()[d["material"]].substitutes]
        return len(with_subs) / len(demand)

    assert share("substitution") > 0.7
    assert share("substitution") > 2 * share("default")


def test_attributes_and_requirements_only_on_steel_and_timber() -> None:
    inst = generate_instance(3000, 3000, 0, seed=13)
    with_attrs = [s for s in inst["supply"] if "attributes" in s]
    with_reqs = [d for d in inst["demand"] if "requirements" in d]
    assert with_attrs and with_reqs
    families = {entries_by_code()[r["material"]].family for r in with_attrs + with_reqs}
    assert families <= {"steel", "timber"}
    grades = {s["attributes"].get("steel_grade") for s in with_attrs} - {None}
    assert grades == {"S235", "S275", "S355"}
    for d in with_reqs:
        for req in d["requirements"].values():
            assert set(req) <= {"min", "max", "in"} and req


def test_some_supply_is_open_already_and_expired_windows_are_rare() -> None:
    inst = generate_instance(5000, 10, 0, seed=14)
    today = inst["today"]
    open_now = sum(s["available_from"] <= today <= s["available_until"] for s in inst["supply"])
    expired = sum(s["available_until"] < today for s in inst["supply"])
    assert 0.05 < open_now / 5000 < 0.3
    assert 0 < expired / 5000 < 0.03


def test_demand_windows_spread_over_the_year() -> None:
    inst = generate_instance(10, 3000, 0, seed=15)
    months = {d["needed_from"][:7] for d in inst["demand"]}
    assert len(months) >= 12


def test_progress_is_reported() -> None:
    messages: list[str] = []
    generate_instance(5, 5, 1, seed=1, progress=messages.append)
    assert any(m.startswith("supply") for m in messages) and messages[-1] == "assembling"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_supply": -1}, "n_supply"),
        ({"n_demand": 2.5}, "n_demand"),
        ({"n_depots": -3}, "n_depots"),
        ({"regime": "crowded"}, "regime"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"n_supply": 5, "n_demand": 5, "n_depots": 1, "seed": 1}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        generate_instance(**args)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_supply=st.integers(0, 60),
    n_demand=st.integers(0, 60),
    n_depots=st.integers(0, 8),
    seed=st.integers(0, 2**32 - 1),
    regime=st.sampled_from(REGIMES),
)
def test_any_small_instance_passes_validation(
    n_supply: int, n_demand: int, n_depots: int, seed: int, regime: str
) -> None:
    inst = generate_instance(n_supply, n_demand, n_depots, seed, regime=regime)
    check_instance(inst)
    parse_instance(inst)
