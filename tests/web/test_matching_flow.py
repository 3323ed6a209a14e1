"""End to end: listings -> nightly run -> proposals -> both accept -> depot -> delivered -> closed.

Quantities, the ledger and the depot's capacity are checked at every step, on SQLite and (with
TEST_DATABASE_URL) on PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.matching_builders import day, make_demand, make_depot, make_supply


def _m3(n: int, code: str = "tile-30x30") -> float:
    from web.extensions import db
    from web.models import Material

    return n * db.session.get(Material, code).m3_per_unit


def _use_on(depot_id: int, offset: int):  # type: ignore[no-untyped-def]
    from web.services.depots import capacity_use

    return capacity_use(depot_id, start=day(offset), days=1)[0]


def _kinds(user) -> list[str]:  # type: ignore[no-untyped-def]
    from web.services.notifications import notifications_for

    return sorted(n.kind for n in notifications_for(user))


@pytest.fixture
def scene(app, users, project, other_project):  # type: ignore[no-untyped-def]
    """Supply in Enschede free on days 10-20, demand in Hengelo needed on days 40-60: the
    windows do not meet, so only the depot can bridge them."""
    depot = make_depot(users["coord"], [users["depot"]])
    supply = make_supply(users["lead"], project, quantity=400,
                         available_from=day(10).isoformat(), available_until=day(20).isoformat())
    demand = make_demand(users["other_lead"], other_project, quantity=250,
                         needed_from=day(40).isoformat(), needed_until=day(60).isoformat())
    return {**users, "the_depot": depot, "supply": supply, "demand": demand}


def test_a_depot_route_goes_from_run_to_closed_with_everything_adding_up(scene, db):
    from web.models import (
        DemandListing,
        ListingEvent,
        ListingStatus,
        ProposalStatus,
        StockLedgerEntry,
        SupplyListing,
    )
    from web.services import depots, matching

    depot, supply, demand = scene["the_depot"], scene["supply"], scene["demand"]
    run = matching.run_matching()
    assert run.status == "succeeded" and run.n_supply == 1 and run.n_demand == 1
    assert run.n_proposals == 1 and run.units_proposed == 250
    (p,) = run.proposals
    assert (p.supply_id, p.demand_id, p.depot_id, p.quantity) == (
        supply.id, demand.id, depot.id, 250)
    assert (p.pickup_date, p.delivery_date) == (day(20), day(40))
    assert p.route == "depot" and p.road_km > 0 and p.cost_eur > 0 and p.co2_kg > 0
    assert _kinds(scene["lead"]) == ["new_proposal"]
    assert _kinds(scene["other_lead"]) == ["new_proposal"]
    # the parties see it, an outsider does not
    assert [x.id for x in matching.proposals_for(scene["lead"])] == [p.id]
    assert [x.id for x in matching.proposals_for(scene["depot"])] == [p.id]
    nothing_promised = _use_on(depot.id, 25)
    assert nothing_promised.present_m3 == 0

    matching.accept_proposal(scene["lead"], p.id)
    assert p.status == ProposalStatus.PROPOSED
    assert db.session.get(SupplyListing, supply.id).reserved_quantity == 0
    assert _kinds(scene["other_lead"]) == ["accepted_by_other", "new_proposal"]

    matching.accept_proposal(scene["other_lead"], p.id)
    assert p.status == ProposalStatus.ACCEPTED
    s, d = db.session.get(SupplyListing, supply.id), db.session.get(DemandListing, demand.id)
    assert (s.reserved_quantity, s.status) == (250, ListingStatus.PARTLY_MATCHED)
    assert (d.reserved_quantity, d.status) == (250, ListingStatus.RESERVED)
    # the depot holds room from the pick-up day up to, not including, the delivery day
    assert _use_on(depot.id, 19).present_m3 == 0
    assert _use_on(depot.id, 20).present_m3 == pytest.approx(_m3(250))
    assert _use_on(depot.id, 20).arrivals_m3 == pytest.approx(_m3(250))
    assert _use_on(depot.id, 39).present_m3 == pytest.approx(_m3(250))
    assert _use_on(depot.id, 40).present_m3 == 0
    assert "accepted" in _kinds(scene["depot"])

    # a second run on this data proposes nothing more and leaves the accepted one alone
    again = matching.run_matching()
    assert again.n_proposals == 0 and p.status == ProposalStatus.ACCEPTED

    matching.schedule_proposal(scene["lead"], p.id)
    assert p.status == ProposalStatus.SCHEDULED

    lot = depots.check_in(scene["depot"], p.id)
    assert (lot.quantity, lot.reserved_quantity, lot.source_supply_id) == (250, 250, supply.id)
    assert p.status == ProposalStatus.IN_DEPOT
    assert [(e.kind, e.quantity_delta, e.balance_after) for e in depots.ledger(depot.id)] == [
        ("check_in", 250, 250)]
    # now it lies in the depot, leaving on the delivery day: the same room as promised
    assert _use_on(depot.id, 0).present_m3 == pytest.approx(_m3(250))
    assert _use_on(depot.id, 39).present_m3 == pytest.approx(_m3(250))
    assert _use_on(depot.id, 40).present_m3 == 0
    summary = depots.stock_summary(depot.id)
    assert (summary.quantity, summary.reserved, summary.free) == (250, 250, 0)

    depots.check_out(scene["depot"], p.id)
    assert p.status == ProposalStatus.DELIVERED
    assert lot.quantity == 0 and lot.reserved_quantity == 0
    assert [(e.kind, e.quantity_delta, e.balance_after) for e in depots.ledger(depot.id)] == [
        ("check_in", 250, 250), ("check_out", -250, 0)]
    assert depots.stock_matches_ledger() == []
    assert _use_on(depot.id, 0).present_m3 == 0
    assert "delivered" in _kinds(scene["other_lead"])

    matching.close_proposal(scene["other_lead"], p.id)
    assert p.status == ProposalStatus.CLOSED
    assert db.session.get(DemandListing, demand.id).status == ListingStatus.CLOSED
    assert db.session.get(SupplyListing, supply.id).status == ListingStatus.PARTLY_MATCHED
    supply_actions = [e.action for e in db.session.scalars(
        select(ListingEvent).where(ListingEvent.supply_id == supply.id).order_by(ListingEvent.id))]
    demand_actions = [e.action for e in db.session.scalars(
        select(ListingEvent).where(ListingEvent.demand_id == demand.id).order_by(ListingEvent.id))]
    assert supply_actions == ["created", "reserved", "picked_up"]
    assert demand_actions == ["created", "reserved", "delivered", "closed"]
    assert db.session.scalars(select(StockLedgerEntry)).all()  # the ledger stays


def test_depot_stock_goes_to_a_demand_through_reserve_and_check_out(app, users, other_project, db):
    from web.models import LedgerKind, ProposalStatus
    from web.services import depots, matching

    depot = make_depot(users["coord"], [users["depot"]])
    lot = depots.add_walk_in(users["depot"], depot.id,
                             {"material_code": "tile-30x30", "quantity": 300, "condition": "A"})
    demand = make_demand(users["other_lead"], other_project, quantity=200,
                         needed_from=day(5).isoformat(), needed_until=day(30).isoformat())
    run = matching.run_matching()
    (p,) = run.proposals
    assert (p.route, p.source_lot_id, p.demand_id, p.quantity) == ("stock", lot.id, demand.id, 200)
    assert p.pickup_date == p.delivery_date == day(5)
    assert "new_proposal" in _kinds(users["depot"])  # the depot's managers answer for stock
    with pytest.raises(matching.NotFound):
        matching.accept_proposal(users["lead"], p.id)  # not a party: not even shown

    matching.accept_proposal(users["depot"], p.id)
    matching.accept_proposal(users["other_lead"], p.id)
    assert p.status == ProposalStatus.ACCEPTED
    assert (lot.quantity, lot.reserved_quantity) == (300, 200)
    assert _use_on(depot.id, 4).present_m3 == pytest.approx(_m3(300))
    assert _use_on(depot.id, 5).present_m3 == pytest.approx(_m3(100))
    # the next run offers only the free 100 units (there is no demand left for them)
    assert matching.build_instance().data["depots"][0]["stock"][0]["quantity"] == 100

    depots.check_out(users["depot"], p.id)
    assert (lot.quantity, lot.reserved_quantity) == (100, 0)
    kinds = [e.kind for e in depots.ledger(depot.id)]
    assert kinds == [LedgerKind.CHECK_IN, LedgerKind.RESERVE, LedgerKind.CHECK_OUT]
    assert depots.stock_matches_ledger() == []
    matching.close_proposal(users["coord"], p.id)
    assert p.status == ProposalStatus.CLOSED


def test_a_direct_route_is_delivered_by_the_receivers_confirmation(app, users, project,
                                                                   other_project, db):
    from web.models import ListingStatus, ProposalStatus
    from web.services import matching

    supply = make_supply(users["lead"], project, quantity=100)  # days 10-40
    demand = make_demand(users["other_lead"], other_project, quantity=100)  # days 30-60
    (p,) = matching.run_matching().proposals
    assert p.route == "direct" and p.depot_id is None
    assert p.pickup_date == p.delivery_date == day(30)
    matching.accept_proposal(users["other_lead"], p.id)
    matching.accept_proposal(users["lead"], p.id)
    with pytest.raises(matching.PermissionDenied):
        matching.confirm_delivery(users["lead"], p.id)  # the receiver confirms
    matching.confirm_delivery(users["other_lead"], p.id)
    matching.close_proposal(users["other_lead"], p.id)
    assert p.status == ProposalStatus.CLOSED
    assert supply.status == ListingStatus.CLOSED and demand.status == ListingStatus.CLOSED
