"""'My projects and listings' and the project forms, as every role and anonymous."""

from __future__ import annotations

import pytest

from tests.web.conftest import count, demand_data, supply_data
from tests.web.page_helpers import field_error, field_value, log_in, text_of


@pytest.mark.parametrize("path", ["/projects/", "/projects/new", "/projects/1", "/projects/1/edit"])
def test_anonymous_visitors_are_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_my_projects_shows_my_listings_with_status_but_not_others(
    client, users, project, other_project
):
    from web.services.listings import create_listing

    create_listing(users["lead"], "supply", supply_data(project.id))
    create_listing(users["lead"], "demand", demand_data(project.id, status="draft"))
    create_listing(users["other_lead"], "supply", supply_data(other_project.id, title="Van Otto"))
    log_in(client, users["lead"])
    response = client.get("/projects/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Renovatie Roombeek" in page
    assert "Betontegels 30x30 uit schoolplein" in page and "Open" in page
    assert "Tegels voor nieuw plein" in page and "Concept" in page  # my own draft
    assert "Sloop Hengelo" not in page and "Van Otto" not in page


def test_a_depot_manager_has_no_projects_and_may_not_create_one(client, users):
    log_in(client, users["depot"])
    page = text_of(client.get("/projects/"))
    assert "jouw rol leidt geen projecten" in page
    assert client.get("/projects/new").status_code == 403
    assert client.post("/projects/new", data={"name": "X", "postcode": "7511"}).status_code == 403
    from web.models import Project

    assert count(Project) == 0


def test_the_project_page_shows_a_timeline_of_its_listings(client, users, project):
    from web.services.listings import create_listing

    create_listing(users["lead"], "supply", supply_data(project.id))
    create_listing(users["lead"], "demand", demand_data(project.id))
    log_in(client, users["lead"])
    response = client.get(f"/projects/{project.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('class="supply"') == 1 and html.count('class="demand"') == 1
    assert "Periodes van de aanbiedingen van dit project" in html


@pytest.mark.parametrize("role", ["other_lead", "depot"])
def test_others_may_not_see_or_edit_a_project(client, users, project, role):
    log_in(client, users[role])
    assert client.get(f"/projects/{project.id}").status_code == 403
    assert client.get(f"/projects/{project.id}/edit").status_code == 403
    response = client.post(f"/projects/{project.id}/edit", data={"name": "Gekaapt"})
    assert response.status_code == 403
    assert project.name == "Renovatie Roombeek"


def test_a_coordinator_may_see_and_edit_any_project(client, users, project, db):
    log_in(client, users["coord"])
    assert client.get(f"/projects/{project.id}").status_code == 200
    response = client.post(
        f"/projects/{project.id}/edit", data={"name": "Roombeek fase 2", "postcode": "7523"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert project.name == "Roombeek fase 2"


def test_a_missing_project_is_a_404(client, users):
    log_in(client, users["lead"])
    assert client.get("/projects/9999").status_code == 404
    assert client.get("/projects/9999/edit").status_code == 404


@pytest.mark.parametrize(
    ("data", "postcode", "place_contains"),
    [
        ({"postcode": "7511 ab"}, "7511 AB", "Enschede"),
        ({"place": "Hengelo"}, None, "Hengelo"),
    ],
)
def test_a_lead_creates_a_project_by_postcode_or_place(
    client, users, db, data, postcode, place_contains
):
    from web.models import Project

    log_in(client, users["lead"])
    response = client.post("/projects/new", data={"name": "Nieuwbouw", **data})
    assert response.status_code == 302
    created = db.session.scalars(db.select(Project)).one()
    assert created.postcode == postcode and place_contains in created.place
    assert created.lead_id == users["lead"].id
    assert response.headers["Location"] == f"/projects/{created.id}"
    assert "Het project Nieuwbouw is aangemaakt." in text_of(client.get(f"/projects/{created.id}"))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "postcode": "7511"}, "name", "Vul een naam in."),
        ({"name": "x" * 201, "postcode": "7511"}, "name", "Gebruik hoogstens 200 tekens."),
        ({"name": "P"}, "postcode", "Vul een postcode, een plaats of coördinaten in."),
        ({"name": "P", "postcode": "ABCD"}, "postcode", "Vul een Nederlandse postcode in"),
        ({"name": "P", "postcode": "0000"}, "postcode", "Vul een Nederlandse postcode in"),
        ({"name": "P", "postcode": "75111"}, "postcode", "Vul een Nederlandse postcode in"),
        ({"name": "P", "place": "Nergenshuizen"}, "place", "Onbekende plaats of postcode"),
    ],
)
def test_bad_project_input_is_named_kept_and_nothing_is_written(
    client, users, data, field, message
):
    from web.models import Project

    log_in(client, users["lead"])
    response = client.post("/projects/new", data=data)
    assert response.status_code == 422
    assert message in (field_error(response, field) or ""), text_of(response)[:800]
    assert field_value(response, "name") == data["name"]
    if field != "name":
        assert field_value(response, field) == data.get(field, "")
    assert count(Project) == 0


def test_a_bad_edit_changes_nothing(client, users, project, db):
    log_in(client, users["lead"])
    response = client.post(f"/projects/{project.id}/edit", data={"name": "", "postcode": "7523"})
    assert response.status_code == 422
    assert field_error(response, "name") == "Vul een naam in."
    db.session.expire_all()
    assert project.name == "Renovatie Roombeek"
