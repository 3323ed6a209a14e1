"""The listings pages as every role and anonymous: search, detail, post, edit, withdraw.

Every bad input of the forms shows its Dutch message on its own field, keeps what was typed, and
writes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.web.conftest import count, demand_data, future, supply_data
from tests.web.page_helpers import (
    demand_form,
    field_error,
    field_value,
    log_in,
    supply_form,
    text_of,
)


def _post_supply(user, project, **overrides):  # type: ignore[no-untyped-def]
    from web.services.listings import create_listing

    return create_listing(user, "supply", supply_data(project.id, **overrides))


def _post_demand(user, project, **overrides):  # type: ignore[no-untyped-def]
    from web.services.listings import create_listing

    return create_listing(user, "demand", demand_data(project.id, **overrides))


def _supply_form(project, **overrides):  # type: ignore[no-untyped-def]
    return supply_form(
        project,
        **{
            "title": "Betontegels schoolplein",
            "material_code": "tile-30x30",
            "quantity": "400",
            "mounting": "loose",
            "specification": "30 x 30 x 4,5 cm",
            "description": "Netjes gestapeld op pallets.",
            **overrides,
        },
    )


def _demand_form(project, **overrides):  # type: ignore[no-untyped-def]
    return demand_form(
        project,
        **{
            "title": "Tegels voor het nieuwe plein",
            "material_code": "tile-30x30",
            "quantity": "250",
            "min_condition": "B",
            "max_distance_km": "30",
            **overrides,
        },
    )


# ----------------------------------------------------------------------------- search


def test_anyone_can_search_offered_materials(client, users, project):
    _post_supply(users["lead"], project)
    response = client.get("/listings/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Materialen zoeken" in page
    assert "Betontegels 30x30 uit schoolplein" in page
    assert "1 aanbieding" in page


def test_a_search_near_a_postcode_shows_distances_nearest_first(client, users, project):
    from web.services.projects import create_project

    far = create_project(users["lead"], {"name": "Zwolle", "place": "Zwolle"})
    _post_supply(users["lead"], project, title="Dichtbij in Enschede")
    _post_supply(users["lead"], far, title="Ver weg in Zwolle")
    response = client.get("/listings/?postcode=7511&radius_km=100")
    page = text_of(response)
    assert response.status_code == 200
    assert page.index("Dichtbij in Enschede") < page.index("Ver weg in Zwolle")
    assert " km" in page
    narrow = text_of(client.get("/listings/?postcode=7511&radius_km=10"))
    assert "Dichtbij in Enschede" in narrow and "Ver weg in Zwolle" not in narrow


def test_search_filters_by_material_family_condition_and_window(client, users, project):
    _post_supply(users["lead"], project, title="Tegels B")
    _post_supply(
        users["lead"], project, title="Stoeprand A", material_code="kerb-10x20", condition="A"
    )
    _post_supply(
        users["lead"], project, title="Laat beschikbaar",
        available_from=future(200).isoformat(), available_until=future(230).isoformat(),
    )  # fmt: skip
    assert "Stoeprand A" not in text_of(client.get("/listings/?material=tile-30x30"))
    by_family = text_of(client.get("/listings/?family=kerbs"))
    assert "Stoeprand A" in by_family and "Tegels B" not in by_family
    by_condition = text_of(client.get("/listings/?condition=A"))
    assert "Stoeprand A" in by_condition and "Tegels B" not in by_condition
    window = f"date_from={future(0).isoformat()}&date_until={future(60).isoformat()}"
    in_window = text_of(client.get(f"/listings/?{window}"))
    assert "Tegels B" in in_window and "Laat beschikbaar" not in in_window


def test_the_demand_tab_lists_what_projects_need(client, users, project):
    _post_demand(users["lead"], project)
    page = text_of(client.get("/listings/?kind=demand"))
    assert "Tegels voor nieuw plein" in page
    assert "Wat projecten zoeken" in page


def test_results_are_paginated(client, app, users, project):
    app.config["PER_PAGE_DEFAULT"] = 2
    try:
        for i in range(5):
            _post_supply(users["lead"], project, title=f"Partij {i}")
        first = client.get("/listings/")
        html = first.get_data(as_text=True)
        assert 'rel="next"' in html and "page=3" in html
        third = text_of(client.get("/listings/?page=3"))
        assert "Partij 0" in third and "Partij 4" not in third
    finally:
        app.config["PER_PAGE_DEFAULT"] = 20


def test_drafts_and_withdrawn_listings_are_not_found_by_others(client, users, project):
    _post_supply(users["lead"], project, title="Nog een concept", status="draft")
    page = text_of(client.get("/listings/"))
    assert "Nog een concept" not in page


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("postcode=0000", "postcode", "Onbekende postcode"),
        ("postcode=Nergenshuizen", "postcode", "Onbekende plaats of postcode"),
        ("postcode=7511&radius_km=veel", "radius_km", "Vul een heel getal in"),
        ("postcode=7511&radius_km=0", "radius_km", "Kies een afstand van 1 tot 500 km"),
        ("date_from=morgen", "date_from", "Vul een datum in als JJJJ-MM-DD"),
        ("date_from=2030-05-01&date_until=2030-04-01", "date_until", "niet vóór de begindatum"),
        ("condition=Z", "condition", "Ongeldige keuze"),
        ("material=no-such-material", "material", "Ongeldige keuze"),
    ],
)
def test_bad_search_filters_are_named_and_kept(client, query, field, message):
    response = client.get(f"/listings/?{query}")
    assert response.status_code == 400
    assert message in (field_error(response, field) or ""), text_of(response)[:2000]
    if field in ("postcode", "radius_km", "date_from"):
        typed = dict(p.split("=") for p in query.split("&"))[field]
        assert field_value(response, field) == typed


def test_an_unknown_kind_of_listing_is_a_404(client):
    assert client.get("/listings/?kind=rubbish").status_code == 404
    assert client.get("/listings/rubbish/1").status_code == 404


# ----------------------------------------------------------------------------- detail


def test_a_listing_page_shows_its_facts_to_anyone(client, users, project):
    listing = _post_supply(users["lead"], project)
    response = client.get(f"/listings/supply/{listing.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert "Betontegels 30x30 uit schoolplein" in page
    assert "B: gebruikt, goed" in page
    assert "Los" in page
    assert "Renovatie Roombeek" in page
    assert "Bewerken" not in page  # not the owner


def test_the_owner_sees_edit_withdraw_and_history(client, users, project):
    listing = _post_supply(users["lead"], project)
    log_in(client, users["lead"])
    page = text_of(client.get(f"/listings/supply/{listing.id}"))
    assert "Bewerken" in page and "Intrekken" in page and "Geschiedenis" in page


def test_a_draft_is_a_404_for_others_and_visible_to_its_owner(client, users, project):
    listing = _post_supply(users["lead"], project, status="draft")
    assert client.get(f"/listings/supply/{listing.id}").status_code == 404
    log_in(client, users["other_lead"])
    assert client.get(f"/listings/supply/{listing.id}").status_code == 404
    client.post("/logout")
    log_in(client, users["lead"])
    assert client.get(f"/listings/supply/{listing.id}").status_code == 200


def test_a_missing_listing_is_a_404(client):
    response = client.get("/listings/supply/999999")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in text_of(response)


# ----------------------------------------------------------------------------- post


@pytest.mark.parametrize("path", ["/listings/supply/new", "/listings/demand/new"])
def test_posting_needs_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/listings/supply/new", "/listings/demand/new"])
def test_a_depot_manager_cannot_post_listings(client, users, path):
    log_in(client, users["depot"])
    assert client.get(path).status_code == 403
    assert client.post(path, data={"title": "x"}).status_code == 403


def test_a_lead_without_projects_is_sent_to_create_one(client, users):
    log_in(client, users["lead"])
    response = client.get("/listings/supply/new")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/projects/new")


def test_a_lead_posts_a_supply_listing(client, users, project, db):
    from web.models import SupplyListing

    log_in(client, users["lead"])
    form_page = client.get(f"/listings/supply/new?project_id={project.id}")
    assert form_page.status_code == 200
    assert f'<option selected value="{project.id}">' in form_page.get_data(as_text=True)
    response = client.post("/listings/supply/new", data=_supply_form(project))
    assert response.status_code == 302
    listing = db.session.scalars(db.select(SupplyListing)).one()
    assert (listing.title, listing.quantity, listing.status.value) == (
        "Betontegels schoolplein", 400, "open",
    )  # fmt: skip
    assert listing.created_by_id == users["lead"].id
    assert (listing.lat, listing.lon) == (project.lat, project.lon)
    assert response.headers["Location"] == f"/listings/supply/{listing.id}"


def test_a_lead_posts_a_demand_listing_with_accepted_mountings(client, users, project, db):
    from web.models import DemandListing

    log_in(client, users["lead"])
    data = _demand_form(project)
    data["accepted_mountings"] = ["loose", "bolted"]
    response = client.post("/listings/demand/new", data=data)
    assert response.status_code == 302
    listing = db.session.scalars(db.select(DemandListing)).one()
    assert listing.accepted_mountings == ["bolted", "loose"]
    assert listing.max_distance_km == 30.0


def test_a_listing_at_another_postcode_is_placed_there(client, users, project, db):
    from web.models import SupplyListing

    log_in(client, users["lead"])
    response = client.post("/listings/supply/new", data=_supply_form(project, location="7551"))
    assert response.status_code == 302
    listing = db.session.scalars(db.select(SupplyListing)).one()
    assert listing.postcode == "7551"  # Hengelo, not the project in Enschede
    assert abs(listing.lat - project.lat) > 0.01


SUPPLY_BAD_INPUT = [
    ("title", "", "Vul een titel in"),
    ("title", "x" * 201, "Gebruik hoogstens 200 tekens"),
    ("quantity", "veel", "Vul een heel getal in"),
    ("quantity", "0", "De hoeveelheid moet minstens 1 zijn"),
    ("quantity", "-5", "De hoeveelheid moet minstens 1 zijn"),
    ("quantity", "2.5", "Vul een heel getal in"),
    ("quantity", "", "Vul een heel getal in"),
    ("quantity", "99999999999", "hoogstens"),
    ("material_code", "", "Kies een materiaal"),
    ("material_code", "unobtainium", "Ongeldige keuze"),
    ("condition", "Z", "Ongeldige keuze"),
    ("mounting", "welded", "Ongeldige keuze"),
    ("available_from", "", "Vul een datum in als JJJJ-MM-DD"),
    ("available_from", "31-12-2030", "Vul een datum in als JJJJ-MM-DD"),
    ("available_until", "2030-02-30", "Vul een datum in als JJJJ-MM-DD"),
    ("available_until", (date.today() - timedelta(days=3)).isoformat(), "in het verleden"),
    ("location", "Nergenshuizen", "Onbekende plaats of postcode"),
    ("location", "0000", "Onbekende postcode"),
    ("status", "reserved", "Ongeldige keuze"),
    ("project_id", "", "Kies een van je projecten"),
    ("project_id", "99999", "Ongeldige keuze"),
]


@pytest.mark.parametrize(("field", "typed", "message"), SUPPLY_BAD_INPUT)
def test_bad_supply_input_is_named_kept_and_nothing_is_written(
    client, users, project, field, typed, message
):
    from web.models import ListingEvent, SupplyListing

    log_in(client, users["lead"])
    response = client.post("/listings/supply/new", data=_supply_form(project, **{field: typed}))
    assert response.status_code == 422
    shown = field_error(response, field) or ""
    assert message in shown, (field, shown, text_of(response)[:1500])
    assert "Corrigeer het volgende" in text_of(response)
    if field in ("title", "quantity", "available_from", "available_until", "location"):
        assert field_value(response, field) == typed
    # everything else typed is kept too
    assert field_value(response, "specification") is None  # a textarea, checked below
    assert "Netjes gestapeld op pallets." in response.get_data(as_text=True)
    if field != "quantity":
        assert field_value(response, "quantity") == "400"
    assert count(SupplyListing) == 0 and count(ListingEvent) == 0


def test_window_end_before_start_is_named_on_the_end(client, users, project):
    from web.models import SupplyListing

    log_in(client, users["lead"])
    data = _supply_form(
        project, available_from=future(30).isoformat(), available_until=future(10).isoformat()
    )
    response = client.post("/listings/supply/new", data=data)
    assert response.status_code == 422
    assert "niet vóór de begindatum" in field_error(response, "available_until")
    assert count(SupplyListing) == 0


DEMAND_BAD_INPUT = [
    ("min_condition", "Q", "Ongeldige keuze"),
    ("needed_from", "gisteren", "Vul een datum in als JJJJ-MM-DD"),
    ("needed_until", "", "Vul een datum in als JJJJ-MM-DD"),
    ("max_distance_km", "ver", "Vul een getal in"),
    ("max_distance_km", "0", "Kies een afstand van 1 tot 500 km"),
    ("max_distance_km", "5000", "Kies een afstand van 1 tot 500 km"),
    ("accepted_mountings", "welded", "ongeldige keuze"),
]


@pytest.mark.parametrize(("field", "typed", "message"), DEMAND_BAD_INPUT)
def test_bad_demand_input_is_named_and_nothing_is_written(
    client, users, project, field, typed, message
):
    from web.models import DemandListing

    log_in(client, users["lead"])
    response = client.post("/listings/demand/new", data=_demand_form(project, **{field: typed}))
    assert response.status_code == 422
    shown = field_error(response, field) or ""
    assert message.lower() in shown.lower(), (field, shown)
    assert count(DemandListing) == 0


def test_a_lead_cannot_post_for_someone_elses_project(client, users, project, other_project):
    from web.models import SupplyListing

    log_in(client, users["lead"])
    response = client.post("/listings/supply/new", data=_supply_form(other_project))
    assert response.status_code == 422  # not even offered as a choice
    assert "Ongeldige keuze" in field_error(response, "project_id")
    assert count(SupplyListing) == 0


def test_a_coordinator_may_post_for_any_project(client, users, project, db):
    from web.models import SupplyListing

    log_in(client, users["coord"])
    response = client.post("/listings/supply/new", data=_supply_form(project))
    assert response.status_code == 302
    assert count(SupplyListing) == 1


# ----------------------------------------------------------------------------- edit


def test_the_owner_edits_a_listing_and_the_form_starts_filled_in(client, users, project, db):
    from web.models import SupplyListing

    listing = _post_supply(users["lead"], project)
    log_in(client, users["lead"])
    form_page = client.get(f"/listings/supply/{listing.id}/edit")
    assert form_page.status_code == 200
    assert field_value(form_page, "title") == "Betontegels 30x30 uit schoolplein"
    assert field_value(form_page, "quantity") == "400"
    response = client.post(
        f"/listings/supply/{listing.id}/edit", data=_supply_form(project, quantity="350")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(SupplyListing, listing.id).quantity == 350


@pytest.mark.parametrize("role", ["other_lead", "depot"])
def test_others_cannot_edit_or_withdraw(client, users, project, db, role):
    from web.models import SupplyListing

    listing = _post_supply(users["lead"], project)
    log_in(client, users[role])
    edit = f"/listings/supply/{listing.id}/edit"
    assert client.get(edit).status_code == 403
    assert client.post(edit, data=_supply_form(project, quantity="1")).status_code == 403
    withdraw = f"/listings/supply/{listing.id}/withdraw"
    assert client.get(withdraw).status_code == 403
    assert client.post(withdraw).status_code == 403
    db.session.expire_all()
    stored = db.session.get(SupplyListing, listing.id)
    assert (stored.quantity, stored.status.value) == (400, "open")


def test_anonymous_edit_and_withdraw_go_to_login(client, users, project):
    listing = _post_supply(users["lead"], project)
    for path in (f"/listings/supply/{listing.id}/edit", f"/listings/supply/{listing.id}/withdraw"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert client.post(path).status_code == 302


def test_a_coordinator_may_edit_any_listing(client, users, project, db):
    from web.models import SupplyListing

    listing = _post_supply(users["lead"], project)
    log_in(client, users["coord"])
    response = client.post(
        f"/listings/supply/{listing.id}/edit", data=_supply_form(project, title="Door coördinator")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(SupplyListing, listing.id).title == "Door coördinator"


def test_a_bad_edit_is_named_kept_and_nothing_changes(client, users, project, db):
    from web.models import ListingEvent, SupplyListing

    listing = _post_supply(users["lead"], project)
    events_before = count(ListingEvent)
    log_in(client, users["lead"])
    response = client.post(
        f"/listings/supply/{listing.id}/edit",
        data=_supply_form(project, title="Nieuwe titel", quantity="nul"),
    )
    assert response.status_code == 422
    assert "Vul een heel getal in" in field_error(response, "quantity")
    assert field_value(response, "title") == "Nieuwe titel"
    db.session.expire_all()
    stored = db.session.get(SupplyListing, listing.id)
    assert (stored.title, stored.quantity) == ("Betontegels 30x30 uit schoolplein", 400)
    assert count(ListingEvent) == events_before


def test_editing_a_missing_listing_is_a_404(client, users):
    log_in(client, users["lead"])
    assert client.get("/listings/supply/424242/edit").status_code == 404


# ----------------------------------------------------------------------------- withdraw


def test_the_owner_withdraws_after_confirming(client, users, project, db):
    from web.models import SupplyListing

    listing = _post_supply(users["lead"], project)
    log_in(client, users["lead"])
    confirm = client.get(f"/listings/supply/{listing.id}/withdraw")
    assert confirm.status_code == 200 and "Intrekken" in text_of(confirm)
    response = client.post(f"/listings/supply/{listing.id}/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(SupplyListing, listing.id).status.value == "withdrawn"
    page = text_of(client.get(response.headers["Location"]))
    assert "ingetrokken" in page.lower()
    assert "Betontegels 30x30 uit schoolplein" not in text_of(client.get("/listings/"))
    # a withdrawn listing cannot be edited or withdrawn again
    again = client.get(f"/listings/supply/{listing.id}/edit")
    assert again.status_code == 302
    twice = client.post(f"/listings/supply/{listing.id}/withdraw", follow_redirects=True)
    assert "al gesloten of ingetrokken" in text_of(twice)


def test_a_reserved_listing_cannot_be_withdrawn(client, users, project, db):
    from web.models import SupplyListing
    from web.services.listings import change_reserved

    listing = _post_supply(users["lead"], project)
    change_reserved(listing, 100, users["coord"])
    db.session.commit()
    log_in(client, users["lead"])
    response = client.post(f"/listings/supply/{listing.id}/withdraw", follow_redirects=True)
    assert "gereserveerd" in text_of(response)
    db.session.expire_all()
    assert db.session.get(SupplyListing, listing.id).status.value == "partly_matched"
