"""The depot API: coordinators create depots and name managers; managers see and change only
their own depot's stock; CSV exports; bad input named by field."""

from __future__ import annotations

import csv
import io

from tests.web.conftest import auth
from tests.web.matching_builders import make_depot


def test_coordinators_create_depots_and_managers_run_only_their_own(client, users, tokens):
    t = tokens
    body = {"name": "Depot Hengelo", "lat": 52.26, "lon": 6.79, "capacity_m3": 50}
    assert client.post("/api/v1/depots", json=body, headers=auth(t["depot"])).status_code == 403
    r = client.post("/api/v1/depots", json=body, headers=auth(t["coord"]))
    assert r.status_code == 201, r.json
    dep = f"/api/v1/depots/{r.json['id']}"
    bad = client.post("/api/v1/depots", json={"name": "X", "lat": 52, "lon": 6,
                                               "capacity_m3": -1}, headers=auth(t["coord"]))
    assert bad.status_code == 422 and "capacity_m3" in bad.json["errors"]["json"]

    # not yet its manager
    walk_in = {"material_code": "tile-30x30", "quantity": 100, "condition": "A"}
    assert client.post(f"{dep}/lots", json=walk_in, headers=auth(t["depot"])).status_code == 403
    assert client.get(f"{dep}/stock", headers=auth(t["depot"])).status_code == 403
    r = client.put(f"{dep}/managers", json={"user_ids": [users["lead"].id]},
                   headers=auth(t["coord"]))
    assert r.status_code == 422  # a project lead is no depot manager
    r = client.put(f"{dep}/managers", json={"user_ids": [users["depot"].id]},
                   headers=auth(t["coord"]))
    assert [m["email"] for m in r.json["managers"]] == ["depot@example.nl"]

    r = client.post(f"{dep}/lots", json=walk_in, headers=auth(t["depot"]))
    assert r.status_code == 201 and r.json["quantity"] == 100
    lot = r.json["id"]
    r = client.post(f"{dep}/lots", json={**walk_in, "material_code": "nope"},
                    headers=auth(t["depot"]))
    assert r.status_code == 422 and "material_code" in r.json["errors"]["json"]
    too_much = {**walk_in, "quantity": 20000}  # 81 m3 in a 50 m3 depot
    assert client.post(f"{dep}/lots", json=too_much, headers=auth(t["depot"])).status_code == 409

    r = client.post(f"{dep}/lots/{lot}/corrections", json={"quantity_delta": -5,
                    "reason": "5 gebroken bij telling"}, headers=auth(t["depot"]))
    assert r.status_code == 201 and r.json["balance_after"] == 95
    r = client.post(f"{dep}/lots/{lot}/corrections", json={"quantity_delta": -500,
                    "reason": "weg"}, headers=auth(t["depot"]))
    assert r.status_code == 409
    r = client.post(f"{dep}/lots/{lot}/corrections", json={"quantity_delta": 3},
                    headers=auth(t["depot"]))
    assert r.status_code == 422 and "reason" in r.json["errors"]["json"]

    stock = client.get(f"{dep}/stock", headers=auth(t["depot"])).json
    (row,) = stock["materials"]
    assert (row["material_code"], row["quantity"], row["free"]) == ("tile-30x30", 95, 95)
    assert row["by_condition"] == {"A": 95} and row["value_eur"] > 0

    text = client.get(f"{dep}/stock.csv", headers=auth(t["depot"]))
    assert text.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(text.get_data(as_text=True))))
    assert [(r["lot_id"], r["quantity"], r["condition"]) for r in rows] == [(str(lot), "95", "A")]
    ledger = list(csv.DictReader(io.StringIO(
        client.get(f"{dep}/ledger.csv", headers=auth(t["depot"])).get_data(as_text=True))))
    assert [(r["kind"], r["quantity_delta"], r["balance_after"]) for r in ledger] == [
        ("check_in", "100", "100"), ("correction", "-5", "95")]
    assert ledger[1]["reason"] == "5 gebroken bij telling"
    assert ledger[1]["actor"] == "depot@example.nl"

    # everyone may look the depot up; its stock is not for a project lead
    assert client.get("/api/v1/depots", headers=auth(t["lead"])).status_code == 200
    assert client.get(f"{dep}/ledger", headers=auth(t["lead"])).status_code == 403
    assert client.get(f"{dep}/stock.csv", headers=auth(t["lead"])).status_code == 403


def test_a_manager_of_one_depot_cannot_touch_another(client, users, tokens):
    mine = make_depot(users["coord"], [users["depot"]], name="Mijn depot")
    other = make_depot(users["coord"], name="Ander depot")
    walk_in = {"material_code": "tile-30x30", "quantity": 10}
    assert client.post(f"/api/v1/depots/{mine.id}/lots", json=walk_in,
                       headers=auth(tokens["depot"])).status_code == 201
    assert client.post(f"/api/v1/depots/{other.id}/lots", json=walk_in,
                       headers=auth(tokens["depot"])).status_code == 403
    assert client.patch(f"/api/v1/depots/{mine.id}", json={"capacity_m3": 1},
                        headers=auth(tokens["depot"])).status_code == 403
    r = client.patch(f"/api/v1/depots/{mine.id}", json={"capacity_m3": 80.5},
                     headers=auth(tokens["coord"]))
    assert r.status_code == 200 and r.json["capacity_m3"] == 80.5


def test_the_openapi_document_lists_and_validates_the_new_operations(client):
    from openapi_spec_validator import validate

    spec = client.get("/api/openapi.json").json
    validate(spec)
    for path in ("/api/v1/match-runs", "/api/v1/proposals/{proposal_id}/accept",
                 "/api/v1/depots/{depot_id}/capacity", "/api/v1/notifications"):
        assert path in spec["paths"]
