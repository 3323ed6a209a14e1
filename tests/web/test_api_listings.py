"""Supply and demand over the API, as each role: post, read, search, edit, publish, withdraw."""

from __future__ import annotations

import pytest

from tests.web.conftest import auth, count, demand_data, future, supply_data
from web.models import DemandListing, ListingEvent, SupplyListing

MODELS = {"supply": SupplyListing, "demand": DemandListing}
DATA = {"supply": supply_data, "demand": demand_data}


def post(client, token, kind, data):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/{kind}", json=data, headers=auth(token))


@pytest.mark.parametrize("kind", ["supply", "demand"])
def test_a_project_lead_posts_and_reads_a_listing(client, tokens, project, kind):
    r = post(client, tokens["lead"], kind, DATA[kind](project.id))
    assert r.status_code == 201, r.json
    body = r.json
    assert (body["kind"], body["status"], body["quantity_free"]) == (kind, "open", body["quantity"])
    assert body["material"]["code"] == "tile-30x30"
    got = client.get(f"/api/v1/{kind}/{body['id']}", headers=auth(tokens["depot"]))
    assert got.status_code == 200 and got.json["title"] == body["title"]


@pytest.mark.parametrize("kind", ["supply", "demand"])
@pytest.mark.parametrize("role", ["depot", "other_lead"])
def test_others_cannot_post_for_a_project_that_is_not_theirs(client, tokens, project, kind, role):
    r = post(client, tokens[role], kind, DATA[kind](project.id))
    assert r.status_code == 422
    assert "project_id" in r.json["errors"]["json"]
    assert count(MODELS[kind]) == 0


@pytest.mark.parametrize(("kind", "overrides", "field"), [
    ("supply", {"quantity": 2.5}, "quantity"),
    ("supply", {"quantity": "10"}, "quantity"),
    ("supply", {"quantity": 0}, "quantity"),
    ("supply", {"available_from": "morgen"}, "available_from"),
    ("supply", {"condition": "Z"}, "condition"),
    ("supply", {"mounting": "gespijkerd"}, "mounting"),
    ("supply", {"material_code": "unobtainium"}, "material_code"),
    ("supply", {"available_until": future(1).isoformat()}, "available_until"),
    ("supply", {"location": "Atlantis"}, "location"),
    ("supply", {"lat": 100.0, "lon": 6.0}, "lat"),
    ("supply", {"unexpected": 1}, "unexpected"),
    ("supply", {"status": "closed"}, "status"),
    ("supply", {"attributes": {"x": {"nested": 1}}}, "attributes"),
    ("demand", {"max_distance_km": -3}, "max_distance_km"),
    ("demand", {"min_condition": "AA"}, "min_condition"),
    ("demand", {"requirements": {"length_m": {"min": "lang"}}}, "requirements"),
    ("demand", {"accepted_mountings": ["gespijkerd"]}, "accepted_mountings"),
    ("demand", {"needed_until": None}, "needed_until"),
])
def test_bad_input_gets_422_naming_the_field_and_writes_nothing(
    client, tokens, project, kind, overrides, field
):
    r = post(client, tokens["lead"], kind, DATA[kind](project.id, **overrides))
    assert r.status_code == 422, r.json
    assert field in r.json["errors"]["json"], r.json
    assert count(MODELS[kind]) == 0 and count(ListingEvent) == 0


def test_a_body_that_is_not_json_gets_an_error_and_writes_nothing(client, tokens, project):
    r = client.post("/api/v1/supply", data="{kapot", content_type="application/json",
                    headers=auth(tokens["lead"]))
    assert r.status_code in (400, 422)
    assert count(SupplyListing) == 0


@pytest.fixture
def listing(client, tokens, project):  # type: ignore[no-untyped-def]
    return post(client, tokens["lead"], "supply", supply_data(project.id)).json


@pytest.mark.parametrize("role", ["lead", "coord"])
def test_owner_and_coordinator_may_edit(client, tokens, listing, role):
    r = client.patch(f"/api/v1/supply/{listing['id']}", json={"quantity": 10},
                     headers=auth(tokens[role]))
    assert r.status_code == 200 and r.json["quantity"] == 10


@pytest.mark.parametrize("role", ["other_lead", "depot"])
@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("patch", "", {"quantity": 10}),
    ("post", "/withdraw", {}),
    ("post", "/publish", None),
])
def test_others_get_403_and_nothing_changes(client, tokens, listing, role, method, suffix, body):
    url = f"/api/v1/supply/{listing['id']}{suffix}"
    r = getattr(client, method)(url, json=body, headers=auth(tokens[role]))
    assert r.status_code == 403
    assert client.get(f"/api/v1/supply/{listing['id']}",
                      headers=auth(tokens["lead"])).json["quantity"] == 400
    assert count(ListingEvent) == 1


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("get", "", None), ("patch", "", {"quantity": 1}), ("post", "/withdraw", {}),
    ("post", "/publish", None), ("get", "/events", None),
])
def test_unknown_listings_get_404(client, tokens, method, suffix, body):
    r = getattr(client, method)(f"/api/v1/demand/99999999{suffix}", json=body,
                                headers=auth(tokens["coord"]))
    assert r.status_code == 404 and r.json["code"] == 404


def test_a_draft_is_invisible_to_others_until_published(client, tokens, project):
    draft = post(client, tokens["lead"], "demand", demand_data(project.id, status="draft")).json
    url = f"/api/v1/demand/{draft['id']}"
    assert client.get(url, headers=auth(tokens["other_lead"])).status_code == 404
    assert client.get(url, headers=auth(tokens["coord"])).status_code == 200
    assert client.post(url + "/publish", headers=auth(tokens["lead"])).json["status"] == "open"
    assert client.get(url, headers=auth(tokens["other_lead"])).status_code == 200


def test_withdraw_then_edit_is_a_conflict_and_the_history_shows_it(client, tokens, listing):
    url = f"/api/v1/supply/{listing['id']}"
    r = client.post(url + "/withdraw", json={"note": "verkocht"}, headers=auth(tokens["lead"]))
    assert r.status_code == 200 and r.json["status"] == "withdrawn"
    assert client.post(url + "/withdraw", json={}, headers=auth(tokens["lead"])).status_code == 409
    assert client.patch(url, json={"quantity": 5}, headers=auth(tokens["lead"])).status_code == 409
    events = client.get(url + "/events", headers=auth(tokens["lead"])).json
    assert [(e["action"], e["new_status"]) for e in events] == [
        ("created", "open"), ("withdrawn", "withdrawn")]
    assert events[1]["note"] == "verkocht"


def test_search_near_a_postcode_pages_and_filters(client, tokens, project, other_project):
    for i in range(3):
        post(client, tokens["lead"], "supply", supply_data(project.id, quantity=10 + i))
    post(client, tokens["other_lead"], "supply",
         supply_data(other_project.id, material_code="brick-wf", condition="A"))
    h = auth(tokens["depot"])
    r = client.get("/api/v1/supply?near=7511AB&radius_km=25&per_page=2", headers=h)
    assert r.status_code == 200
    assert r.json["meta"] == {"page": 1, "per_page": 2, "total": 4, "pages": 2}
    kms = [item["distance_km"] for item in r.json["items"]]
    assert kms == sorted(kms)
    page2 = client.get("/api/v1/supply?near=7511AB&radius_km=25&per_page=2&page=2", headers=h)
    assert len(page2.json["items"]) == 2
    assert client.get("/api/v1/supply?material=brick-wf", headers=h).json["meta"]["total"] == 1
    assert client.get("/api/v1/supply?condition=A", headers=h).json["meta"]["total"] == 1
    assert client.get("/api/v1/supply?family=masonry", headers=h).json["meta"]["total"] == 1
    w = client.get(f"/api/v1/supply?from={future(50).isoformat()}", headers=h)
    assert w.json["meta"]["total"] == 0
    far = client.get("/api/v1/supply?near=Groningen&radius_km=25", headers=h)
    assert far.json["meta"]["total"] == 0


@pytest.mark.parametrize("query,field", [
    ("near=Nergenshuizen", "near"),
    ("near=7511&radius_km=-1", "radius_km"),
    ("radius_km=10", "near"),
    ("per_page=1000", "per_page"),
    ("page=0", "page"),
    ("condition=E", "condition"),
    ("from=2027-05-02&until=2027-05-01", "until"),
    ("from=gisteren", "from"),
    ("status=gone", "status"),
])
def test_bad_search_arguments_get_422_naming_the_field(client, tokens, query, field):
    r = client.get(f"/api/v1/supply?{query}", headers=auth(tokens["lead"]))
    assert r.status_code == 422, r.json
    errors = r.json["errors"]
    assert field in errors.get("query", errors.get("json", {})), r.json


def test_unexpected_errors_answer_500_json_without_a_traceback(app, client, tokens, monkeypatch):
    from web.services import listings

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    monkeypatch.setattr(listings, "search_listings", broken)
    r = client.get("/api/v1/supply", headers=auth(tokens["lead"]))
    assert r.status_code == 500
    text = r.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text
