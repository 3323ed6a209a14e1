"""The matching API: runs (coordinators), proposals answered by their parties, check-in/out by
the depot's managers, notifications; refusals for everyone else."""

from __future__ import annotations

import pytest

from tests.web.conftest import auth
from tests.web.matching_builders import day, make_demand, make_depot, make_supply


@pytest.fixture
def world(app, users, project, other_project, tokens):  # type: ignore[no-untyped-def]
    depot = make_depot(users["coord"], [users["depot"]])
    make_supply(users["lead"], project, quantity=400, available_from=day(10).isoformat(),
                available_until=day(20).isoformat())
    make_demand(users["other_lead"], other_project, quantity=250,
                needed_from=day(40).isoformat(), needed_until=day(60).isoformat())
    return {"depot_id": depot.id, "tokens": tokens}


def test_the_whole_flow_through_the_api(client, world):
    t = world["tokens"]
    assert client.post("/api/v1/match-runs", json={}, headers=auth(t["lead"])).status_code == 403
    r = client.post("/api/v1/match-runs", json={}, headers=auth(t["coord"]))
    assert r.status_code == 201, r.json
    assert r.json["status"] == "succeeded" and r.json["n_proposals"] == 1
    run_id = r.json["id"]
    assert client.get(f"/api/v1/match-runs/{run_id}", headers=auth(t["coord"])).json["id"] == run_id

    mine = client.get("/api/v1/proposals", headers=auth(t["lead"])).json
    assert len(mine) == 1
    p = mine[0]
    assert p["route"] == "depot" and p["depot"]["id"] == world["depot_id"]
    assert p["pickup_date"] == day(20).isoformat() and p["delivery_date"] == day(40).isoformat()
    assert p["road_km"] > 0 and p["cost_eur"] > 0 and p["co2_kg"] > 0
    pid = p["id"]
    url = f"/api/v1/proposals/{pid}"

    assert client.get(url, headers=auth(t["coord"])).status_code == 200
    assert client.post(f"{url}/check-in", json={}, headers=auth(t["depot"])).status_code == 409
    r = client.post(f"{url}/accept", json={}, headers=auth(t["lead"]))
    assert r.status_code == 200 and r.json["supplier_decision"] == "accepted"
    assert r.json["status"] == "proposed"
    # a coordinator must say for which side; a party cannot answer the other side
    assert client.post(f"{url}/accept", json={}, headers=auth(t["coord"])).status_code == 422
    r = client.post(f"{url}/accept", json={"side": "receiver"}, headers=auth(t["lead"]))
    assert r.status_code == 403
    r = client.post(f"{url}/accept", json={}, headers=auth(t["other_lead"]))
    assert r.json["status"] == "accepted"

    assert client.post(f"{url}/check-in", json={}, headers=auth(t["lead"])).status_code == 403
    r = client.post(f"{url}/check-in", json={}, headers=auth(t["depot"]))
    assert r.status_code == 200 and r.json["status"] == "in_depot"
    dep = f"/api/v1/depots/{world['depot_id']}"
    stock = client.get(f"{dep}/stock", headers=auth(t["depot"])).json
    assert (stock["quantity"], stock["reserved"], stock["free"]) == (250, 250, 0)
    cap = client.get(f"{dep}/capacity?days=50", headers=auth(t["depot"])).json
    assert cap[0]["present_m3"] > 0 and cap[40]["present_m3"] == 0 and len(cap) == 50
    r = client.post(f"{url}/check-out", json={}, headers=auth(t["depot"]))
    assert r.json["status"] == "delivered"
    ledger = client.get(f"{dep}/ledger", headers=auth(t["depot"])).json
    assert [(x["kind"], x["balance_after"]) for x in ledger] == [("check_in", 250),
                                                                   ("check_out", 0)]
    assert client.post(f"{url}/close", json={}, headers=auth(t["lead"])).status_code == 403
    r = client.post(f"{url}/close", json={}, headers=auth(t["other_lead"]))
    assert r.json["status"] == "closed"

    notes = client.get("/api/v1/notifications", headers=auth(t["other_lead"])).json
    kinds = [n["kind"] for n in notes]
    assert kinds[-1] == "new_proposal" and "delivered" in kinds and "accepted" in kinds
    assert notes[-1]["subject"].startswith("Nieuw voorstel")  # Dutch first
    r = client.post("/api/v1/notifications/read", json={}, headers=auth(t["other_lead"]))
    assert r.json["marked"] == len(notes)
    assert client.get("/api/v1/notifications?unread=true",
                      headers=auth(t["other_lead"])).json == []


def test_outsiders_neither_see_nor_answer_a_proposal(client, world, users, app):
    from web.services.accounts import create_user, issue_token

    t = world["tokens"]
    client.post("/api/v1/match-runs", json={}, headers=auth(t["coord"]))
    pid = client.get("/api/v1/proposals", headers=auth(t["coord"])).json[0]["id"]
    stranger = create_user("x@example.nl", "X", "correct horse battery")
    token = issue_token(stranger)[0]
    assert client.get("/api/v1/proposals", headers=auth(token)).json == []
    assert client.get(f"/api/v1/proposals/{pid}", headers=auth(token)).status_code == 404
    assert client.post(f"/api/v1/proposals/{pid}/accept", json={},
                       headers=auth(token)).status_code == 404
    assert client.get("/api/v1/proposals").status_code == 401
    assert client.get("/api/v1/match-runs", headers=auth(t["lead"])).status_code == 403


def test_reject_ends_a_proposal_and_tells_both_sides(client, world):
    t = world["tokens"]
    client.post("/api/v1/match-runs", json={}, headers=auth(t["coord"]))
    pid = client.get("/api/v1/proposals", headers=auth(t["lead"])).json[0]["id"]
    r = client.post(f"/api/v1/proposals/{pid}/reject", json={"reason": "Te ver weg"},
                    headers=auth(t["other_lead"]))
    assert r.status_code == 200 and r.json["status"] == "rejected"
    assert r.json["reject_reason"] == "Te ver weg"
    notes = client.get("/api/v1/notifications", headers=auth(t["lead"])).json
    assert notes[0]["kind"] == "rejected" and "Te ver weg" in notes[0]["body"]
    r = client.post(f"/api/v1/proposals/{pid}/accept", json={}, headers=auth(t["lead"]))
    assert r.status_code == 409
    assert client.post(f"/api/v1/proposals/{pid}/reject", json={"bogus": 1},
                       headers=auth(t["lead"])).status_code == 422
