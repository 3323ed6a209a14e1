"""Measured properties on the supply form and requirements on the demand form.

One per line (``length_m = 6.2``; ``length_m >= 5.4``, ``steel_grade in S235, S355``): what is
posted is stored as the spec's ``attributes`` / ``requirements``, every bad line is named in Dutch
under the field with what was typed kept and nothing written, and the edit form shows what is
stored in the same syntax.
"""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import count, demand_data, supply_data
from tests.web.page_helpers import demand_form, log_in, supply_form, text_of


def _supply_form(project, **overrides):  # type: ignore[no-untyped-def]
    return supply_form(
        project,
        **{
            "title": "HEA 200 liggers uit de hal",
            "material_code": "steel-hea200",
            "quantity": "6",
            "mounting": "bolted",
            **overrides,
        },
    )


def _demand_form(project, **overrides):  # type: ignore[no-untyped-def]
    return demand_form(
        project,
        **{
            "title": "Liggers voor de overkapping",
            "material_code": "steel-hea200",
            "quantity": "2",
            "min_condition": "C",
            "max_distance_km": "",
            **overrides,
        },
    )


def _errors(response, field_id: str) -> list[str]:
    """Every error shown under the field (the first has id ``<field>-error``, then -2, -3...)."""
    import html

    page = response.get_data(as_text=True)
    found = re.findall(
        rf'<p class="error" id="{re.escape(field_id)}-error(?:-\d+)?">(.*?)</p>', page, re.S
    )
    return [html.unescape(e).strip() for e in found]


def _textarea(response, field_id: str) -> str:
    import html

    page = response.get_data(as_text=True)
    m = re.search(rf'<textarea[^>]*\bid="{re.escape(field_id)}"[^>]*>(.*?)</textarea>', page, re.S)
    assert m, f"no textarea {field_id}"
    return html.unescape(m.group(1)).strip("\r\n")


def _only(model):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from web.extensions import db

    db.session.expire_all()
    return db.session.scalars(select(model)).one()


# ----------------------------------------------------------------------------- post


def test_posting_a_supply_stores_its_measured_properties(client, users, project):
    from web.models import SupplyListing

    log_in(client, users["lead"])
    typed = "length_m = 6,2\n\n  steel_grade = S235  \nweight_kg=42.5\nholes = 4"
    response = client.post("/listings/supply/new", data=_supply_form(project, attributes=typed))
    assert response.status_code == 302, text_of(response)
    listing = _only(SupplyListing)
    assert listing.attributes == {
        "length_m": 6.2,
        "steel_grade": "S235",
        "weight_kg": 42.5,
        "holes": 4,
    }
    page = text_of(client.get(f"/listings/supply/{listing.id}"))
    assert "Gemeten eigenschappen" in page
    assert "length_m = 6.2" in page and "steel_grade = S235" in page


def test_posting_a_demand_stores_its_requirements(client, users, project):
    from web.models import DemandListing

    log_in(client, users["lead"])
    typed = "length_m >= 5,4\nlength_m <= 8\nsteel_grade in S235, S355\nholes<=6"
    response = client.post("/listings/demand/new", data=_demand_form(project, requirements=typed))
    assert response.status_code == 302, text_of(response)
    listing = _only(DemandListing)
    assert listing.requirements == {
        "length_m": {"min": 5.4, "max": 8},
        "steel_grade": {"in": ["S235", "S355"]},
        "holes": {"max": 6},
    }
    page = text_of(client.get(f"/listings/demand/{listing.id}"))
    assert "Eisen" in page
    for line in ("length_m >= 5.4", "length_m <= 8", "steel_grade in S235, S355", "holes <= 6"):
        assert line in page


def test_empty_textareas_mean_none(client, users, project):
    from web.models import DemandListing, SupplyListing

    log_in(client, users["lead"])
    assert (
        client.post(
            "/listings/supply/new", data=_supply_form(project, attributes=" \n\n")
        ).status_code
        == 302
    )
    assert (
        client.post("/listings/demand/new", data=_demand_form(project, requirements="")).status_code
        == 302
    )
    assert _only(SupplyListing).attributes == {}
    assert _only(DemandListing).requirements == {}
    page = text_of(client.get(f"/listings/supply/{_only(SupplyListing).id}"))
    assert "Gemeten eigenschappen" not in page


# ----------------------------------------------------------------------------- bad lines

SUPPLY_BAD = [
    ("length_m 6.2", ["Regel 1: gebruik naam = waarde."]),
    ("= 6.2", ["Regel 1: gebruik naam = waarde."]),
    (
        "length_m = 6.2\nLengte = 5",
        ["Regel 2: een naam begint met een kleine letter en bevat alleen kleine letters, "
         "cijfers en _ (zoals length_m)."],
    ),
    (
        "2nd = 1",
        ["Regel 1: een naam begint met een kleine letter en bevat alleen kleine letters, "
         "cijfers en _ (zoals length_m)."],
    ),
    ("steel_grade =", ["Regel 1: vul een waarde in na =."]),
    ("length_m = 6\nlength_m = 7", ["Regel 2: length_m staat er al."]),
    (
        "oops\nlength_m = 6\n\nkleur rood",
        ["Regel 1: gebruik naam = waarde.", "Regel 4: gebruik naam = waarde."],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "messages"), SUPPLY_BAD)
def test_every_bad_property_line_is_named_kept_and_nothing_is_written(
    client, users, project, typed, messages
):
    from web.models import SupplyListing

    log_in(client, users["lead"])
    response = client.post("/listings/supply/new", data=_supply_form(project, attributes=typed))
    assert response.status_code == 422
    assert _errors(response, "attributes") == messages
    assert _textarea(response, "attributes") == typed
    assert count(SupplyListing) == 0


_ABOVE = "het minimum van length_m is hoger dan het maximum."
_USE = "gebruik naam >= getal, naam <= getal of naam in waarde, waarde."
DEMAND_BAD = [
    ("length_m > 5", [f"Regel 1: {_USE}"]),
    ("length_m = 5", [f"Regel 1: {_USE}"]),
    ("length_m >= lang", ["Regel 1: na >= komt een getal."]),
    ("length_m <=", ["Regel 1: na <= komt een getal."]),
    (
        "Length >= 5",
        ["Regel 1: een naam begint met een kleine letter en bevat alleen kleine letters, "
         "cijfers en _ (zoals length_m)."],
    ),
    ("length_m >= 8\nlength_m <= 5", ["Regel 2: " + _ABOVE]),
    ("length_m <= 5\nlength_m >= 8", ["Regel 2: " + _ABOVE]),
    ("length_m >= 5\nlength_m >= 6", ["Regel 2: length_m >= staat er al."]),
    ("steel_grade in", ["Regel 1: noem de waarden na in, gescheiden door komma's."]),
    ("steel_grade in S235, , S355", ["Regel 1: noem de waarden na in, gescheiden door komma's."]),
    (
        "steel_grade in S235\nsteel_grade >= 3",
        ["Regel 2: steel_grade kan niet zowel een lijst (in) als een grens (>= of <=) hebben."],
    ),
    ("a in x\na in y", ["Regel 2: a in staat er al."]),
    ("length_m >= 5\nfout\nlength_m <= x", [f"Regel 2: {_USE}", "Regel 3: na <= komt een getal."]),
]  # fmt: skip


@pytest.mark.parametrize(("typed", "messages"), DEMAND_BAD)
def test_every_bad_requirement_line_is_named_kept_and_nothing_is_written(
    client, users, project, typed, messages
):
    from web.models import DemandListing

    log_in(client, users["lead"])
    response = client.post("/listings/demand/new", data=_demand_form(project, requirements=typed))
    assert response.status_code == 422
    assert _errors(response, "requirements") == messages
    assert _textarea(response, "requirements") == typed
    assert count(DemandListing) == 0


# ----------------------------------------------------------------------------- edit


def test_the_supply_edit_form_round_trips_the_properties(client, users, project, db):
    from web.models import SupplyListing
    from web.services.listings import create_listing

    stored = {"length_m": 6.2, "steel_grade": "S235", "holes": 4, "width_m": 8.0}
    listing = create_listing(
        users["lead"],
        "supply",
        supply_data(project.id, material_code="steel-hea200", quantity=6, attributes=stored),
    )
    log_in(client, users["lead"])
    form_page = client.get(f"/listings/supply/{listing.id}/edit")
    assert form_page.status_code == 200
    shown = _textarea(form_page, "attributes")
    assert shown.splitlines() == [  # by name, whatever order the database keeps
        "holes = 4", "length_m = 6.2", "steel_grade = S235", "width_m = 8"
    ]  # fmt: skip
    # saved unchanged: the same properties
    response = client.post(
        f"/listings/supply/{listing.id}/edit",
        data=_supply_form(project, quantity="6", attributes=shown),
    )
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    assert db.session.get(SupplyListing, listing.id).attributes == stored
    # a change is stored, and a line taken out is gone
    response = client.post(
        f"/listings/supply/{listing.id}/edit",
        data=_supply_form(project, quantity="6", attributes="length_m = 5,9"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(SupplyListing, listing.id).attributes == {"length_m": 5.9}


def test_the_demand_edit_form_round_trips_the_requirements(client, users, project, db):
    from web.models import DemandListing
    from web.services.listings import create_listing

    stored = {"length_m": {"min": 5.4, "max": 8.0}, "steel_grade": {"in": ["S235", "S355"]}}
    listing = create_listing(
        users["lead"],
        "demand",
        demand_data(project.id, material_code="steel-hea200", quantity=2, requirements=stored),
    )
    log_in(client, users["lead"])
    form_page = client.get(f"/listings/demand/{listing.id}/edit")
    shown = _textarea(form_page, "requirements")
    assert shown.splitlines() == [
        "length_m >= 5.4", "length_m <= 8", "steel_grade in S235, S355"
    ]  # fmt: skip
    response = client.post(
        f"/listings/demand/{listing.id}/edit",
        data=_demand_form(project, requirements=shown),
    )
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    assert db.session.get(DemandListing, listing.id).requirements == stored
    # a bad edit is refused, shown as typed, and the stored requirements stay
    response = client.post(
        f"/listings/demand/{listing.id}/edit",
        data=_demand_form(project, requirements="length_m >= 9\nlength_m <= 3"),
    )
    assert response.status_code == 422
    assert _errors(response, "requirements") == [
        "Regel 2: het minimum van length_m is hoger dan het maximum."
    ]
    db.session.expire_all()
    assert db.session.get(DemandListing, listing.id).requirements == stored


def test_an_edit_without_the_field_keeps_what_is_stored(client, users, project, db):
    """A client that does not send the textarea (an old form) does not wipe the properties."""
    from web.models import SupplyListing
    from web.services.listings import create_listing

    listing = create_listing(
        users["lead"],
        "supply",
        supply_data(project.id, material_code="steel-hea200", attributes={"length_m": 6.2}),
    )
    log_in(client, users["lead"])
    response = client.post(f"/listings/supply/{listing.id}/edit", data=_supply_form(project))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(SupplyListing, listing.id).attributes == {"length_m": 6.2}
