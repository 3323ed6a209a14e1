"""The depot pages as each role and anonymous: the list, the stock page with its capacity chart
and ledger, walk-in stock and corrections (bad input writes nothing), check-in and check-out from
an accepted depot route, and the CSV exports."""

from __future__ import annotations

import pytest

from tests.web.conftest import count
from tests.web.matching_builders import make_depot
from tests.web.page_helpers import field_error, field_value, log_in, text_of
from tests.web.proposal_scene import accept_both, depot_scene


@pytest.fixture
def depot(users):  # type: ignore[no-untyped-def]
    return make_depot(users["coord"], [users["depot"]])


@pytest.fixture
def elsewhere(users):  # type: ignore[no-untyped-def]
    """A depot someone else manages."""
    return make_depot(users["coord"], [], name="Depot Almelo", lat=52.35, lon=6.66)


def _walk_in(user, depot, quantity=100, code="tile-30x30"):  # type: ignore[no-untyped-def]
    from web.services import depots

    return depots.add_walk_in(user, depot.id, {"material_code": code, "quantity": quantity})


def _ledger_lines() -> int:
    from web.models import StockLedgerEntry

    return count(StockLedgerEntry)


def _pages(depot_id: int, lot_id: int = 0) -> list[str]:
    return [f"/depots/{depot_id}", f"/depots/{depot_id}/ledger", f"/depots/{depot_id}/walk-in",
            f"/depots/{depot_id}/stock.csv", f"/depots/{depot_id}/ledger.csv",
            f"/depots/{depot_id}/lots/{lot_id}/correct"]


# ----------------------------------------------------------------------------- who sees what


def test_anonymous_visitors_are_sent_to_the_login_page(client, users, depot):
    lot = _walk_in(users["depot"], depot)
    for path in ["/depots/", *_pages(depot.id, lot.id)]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


def test_project_leads_are_refused(client, users, depot):
    lot = _walk_in(users["depot"], depot)
    log_in(client, users["lead"])
    for path in ["/depots/", *_pages(depot.id, lot.id)]:
        response = client.get(path)
        assert response.status_code == 403, path
    assert "Niet toegestaan" in text_of(client.get("/depots/"))
    assert "Depots" not in text_of(client.get("/")).split("Inloggen")[0].split("Uitloggen")[0]


def test_a_manager_sees_only_their_own_depots(client, users, depot, elsewhere):
    lot = _walk_in(users["coord"], elsewhere)
    log_in(client, users["depot"])
    page = text_of(client.get("/depots/"))
    assert "Depot Twentekanaal" in page and "Depot Almelo" not in page
    for path in _pages(elsewhere.id, lot.id):
        assert client.get(path).status_code == 403, path
    before = _ledger_lines()
    response = client.post(f"/depots/{elsewhere.id}/walk-in",
                           data={"material_code": "tile-30x30", "quantity": "5"})
    assert response.status_code == 403
    assert client.post(f"/depots/{elsewhere.id}/lots/{lot.id}/correct",
                       data={"quantity_delta": "-1", "reason": "kapot"}).status_code == 403
    assert _ledger_lines() == before


def test_the_coordinator_sees_every_depot(client, users, depot, elsewhere):
    log_in(client, users["coord"])
    page = text_of(client.get("/depots/"))
    assert "Depot Twentekanaal" in page and "Depot Almelo" in page
    assert client.get(f"/depots/{elsewhere.id}").status_code == 200


def test_unknown_depots_lots_and_proposals_are_404(client, users, depot, elsewhere):
    other_lot = _walk_in(users["coord"], elsewhere)
    log_in(client, users["coord"])
    assert client.get("/depots/999999").status_code == 404
    assert client.get(f"/depots/{depot.id}/lots/999999/correct").status_code == 404
    # a lot of another depot is not this depot's lot
    assert client.get(f"/depots/{depot.id}/lots/{other_lot.id}/correct").status_code == 404
    assert client.get(f"/depots/{depot.id}/proposals/999999/check-in").status_code == 404


def test_the_nav_shows_depots_to_managers_and_runs_to_coordinators(client, users):
    log_in(client, users["depot"])
    html = client.get("/").get_data(as_text=True)
    assert 'href="/depots/"' in html and 'href="/runs/"' not in html
    assert 'href="/proposals/"' in html
    client.post("/logout")
    log_in(client, users["coord"])
    html = client.get("/").get_data(as_text=True)
    assert 'href="/depots/"' in html and 'href="/runs/"' in html


# ----------------------------------------------------------------------------- the stock page


def test_the_stock_page_shows_totals_chart_and_ledger(client, users, depot):
    _walk_in(users["depot"], depot, quantity=120)
    log_in(client, users["depot"])
    response = client.get(f"/depots/{depot.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Voorraad per materiaal" in page
    assert "Betontegel 30x30x4,5 grijs" in page
    assert "120 stuks" in page
    assert "Bezetting de komende zes weken" in page
    assert "met de hand ingeboekt" in page and "Dirk Depot" in page  # ledger: why and who
    html = response.get_data(as_text=True)
    assert '<svg class="chart capacity"' in html and 'class="capacity-line"' in html
    assert html.count('class="free') == 42  # a bar of free stock on every day of six weeks
    assert f'href="/depots/{depot.id}/stock.csv"' in html


def test_the_chart_shows_planned_arrivals_and_departures(client, users, project, other_project):
    scene = {**users, **depot_scene(users, project, other_project)}
    accept_both(scene, scene["proposal"].id)
    log_in(client, users["depot"])
    response = client.get(f"/depots/{scene['the_depot'].id}")
    html = response.get_data(as_text=True)
    assert html.count('class="promised') == 20  # days 20..39: promised room for the route
    assert html.count('class="arrive"') == 1 and html.count('class="leave"') == 1
    page = text_of(response)
    assert "Geplande aankomsten en vertrekken" in page
    assert f"Voorstel {scene['proposal'].id}" in page and "Inboeken" in page


def test_the_csv_exports_are_csv(client, users, depot):
    _walk_in(users["depot"], depot, quantity=7)
    log_in(client, users["depot"])
    stock = client.get(f"/depots/{depot.id}/stock.csv")
    assert stock.status_code == 200 and stock.mimetype == "text/csv"
    lines = stock.get_data(as_text=True).splitlines()
    assert lines[0].startswith("lot_id,material_code") and len(lines) == 2
    ledger = client.get(f"/depots/{depot.id}/ledger.csv")
    assert ledger.mimetype == "text/csv"
    assert "check_in,7,7,0,,depot@example.nl,walk-in" in ledger.get_data(as_text=True)


# ----------------------------------------------------------------------------- walk-in stock


def test_walk_in_stock_is_checked_in(client, users, depot, db):
    from web.models import StockLot

    log_in(client, users["depot"])
    assert client.get(f"/depots/{depot.id}/walk-in").status_code == 200
    response = client.post(f"/depots/{depot.id}/walk-in", data={
        "material_code": "tile-30x30", "quantity": "35", "condition": "A",
        "received_on": "", "description": "Van de gemeentewerf"}, follow_redirects=True)
    assert "35 stuks Betontegel 30x30x4,5 grijs ingeboekt." in text_of(response)
    (lot,) = db.session.scalars(db.select(StockLot)).all()
    assert (lot.quantity, lot.condition.value, lot.description) == (35, "A", "Van de gemeentewerf")
    assert _ledger_lines() == 1


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"material_code": "tile-30x30", "quantity": "veel"}, "quantity", "Vul een heel getal in."),
    ({"material_code": "tile-30x30", "quantity": ""}, "quantity", "Vul een heel getal in."),
    ({"material_code": "tile-30x30", "quantity": "0"}, "quantity", "Moet minstens 1 zijn."),
    ({"material_code": "", "quantity": "5"}, "material_code",
     "Kies een materiaal uit de catalogus."),
    ({"material_code": "no-such", "quantity": "5"}, "material_code",
     "Kies een materiaal uit de catalogus."),
    ({"material_code": "tile-30x30", "quantity": "5", "received_on": "gisteren"}, "received_on",
     "Vul een datum in als JJJJ-MM-DD."),
])
def test_bad_walk_in_input_names_the_field_keeps_the_text_and_writes_nothing(
        client, users, depot, data, field, message):
    from web.models import StockLot

    log_in(client, users["depot"])
    response = client.post(f"/depots/{depot.id}/walk-in", data={"condition": "B", **data})
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert "Corrigeer het volgende:" in text_of(response)
    if field != "material_code":
        assert field_value(response, field) == data[field]
    assert count(StockLot) == 0 and _ledger_lines() == 0


def test_walk_in_stock_that_does_not_fit_is_refused(client, users, depot):
    from web.models import StockLot

    log_in(client, users["depot"])
    response = client.post(f"/depots/{depot.id}/walk-in",
                           data={"material_code": "tile-30x30", "quantity": "9999999"})
    assert response.status_code == 422
    assert "heeft geen ruimte" in text_of(response)
    assert field_value(response, "quantity") == "9999999"
    assert count(StockLot) == 0 and _ledger_lines() == 0


# ----------------------------------------------------------------------------- corrections


def test_a_correction_with_a_reason_is_a_new_ledger_line(client, users, depot, db):
    lot = _walk_in(users["depot"], depot, quantity=50)
    log_in(client, users["depot"])
    assert client.get(f"/depots/{depot.id}/lots/{lot.id}/correct").status_code == 200
    response = client.post(f"/depots/{depot.id}/lots/{lot.id}/correct",
                           data={"quantity_delta": "-3", "reason": "Drie gebroken bij telling"},
                           follow_redirects=True)
    assert "De correctie is aan het grootboek toegevoegd." in text_of(response)
    assert "Drie gebroken bij telling" in text_of(response)
    db.session.expire_all()
    assert lot.quantity == 47 and _ledger_lines() == 2


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"quantity_delta": "-3", "reason": ""}, "reason",
     "Geef aan waarom de voorraad wordt gecorrigeerd."),
    ({"quantity_delta": "-3", "reason": "   "}, "reason",
     "Geef aan waarom de voorraad wordt gecorrigeerd."),
    ({"quantity_delta": "drie", "reason": "telling"}, "quantity_delta", "Vul een heel getal in."),
    ({"quantity_delta": "0", "reason": "telling"}, "quantity_delta", "Mag niet 0 zijn."),
])
def test_a_bad_correction_names_the_field_and_writes_nothing(client, users, depot, db, data,
                                                             field, message):
    lot = _walk_in(users["depot"], depot, quantity=50)
    log_in(client, users["depot"])
    response = client.post(f"/depots/{depot.id}/lots/{lot.id}/correct", data=data)
    assert response.status_code == 422
    assert field_error(response, field) == message
    assert field_value(response, "quantity_delta") == data["quantity_delta"]
    db.session.expire_all()
    assert lot.quantity == 50 and _ledger_lines() == 1


def test_a_correction_cannot_take_away_promised_or_absent_units(client, users, depot, db):
    lot = _walk_in(users["depot"], depot, quantity=5)
    log_in(client, users["depot"])
    response = client.post(f"/depots/{depot.id}/lots/{lot.id}/correct",
                           data={"quantity_delta": "-6", "reason": "kwijt"})
    assert response.status_code == 422
    assert "Er zijn maar 5 eenheden op voorraad." in text_of(response)
    db.session.expire_all()
    assert lot.quantity == 5 and _ledger_lines() == 1


# ----------------------------------------------------------------------------- check-in/out


@pytest.fixture
def accepted(users, project, other_project):  # type: ignore[no-untyped-def]
    scene = {**users, **depot_scene(users, project, other_project)}
    accept_both(scene, scene["proposal"].id)
    return scene


def test_check_in_and_out_of_an_accepted_depot_route(client, accepted, db):
    from web.models import Proposal

    depot, p = accepted["the_depot"], accepted["proposal"]
    log_in(client, accepted["depot"])
    base = f"/depots/{depot.id}/proposals/{p.id}"
    # checking out before checking in is refused, with the reason, and writes nothing
    response = client.post(f"{base}/check-out", follow_redirects=True)
    assert "Meld de eenheden eerst in" in text_of(response)
    assert _ledger_lines() == 0
    response = client.get(f"{base}/check-in")
    assert response.status_code == 200 and "Bevestig dat deze eenheden" in text_of(response)
    assert _ledger_lines() == 0  # asking writes nothing
    response = client.post(f"{base}/check-in", follow_redirects=True)
    assert f"Ingeboekt: voorstel {p.id} ligt in het depot." in text_of(response)
    db.session.expire_all()
    assert db.session.get(Proposal, p.id).status.value == "in_depot" and _ledger_lines() == 1
    assert "250 stuks" in text_of(response)  # now in stock, reserved
    # checking in twice is refused
    client.post(f"{base}/check-in")
    assert _ledger_lines() == 1
    response = client.post(f"{base}/check-out", follow_redirects=True)
    assert f"Uitgeboekt: voorstel {p.id} is geleverd" in text_of(response)
    db.session.expire_all()
    assert db.session.get(Proposal, p.id).status.value == "delivered" and _ledger_lines() == 2
    from web.services.depots import stock_matches_ledger

    assert stock_matches_ledger() == []


def test_only_the_depots_managers_check_in(client, accepted, users, db):
    depot, p = accepted["the_depot"], accepted["proposal"]
    base = f"/depots/{depot.id}/proposals/{p.id}"
    for role in ("lead", "other_lead"):
        log_in(client, users[role])
        assert client.get(f"{base}/check-in").status_code == 403
        assert client.post(f"{base}/check-in").status_code == 403
        client.post("/logout")
    assert _ledger_lines() == 0


def test_a_proposal_of_another_depot_is_not_checked_in_here(client, accepted, users, elsewhere):
    p = accepted["proposal"]
    log_in(client, users["coord"])
    assert client.post(f"/depots/{elsewhere.id}/proposals/{p.id}/check-in").status_code == 404
    assert _ledger_lines() == 0


def test_check_in_without_a_csrf_token_is_refused(app, client, accepted):
    depot, p = accepted["the_depot"], accepted["proposal"]
    log_in(client, accepted["depot"])
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/depots/{depot.id}/proposals/{p.id}/check-in")
    app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and _ledger_lines() == 0
