"""The coordinator's catalogue pages, as every role and anonymous."""

from __future__ import annotations

import pytest

from tests.web.page_helpers import field_error, field_value, log_in, text_of

PAGES = ["/catalogue/", "/catalogue/tile-30x30", "/catalogue/tile-30x30/edit"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["lead", "depot"])
@pytest.mark.parametrize("path", PAGES)
def test_other_roles_are_refused(client, users, role, path):
    log_in(client, users[role])
    response = client.get(path)
    assert response.status_code == 403
    assert "Niet toegestaan" in text_of(response)


@pytest.mark.parametrize("role", ["lead", "depot"])
def test_other_roles_cannot_post_an_edit(client, users, db, role):
    from web.models import Material

    log_in(client, users[role])
    response = client.post("/catalogue/tile-30x30/edit", data={"new_price_eur_per_unit": "99"})
    assert response.status_code == 403
    assert db.session.get(Material, "tile-30x30").new_price_eur_per_unit == 1.0


def test_the_coordinator_sees_every_material_and_the_carbon_chart(client, users):
    log_in(client, users["coord"])
    response = client.get("/catalogue/")
    assert response.status_code == 200
    page = text_of(response)
    assert "Betontegel 30x30x4,5 grijs" in page  # Dutch names by default
    assert "<svg" in response.get_data(as_text=True)
    assert "Materiaalcatalogus" in page


def test_the_catalogue_filters_by_family(client, users):
    log_in(client, users["coord"])
    page = text_of(client.get("/catalogue/?family=timber"))
    assert "Betontegel" not in page
    assert "Steigerplank" in page or "steigerplank" in page.lower()


def test_an_unknown_material_is_a_404(client, users):
    log_in(client, users["coord"])
    assert client.get("/catalogue/no-such-thing").status_code == 404
    assert client.get("/catalogue/no-such-thing/edit").status_code == 404


def _edit_data(db, code="tile-30x30", **changes):  # type: ignore[no-untyped-def]
    from web.models import Material

    m = db.session.get(Material, code)
    data = {
        "name_nl": m.name_nl,
        "name": m.name,
        "family": m.family,
        "eural_code": m.eural_code,
        "unit": m.unit,
        "kg_per_unit": str(m.kg_per_unit),
        "m3_per_unit": str(m.m3_per_unit),
        "new_price_eur_per_unit": str(m.new_price_eur_per_unit),
        "disposal_eur_per_unit": str(m.disposal_eur_per_unit),
        "embodied_kgco2e_per_kg": str(m.embodied_kgco2e_per_kg),
        "active": "y",
    }
    data.update(changes)
    return data


def test_the_coordinator_edits_a_price(client, users, db):
    from web.models import Material

    log_in(client, users["coord"])
    response = client.post(
        "/catalogue/tile-30x30/edit", data=_edit_data(db, new_price_eur_per_unit="1.35")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Material, "tile-30x30").new_price_eur_per_unit == pytest.approx(1.35)
    assert "is opgeslagen" in text_of(client.get(response.headers["Location"]))


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("new_price_eur_per_unit", "duur", "Vul een getal in"),
        ("new_price_eur_per_unit", "-2", "Moet 0 of meer zijn"),
        ("kg_per_unit", "0", "Moet groter dan 0 zijn"),
        ("m3_per_unit", "", "Vul een getal in"),
        ("embodied_kgco2e_per_kg", "nan", "Vul een eindig getal in"),
        ("eural_code", "170107", "17 01 07"),
        ("name_nl", "", "Dit veld is verplicht"),
    ],
)
def test_a_bad_figure_is_named_kept_and_nothing_is_written(
    client, users, db, field, typed, message
):
    from web.models import Material

    before = {
        c.name: getattr(db.session.get(Material, "tile-30x30"), c.name)
        for c in Material.__table__.columns
    }
    log_in(client, users["coord"])
    response = client.post("/catalogue/tile-30x30/edit", data=_edit_data(db, **{field: typed}))
    assert response.status_code == 422
    assert message in (field_error(response, field) or "")
    assert field_value(response, field) == typed
    db.session.expire_all()
    after = {
        c.name: getattr(db.session.get(Material, "tile-30x30"), c.name)
        for c in Material.__table__.columns
    }
    assert after == before
