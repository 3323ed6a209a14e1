"""'My proposals' and the messages page, as each role and anonymous: what each party sees, the
answers and the steps after them, refusals, bad input (nothing written) and CSRF."""

from __future__ import annotations

import pytest

from tests.web.conftest import count
from tests.web.page_helpers import field_error, log_in, text_of
from tests.web.proposal_scene import accept_both, depot_scene, direct_scene, outsider


@pytest.fixture
def scene(users, project, other_project):  # type: ignore[no-untyped-def]
    return {**users, **depot_scene(users, project, other_project)}


@pytest.fixture
def direct(users, project, other_project):  # type: ignore[no-untyped-def]
    return {**users, **direct_scene(users, project, other_project)}


def _reload(db, proposal):  # type: ignore[no-untyped-def]
    from web.models import Proposal

    db.session.expire_all()
    return db.session.get(Proposal, proposal.id)


# ----------------------------------------------------------------------------- who sees what


@pytest.mark.parametrize("path", ["/proposals/", "/proposals/{id}", "/proposals/{id}/reject",
                                  "/notifications/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, scene, path):
    response = client.get(path.format(id=scene["proposal"].id))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("action", ["accept", "reject", "schedule", "deliver", "close"])
def test_anonymous_posts_change_nothing(client, scene, db, action):
    p = scene["proposal"]
    response = client.post(f"/proposals/{p.id}/{action}", data={"side": "supplier"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    p = _reload(db, p)
    assert (p.status.value, p.supplier_decision.value) == ("proposed", "pending")


def test_the_supplier_sees_the_proposal_with_route_distance_dates_cost_and_co2(client, scene):
    p = scene["proposal"]
    log_in(client, scene["lead"])
    response = client.get("/proposals/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Mijn voorstellen" in page
    assert f"Voorstel {p.id}: 250 stuks" in page
    assert "via depot Depot Twentekanaal" in page
    assert "Betontegels 30x30 uit schoolplein" in page and "Tegels voor nieuw plein" in page
    assert f"{p.road_km:.1f}".replace(".", ",") + " km" in page
    assert "Ophalen" in page and "Levering" in page and "Kosten" in page and "CO₂" in page
    assert "Wacht op antwoorden" in page and "nog geen antwoord" in page
    html = response.get_data(as_text=True)
    assert f'action="/proposals/{p.id}/accept"' in html
    assert f'href="/proposals/{p.id}/reject?side=supplier"' in html


def test_the_receiver_and_the_depot_manager_see_it_too(client, scene):
    p = scene["proposal"]
    log_in(client, scene["other_lead"])
    assert f"Voorstel {p.id}" in text_of(client.get("/proposals/"))
    client.post("/logout")
    log_in(client, scene["depot"])
    response = client.get(f"/proposals/{p.id}")
    assert response.status_code == 200
    # the manager of a depot route sees it but does not answer it
    assert f'/proposals/{p.id}/accept' not in response.get_data(as_text=True)


def test_an_outsider_neither_sees_nor_answers_someone_elses_proposal(client, scene, db):
    p = scene["proposal"]
    log_in(client, outsider())
    assert f"Voorstel {p.id}" not in text_of(client.get("/proposals/?tab=all"))
    response = client.get(f"/proposals/{p.id}")
    assert response.status_code == 403
    assert "Niet toegestaan" in text_of(response)
    for action in ("accept", "schedule", "deliver", "close"):
        assert client.post(f"/proposals/{p.id}/{action}").status_code == 403
    assert client.get(f"/proposals/{p.id}/reject").status_code == 403
    assert client.post(f"/proposals/{p.id}/reject", data={"reason": "x"}).status_code == 403
    p = _reload(db, p)
    assert (p.status.value, p.supplier_decision.value, p.receiver_decision.value) == (
        "proposed", "pending", "pending")


def test_an_unknown_proposal_is_a_404(client, scene):
    log_in(client, scene["lead"])
    assert client.get("/proposals/999999").status_code == 404
    assert client.post("/proposals/999999/accept").status_code == 404


def test_the_coordinator_answers_for_either_side(client, scene):
    p = scene["proposal"]
    log_in(client, scene["coord"])
    page = text_of(client.get(f"/proposals/{p.id}"))
    assert "Accepteren (leverancier)" in page and "Accepteren (ontvanger)" in page


def test_the_tabs_sort_proposals_by_state(client, scene):
    p = scene["proposal"]
    log_in(client, scene["lead"])
    assert f"Voorstel {p.id}" in text_of(client.get("/proposals/?tab=open"))
    assert f"Voorstel {p.id}" not in text_of(client.get("/proposals/?tab=running"))
    assert f"Voorstel {p.id}" in text_of(client.get("/proposals/?tab=nonsense"))  # open
    accept_both(scene, p.id)
    assert f"Voorstel {p.id}" not in text_of(client.get("/proposals/?tab=open"))
    assert f"Voorstel {p.id}" in text_of(client.get("/proposals/?tab=running"))


# ----------------------------------------------------------------------------- answers


def test_both_accept_in_turn_and_the_material_is_reserved(client, scene, db):
    from web.models import DemandListing, SupplyListing

    p = scene["proposal"]
    log_in(client, scene["lead"])
    response = client.post(f"/proposals/{p.id}/accept", follow_redirects=True)
    assert "U hebt geaccepteerd. We wachten op de andere partij." in text_of(response)
    p = _reload(db, p)
    assert (p.status.value, p.supplier_decision.value) == ("proposed", "accepted")
    assert db.session.get(SupplyListing, scene["supply"].id).reserved_quantity == 0
    # accepted once: no second accept button for this side
    assert f'action="/proposals/{p.id}/accept"' not in response.get_data(as_text=True)

    client.post("/logout")
    log_in(client, scene["other_lead"])
    response = client.post(f"/proposals/{p.id}/accept", follow_redirects=True)
    page = text_of(response)
    assert "Beide partijen hebben geaccepteerd: het materiaal is gereserveerd." in page
    assert "Door beide geaccepteerd" in page
    p = _reload(db, p)
    assert p.status.value == "accepted"
    assert db.session.get(SupplyListing, scene["supply"].id).reserved_quantity == 250
    assert db.session.get(DemandListing, scene["demand"].id).reserved_quantity == 250


def test_after_both_accept_the_supplier_plans_and_the_depot_manager_checks_in(client, scene, db):
    p = scene["proposal"]
    accept_both(scene, p.id)
    log_in(client, scene["other_lead"])
    page = text_of(client.get(f"/proposals/{p.id}"))
    assert "Transport is gepland" not in page and "Inboeken" not in page
    # the receiver cannot plan the transport
    assert client.post(f"/proposals/{p.id}/schedule").status_code == 403
    client.post("/logout")
    log_in(client, scene["lead"])
    assert "Transport is gepland" in text_of(client.get(f"/proposals/{p.id}"))
    response = client.post(f"/proposals/{p.id}/schedule", follow_redirects=True)
    assert "Het transport staat als gepland." in text_of(response)
    assert _reload(db, p).status.value == "scheduled"
    client.post("/logout")
    log_in(client, scene["depot"])
    html = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert f'/depots/{scene["the_depot"].id}/proposals/{p.id}/check-in' in html


def test_reject_asks_to_confirm_and_keeps_the_reason(client, scene, db):
    p = scene["proposal"]
    log_in(client, scene["other_lead"])
    response = client.get(f"/proposals/{p.id}/reject")
    assert response.status_code == 200
    assert "Afwijzen beëindigt dit voorstel voor beide partijen" in text_of(response)
    assert _reload(db, p).status.value == "proposed"  # asking changed nothing
    response = client.post(f"/proposals/{p.id}/reject", data={"reason": "Te ver weg"},
                           follow_redirects=True)
    assert "U hebt het voorstel afgewezen." in text_of(response)
    p = _reload(db, p)
    assert (p.status.value, p.receiver_decision.value, p.reject_reason) == (
        "rejected", "rejected", "Te ver weg")
    assert "Te ver weg" in text_of(response)


def test_a_reason_that_is_too_long_is_refused_and_nothing_changes(client, scene, db):
    from web.models import Notification

    p = scene["proposal"]
    before = count(Notification)
    log_in(client, scene["other_lead"])
    response = client.post(f"/proposals/{p.id}/reject", data={"reason": "x" * 2001})
    assert response.status_code == 422
    assert field_error(response, "reason") == "Gebruik hoogstens 2000 tekens."
    p = _reload(db, p)
    assert p.status.value == "proposed" and count(Notification) == before


def test_a_bad_side_is_refused(client, scene, db):
    p = scene["proposal"]
    log_in(client, scene["coord"])
    assert client.post(f"/proposals/{p.id}/accept", data={"side": "both"}).status_code == 400
    assert _reload(db, p).supplier_decision.value == "pending"


def test_answering_a_rejected_proposal_says_why_and_changes_nothing(client, scene, db):
    from web.services import matching

    p = scene["proposal"]
    matching.reject_proposal(scene["other_lead"], p.id)
    log_in(client, scene["lead"])
    response = client.post(f"/proposals/{p.id}/accept", follow_redirects=True)
    assert "kan niet meer worden beantwoord" in text_of(response)
    p = _reload(db, p)
    assert (p.status.value, p.supplier_decision.value) == ("rejected", "pending")


def test_a_direct_route_is_planned_delivered_and_closed_by_the_right_parties(client, direct, db):
    p = direct["proposal"]
    accept_both(direct, p.id)
    log_in(client, direct["lead"])
    page = text_of(client.get(f"/proposals/{p.id}"))
    assert "rechtstreeks" in page
    assert "Levering bevestigen" not in page
    client.post(f"/proposals/{p.id}/schedule")
    # the supplier cannot confirm the delivery or close
    assert client.post(f"/proposals/{p.id}/deliver").status_code == 403
    assert _reload(db, p).status.value == "scheduled"
    client.post("/logout")
    log_in(client, direct["other_lead"])
    assert client.post(f"/proposals/{p.id}/close", follow_redirects=True).status_code == 200
    assert _reload(db, p).status.value == "scheduled"  # not delivered yet: refused, flashed
    response = client.post(f"/proposals/{p.id}/deliver", follow_redirects=True)
    assert "De levering is bevestigd." in text_of(response)
    assert "Afsluiten" in text_of(response)
    response = client.post(f"/proposals/{p.id}/close", follow_redirects=True)
    assert "Het voorstel is afgesloten." in text_of(response)
    assert _reload(db, p).status.value == "closed"


def test_posts_without_a_csrf_token_are_refused(app, client, scene, db):
    p = scene["proposal"]
    log_in(client, scene["lead"])
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/proposals/{p.id}/accept").status_code == 400
    assert client.post(f"/proposals/{p.id}/reject", data={"reason": "x"}).status_code == 400
    app.config["WTF_CSRF_ENABLED"] = False
    p = _reload(db, p)
    assert (p.status.value, p.supplier_decision.value) == ("proposed", "pending")


def test_pages_are_english_on_request(client, scene):
    p = scene["proposal"]
    log_in(client, scene["lead"])
    page = text_of(client.get("/proposals/?lang=en"))
    assert "My proposals" in page and "through depot Depot Twentekanaal" in page
    assert f"Proposal {p.id}" in page


# ----------------------------------------------------------------------------- messages


def test_messages_are_listed_and_counted_in_the_nav(client, scene):
    log_in(client, scene["other_lead"])
    response = client.get("/notifications/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Berichten" in page and "Nieuw voorstel: 250 pcs" in page
    html = response.get_data(as_text=True)
    assert '<span class="badge count" id="unread-count">1' in html
    response = client.post("/notifications/read", follow_redirects=True)
    assert "1 bericht als gelezen gemarkeerd." in text_of(response)
    assert 'id="unread-count"' not in response.get_data(as_text=True)


def test_messages_show_only_the_users_own(client, scene):
    log_in(client, outsider())
    page = text_of(client.get("/notifications/"))
    assert "Nog geen berichten." in page and "Nieuw voorstel" not in page
