"""Projects and the catalogue over the API, as each role, with refusals and bad input."""

from __future__ import annotations

import pytest

from tests.web.conftest import auth, count
from web.models import Material, MaterialSubstitute, Project


@pytest.mark.parametrize(("body", "near"), [
    ({"name": "Sloop sporthal", "postcode": "7522 NB"}, (52.24, 6.85)),
    ({"name": "Plein", "place": "Oldenzaal"}, (52.31, 6.93)),
    ({"name": "Kade", "lat": 52.2, "lon": 6.7}, (52.2, 6.7)),
])
def test_a_project_lead_creates_a_project_at_a_postcode_place_or_point(client, tokens, body,
                                                                       near):
    r = client.post("/api/v1/projects", json=body, headers=auth(tokens["lead"]))
    assert r.status_code == 201, r.json
    assert abs(r.json["lat"] - near[0]) < 0.05 and abs(r.json["lon"] - near[1]) < 0.05
    mine = client.get("/api/v1/projects?mine=true", headers=auth(tokens["lead"])).json
    assert [p["name"] for p in mine["items"]] == [body["name"]]


@pytest.mark.parametrize(("body", "field"), [
    ({"postcode": "7522"}, "name"),
    ({"name": "X"}, "postcode"),
    ({"name": "X", "postcode": "ABCD"}, "postcode"),
    ({"name": "X", "postcode": "1000"}, "postcode"),
    ({"name": "X", "place": "Nergenshuizen"}, "place"),
    ({"name": "X", "lat": 52.2}, "lon"),
    ({"name": "X", "lat": 52.2, "lon": 500}, "lon"),
    ({"name": "", "place": "Hengelo"}, "name"),
    ({"name": "X", "place": "Hengelo", "colour": "red"}, "colour"),
])
def test_bad_project_input_gets_422_naming_the_field(client, tokens, body, field):
    r = client.post("/api/v1/projects", json=body, headers=auth(tokens["lead"]))
    assert r.status_code == 422, r.json
    assert field in r.json["errors"]["json"], r.json
    assert count(Project) == 0


def test_a_depot_manager_may_not_create_projects(client, tokens):
    r = client.post("/api/v1/projects", json={"name": "X", "place": "Hengelo"},
                    headers=auth(tokens["depot"]))
    assert r.status_code == 403 and count(Project) == 0


def test_only_lead_and_coordinator_change_a_project(client, tokens, project):
    url = f"/api/v1/projects/{project.id}"
    for role in ("other_lead", "depot"):
        r = client.patch(url, json={"name": "Weg"}, headers=auth(tokens[role]))
        assert r.status_code == 403
    assert client.patch(url, json={"place": "Almelo"},
                        headers=auth(tokens["coord"])).json["place"] == "Almelo"
    assert client.get(url, headers=auth(tokens["depot"])).json["name"] == "Renovatie Roombeek"
    assert client.get("/api/v1/projects/99999999",
                      headers=auth(tokens["lead"])).status_code == 404


def test_everyone_reads_the_catalogue_with_substitutes(client, tokens):
    r = client.get("/api/v1/materials?family=paving", headers=auth(tokens["depot"]))
    assert r.status_code == 200 and all(m["family"] == "paving" for m in r.json)
    tile = client.get("/api/v1/materials/tile-30x30", headers=auth(tokens["lead"])).json
    assert tile["eural_code"] == "17 01 01"
    assert tile["substitutes"] == [{"code": "tile-30x30-coloured",
                                    "penalty_eur_per_unit": pytest.approx(0.05)}]
    found = client.get("/api/v1/materials?q=betontegel", headers=auth(tokens["lead"])).json
    assert "tile-30x30" in [m["code"] for m in found]
    assert client.get("/api/v1/materials/nope", headers=auth(tokens["lead"])).status_code == 404


@pytest.mark.parametrize("role", ["lead", "depot"])
def test_only_coordinators_change_the_catalogue(client, tokens, role):
    before = count(Material)
    r = client.patch("/api/v1/materials/tile-30x30", json={"new_price_eur_per_unit": 9},
                     headers=auth(tokens[role]))
    assert r.status_code == 403
    assert client.post("/api/v1/materials", json={}, headers=auth(tokens[role])).status_code in (
        403, 422)
    assert count(Material) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"kg_per_unit": 0}, "kg_per_unit"),
    ({"m3_per_unit": -1}, "m3_per_unit"),
    ({"new_price_eur_per_unit": -1}, "new_price_eur_per_unit"),
    ({"embodied_kgco2e_per_kg": "veel"}, "embodied_kgco2e_per_kg"),
    ({"eural_code": "17-01-01"}, "eural_code"),
    ({"substitutes": {"tile-30x30": 0.1}}, "substitutes"),
    ({"substitutes": {"steel-hea200": -1}}, "substitutes"),
    ({"substitutes": {"nope": 0.1}}, "substitutes"),
    ({"name": ""}, "name"),
    ({"name": "Nieuwe naam", "substitutes": {"nope": 0.1}}, "substitutes"),
])
def test_bad_catalogue_edits_are_refused_and_change_nothing(client, tokens, db, body, field):
    r = client.patch("/api/v1/materials/tile-30x30", json=body, headers=auth(tokens["coord"]))
    assert r.status_code == 422, r.json
    assert field in r.json["errors"]["json"], r.json
    db.session.expire_all()
    tile = db.session.get(Material, "tile-30x30")
    assert tile.kg_per_unit > 0 and tile.eural_code == "17 01 01"
    assert tile.name == "Concrete paving tile 30x30x4.5 grey"
    assert [s.substitute_code for s in tile.substitutes] == ["tile-30x30-coloured"]


def test_a_coordinator_adds_a_material_and_sets_substitutes(client, tokens):
    body = {"code": "tile-50x50", "name": "Tile 50x50", "name_nl": "Tegel 50x50",
            "family": "paving", "eural_code": "17 01 01", "unit": "pcs", "kg_per_unit": 25,
            "m3_per_unit": 0.0125, "new_price_eur_per_unit": 3, "disposal_eur_per_unit": 0.3,
            "embodied_kgco2e_per_kg": 0.12, "substitutes": {"tile-30x30": 0.5}}
    r = client.post("/api/v1/materials", json=body, headers=auth(tokens["coord"]))
    assert r.status_code == 201, r.json
    assert r.json["substitutes"] == [{"code": "tile-30x30", "penalty_eur_per_unit": 0.5}]
    again = client.post("/api/v1/materials", json=body, headers=auth(tokens["coord"]))
    assert again.status_code == 422 and "code" in again.json["errors"]["json"]
    assert count(MaterialSubstitute) >= 2
