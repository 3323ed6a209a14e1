"""Listings service: posting, editing, withdrawing, reserving, searching; history and refusals."""

from __future__ import annotations

from datetime import date

import pytest

from tests.web.conftest import count, demand_data, future, supply_data
from web.models import DemandListing, ListingEvent, ListingStatus, SupplyListing
from web.services import listings as svc
from web.services.errors import Conflict, NotFound, PermissionDenied, ValidationError


def test_a_posted_supply_listing_is_open_at_the_projects_location_with_a_created_event(
    users, project
):
    listing = svc.create_listing(users["lead"], "supply", supply_data(project.id))
    assert listing.status == ListingStatus.OPEN
    assert (listing.lat, listing.lon) == (project.lat, project.lon)
    assert listing.quantity_free == 400
    events = svc.history("supply", listing.id, users["lead"])
    assert [(e.action, e.new_status, e.new_quantity, e.actor_id) for e in events] == [
        ("created", "open", 400, users["lead"].id)
    ]


def test_a_listing_can_sit_somewhere_else_than_its_project(users, project):
    listing = svc.create_listing(
        users["lead"], "demand", demand_data(project.id, location="Hengelo")
    )
    assert listing.location_label.startswith("Hengelo")
    assert abs(listing.lat - 52.27) < 0.05


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"material_code": "unobtainium"}, "material_code"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({"quantity": "veel"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"available_from": "31-12-2027"}, "available_from"),
        ({"available_until": future(5).isoformat()}, "available_until"),
        ({"available_until": "2001-01-01", "available_from": "2000-01-01"}, "available_until"),
        ({"condition": "D"}, "condition"),
        ({"mounting": "welded"}, "mounting"),
        ({"location": "1000"}, "location"),
        ({"location": "Atlantis"}, "location"),
        ({"lat": 95, "lon": 6.9}, "lat"),
        ({"lat": 52.2, "lon": 200}, "lon"),
        ({"attributes": {"length_m": [1, 2]}}, "attributes"),
        ({"attributes": "lang"}, "attributes"),
        ({"status": "reserved"}, "status"),
        ({"project_id": 99999}, "project_id"),
    ],
)
def test_bad_supply_input_names_the_field_and_writes_nothing(users, project, overrides, field):
    with pytest.raises(ValidationError) as caught:
        svc.create_listing(users["lead"], "supply", supply_data(project.id, **overrides))
    assert field in caught.value.field_errors
    assert count(SupplyListing) == 0 and count(ListingEvent) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"min_condition": "Z"}, "min_condition"),
        ({"max_distance_km": -1}, "max_distance_km"),
        ({"max_distance_km": "ver"}, "max_distance_km"),
        ({"needed_until": None}, "needed_until"),
        ({"requirements": {"length_m": {"min": 6, "max": 5}}}, "requirements"),
        ({"requirements": {"length_m": {"least": 6}}}, "requirements"),
        ({"requirements": {"grade": {"in": []}}}, "requirements"),
        ({"accepted_mountings": ["nailed"]}, "accepted_mountings"),
    ],
)
def test_bad_demand_input_names_the_field_and_writes_nothing(users, project, overrides, field):
    with pytest.raises(ValidationError) as caught:
        svc.create_listing(users["lead"], "demand", demand_data(project.id, **overrides))
    assert field in caught.value.field_errors
    assert count(DemandListing) == 0


def test_missing_fields_are_each_named(users, project):
    with pytest.raises(ValidationError) as caught:
        svc.create_listing(users["lead"], "supply", {})
    assert {"title", "material_code", "quantity", "project_id", "available_from",
            "available_until"} <= set(caught.value.field_errors)


def test_nobody_posts_for_someone_elses_project(users, project):
    with pytest.raises(ValidationError) as caught:
        svc.create_listing(users["other_lead"], "supply", supply_data(project.id))
    assert "project_id" in caught.value.field_errors
    # a coordinator may
    listing = svc.create_listing(users["coord"], "supply", supply_data(project.id))
    assert listing.created_by_id == users["coord"].id


def test_only_owners_and_coordinators_edit(users, project):
    listing = svc.create_listing(users["lead"], "supply", supply_data(project.id))
    for who in ("other_lead", "depot"):
        with pytest.raises(PermissionDenied):
            svc.update_listing(users[who], "supply", listing.id, {"quantity": 1})
        with pytest.raises(PermissionDenied):
            svc.withdraw_listing(users[who], "supply", listing.id)
    svc.update_listing(users["coord"], "supply", listing.id, {"quantity": 300})
    assert listing.quantity == 300
    assert count(ListingEvent) == 2


def test_an_edit_records_old_and_new_values(users, project):
    listing = svc.create_listing(users["lead"], "supply", supply_data(project.id))
    svc.update_listing(users["lead"], "supply", listing.id, {"quantity": 350, "condition": "A"})
    last = svc.history("supply", listing.id, users["lead"])[-1]
    assert (last.action, last.old_quantity, last.new_quantity) == ("updated", 400, 350)
    assert last.changes == {"quantity": [400, 350], "condition": ["B", "A"]}


def test_an_edit_that_changes_nothing_writes_no_event(users, project):
    listing = svc.create_listing(users["lead"], "supply", supply_data(project.id))
    svc.update_listing(users["lead"], "supply", listing.id, {"quantity": 400})
    assert count(ListingEvent) == 1


def test_a_bad_edit_changes_nothing(users, project):
    listing = svc.create_listing(users["lead"], "supply", supply_data(project.id))
    with pytest.raises(ValidationError):
        svc.update_listing(users["lead"], "supply", listing.id, {"quantity": 0, "title": "Nieuw"})
    from web.extensions import db

    db.session.expire_all()
    assert (listing.quantity, listing.title) == (400, "Betontegels 30x30 uit schoolplein")
    assert count(ListingEvent) == 1


def test_a_window_edit_may_not_put_the_end_before_the_start(users, project):
    listing = svc.create_listing(users["lead"], "supply", supply_data(project.id))
    with pytest.raises(ValidationError) as caught:
        svc.update_listing(users["lead"], "supply", listing.id,
                           {"available_until": future(5).isoformat()})
    assert "available_until" in caught.value.field_errors


def test_draft_then_publish_then_withdraw_is_a_history(users, project):
    listing = svc.create_listing(users["lead"], "demand", demand_data(project.id, status="draft"))
    with pytest.raises(NotFound):
        svc.get_listing("demand", listing.id, users["other_lead"])
    svc.publish_listing(users["lead"], "demand", listing.id)
    svc.withdraw_listing(users["lead"], "demand", listing.id, note="niet meer nodig")
    actions = [(e.action, e.old_status, e.new_status)
               for e in svc.history("demand", listing.id, users["lead"])]
    assert actions == [("created", None, "draft"), ("published", "draft", "open"),
                       ("withdrawn", "open", "withdrawn")]
    with pytest.raises(Conflict):
        svc.withdraw_listing(users["lead"], "demand", listing.id)
    with pytest.raises(Conflict):
        svc.update_listing(users["lead"], "demand", listing.id, {"quantity": 3})


def test_reserving_moves_status_and_pins_the_matching_fields(users, project):
    from web.extensions import db

    listing = svc.create_listing(users["lead"], "supply", supply_data(project.id))
    svc.change_reserved(listing, 100, users["coord"], ref_type="proposal", ref_id=7)
    db.session.commit()
    assert (listing.status, listing.quantity_free) == (ListingStatus.PARTLY_MATCHED, 300)
    with pytest.raises(ValidationError) as caught:
        svc.update_listing(users["lead"], "supply", listing.id,
                           {"quantity": 50, "material_code": "brick-wf"})
    assert set(caught.value.field_errors) == {"quantity", "material_code"}
    with pytest.raises(Conflict):
        svc.withdraw_listing(users["lead"], "supply", listing.id)
    with pytest.raises(Conflict):
        svc.change_reserved(listing, 301)
    svc.change_reserved(listing, 300)
    assert listing.status == ListingStatus.RESERVED
    svc.change_reserved(listing, -400)
    assert listing.status == ListingStatus.OPEN
    assert [e.action for e in listing.events] == ["created", "reserved", "reserved", "released"]


def test_unknown_listing_and_kind_are_not_found(users):
    with pytest.raises(NotFound):
        svc.get_listing("supply", 99999999)
    with pytest.raises(NotFound):
        svc.get_listing("barter", 1)


# ----------------------------------------------------------------------------- search


@pytest.fixture
def market(users, project, other_project):  # type: ignore[no-untyped-def]
    lead, other = users["lead"], users["other_lead"]
    made = {
        "enschede_tiles": svc.create_listing(lead, "supply", supply_data(project.id)),
        "enschede_bricks": svc.create_listing(lead, "supply", supply_data(
            project.id, title="Bakstenen", material_code="brick-wf", quantity=5000,
            condition="C", mounting="mortared")),
        "hengelo_tiles": svc.create_listing(other, "supply", supply_data(
            other_project.id, condition="A", available_from=future(100).isoformat(),
            available_until=future(120).isoformat())),
        "zwolle_tiles": svc.create_listing(other, "supply", supply_data(
            other_project.id, location="Zwolle")),
        "draft": svc.create_listing(lead, "supply", supply_data(project.id, status="draft")),
    }
    return made


def _ids(page):  # type: ignore[no-untyped-def]
    return [hit.listing.id for hit in page.items]


def test_a_radius_search_finds_what_is_within_it_nearest_first(market):
    page = svc.search_listings("supply", near="7511", radius_km=25)
    hengelo = market["hengelo_tiles"].id
    assert set(_ids(page)) == {market["enschede_tiles"].id, market["enschede_bricks"].id, hengelo}
    assert _ids(page)[-1] == hengelo
    kms = [hit.distance_km for hit in page.items]
    assert kms == sorted(kms) and kms[-1] > 5
    zwolle = svc.search_listings("supply", near="Zwolle", radius_km=10)
    assert _ids(zwolle) == [market["zwolle_tiles"].id]


def test_distances_are_the_matchers_great_circle_km(market):
    from matcher.geo import great_circle_km

    page = svc.search_listings("supply", near=(52.22, 6.89), radius_km=50)
    for hit in page.items:
        assert hit.distance_km == pytest.approx(
            float(great_circle_km(52.22, 6.89, hit.listing.lat, hit.listing.lon)))


def test_filters_material_family_condition_and_window(market):
    assert _ids(svc.search_listings("supply", material="brick-wf")) == [
        market["enschede_bricks"].id]
    assert set(_ids(svc.search_listings("supply", family="paving"))) == {
        market["enschede_tiles"].id, market["hengelo_tiles"].id, market["zwolle_tiles"].id}
    assert set(_ids(svc.search_listings("supply", condition="B"))) == {
        market["enschede_tiles"].id, market["hengelo_tiles"].id, market["zwolle_tiles"].id}
    assert _ids(svc.search_listings("supply", condition="A")) == [market["hengelo_tiles"].id]
    late = svc.search_listings("supply", window=(future(90), None))
    assert _ids(late) == [market["hengelo_tiles"].id]


def test_drafts_are_found_only_by_their_owner(users, market):
    draft = market["draft"].id
    assert draft not in _ids(svc.search_listings("supply", statuses=["draft"]))
    assert draft not in _ids(svc.search_listings("supply", statuses=["draft"],
                                                 viewer=users["other_lead"]))
    assert _ids(svc.search_listings("supply", statuses=["draft"], viewer=users["lead"])) == [draft]


def test_pages_cover_every_hit_once(market):
    seen = []
    for page_no in (1, 2, 3):
        page = svc.search_listings("supply", near="Enschede", radius_km=100, page=page_no,
                                   per_page=2)
        assert page.total == 4
        seen += _ids(page)
    assert sorted(seen) == sorted(
        m.id for k, m in market.items() if k != "draft")


def test_a_search_near_an_unknown_place_names_the_field(market):
    with pytest.raises(ValidationError) as caught:
        svc.search_listings("supply", near="Nergenshuizen")
    assert "near" in caught.value.field_errors
    with pytest.raises(ValidationError) as caught:
        svc.search_listings("supply", near="7511", radius_km=0)
    assert "radius_km" in caught.value.field_errors


def test_the_bounding_box_changes_nothing_but_speed(market):
    for near in ("7511", "Zwolle", "Amsterdam"):
        boxed = svc.search_listings("supply", near=near, radius_km=30)
        naive = svc.search_listings("supply", near=near, radius_km=30, use_bounding_box=False)
        assert _ids(boxed) == _ids(naive)


def test_demand_condition_filter_finds_demands_that_accept_it(users, project):
    strict = svc.create_listing(users["lead"], "demand", demand_data(project.id, min_condition="A"))
    loose = svc.create_listing(users["lead"], "demand", demand_data(project.id, min_condition="C"))
    assert _ids(svc.search_listings("demand", condition="B")) == [loose.id]
    assert set(_ids(svc.search_listings("demand", condition="A"))) == {strict.id, loose.id}
    assert date.today() < strict.needed_from
