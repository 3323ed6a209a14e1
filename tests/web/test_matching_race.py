"""Racing accepts never promise more than there is: many threads, each with its own database
connection, accept proposals at the same moment.  Meant for PostgreSQL (row locks); SQLite runs
it too, serialised by its write lock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.web.matching_builders import day, make_demand, make_depot, make_supply

N_THREADS = 12


def _run(app, db):  # type: ignore[no-untyped-def]
    from web.models import MatchRun, RunStatus

    run = MatchRun(started_at=datetime.now(UTC), status=RunStatus.SUCCEEDED, error="")
    db.session.add(run)
    db.session.flush()
    return run


def _proposal(run, **fields):  # type: ignore[no-untyped-def]
    from web.models import Proposal

    now = datetime.now(UTC)
    values = dict(run_id=run.id, road_km=5.0, cost_eur=1.0, co2_kg=0.1, reject_reason="",
                  expires_at=now + timedelta(days=7), first_proposed_at=now)
    values.update(fields)
    return Proposal(**values)


def _race(app, coord_id: int, proposal_ids: list[int]) -> dict[int, str]:
    """Every thread answers both sides of one proposal, all released at once by a barrier."""
    from web.extensions import db
    from web.models import User
    from web.services import matching
    from web.services.errors import Conflict

    barrier = threading.Barrier(len(proposal_ids))
    outcome: dict[int, str] = {}

    def work(pid: int) -> None:
        with app.app_context():
            coord = db.session.get(User, coord_id)
            matching.accept_proposal(coord, pid, side="supplier")
            barrier.wait(30)
            try:
                matching.accept_proposal(coord, pid, side="receiver")
                outcome[pid] = "accepted"
            except Conflict:
                db.session.rollback()
                outcome[pid] = "refused"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                outcome[pid] = f"error: {exc!r}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(pid,)) for pid in proposal_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcome


def test_racing_accepts_on_one_supply_never_over_promise(app, db, users, project, other_project):
    from web.models import DemandListing, ListingEvent, SupplyListing

    supply = make_supply(users["lead"], project, quantity=100)
    supply_id = supply.id
    demands = [make_demand(users["other_lead"], other_project, quantity=40)
               for _ in range(N_THREADS)]
    demand_ids = [d.id for d in demands]
    run = _run(app, db)
    ps = [_proposal(run, supply_id=supply.id, demand_id=d.id, quantity=40,
                    pickup_date=day(30), delivery_date=day(30)) for d in demands]
    db.session.add_all(ps)
    db.session.commit()
    ids, coord_id = [p.id for p in ps], users["coord"].id
    db.session.remove()

    outcome = _race(app, coord_id, ids)
    assert sorted(outcome.values()) == ["accepted"] * 2 + ["refused"] * (N_THREADS - 2), outcome
    db.session.expire_all()
    s = db.session.get(SupplyListing, supply_id)
    assert s.reserved_quantity == 80 <= s.quantity
    reserved_demands = [db.session.get(DemandListing, i).reserved_quantity for i in demand_ids]
    assert sorted(reserved_demands) == [0] * (N_THREADS - 2) + [40, 40]
    events = db.session.scalars(select(ListingEvent).where(
        ListingEvent.supply_id == supply_id, ListingEvent.action == "reserved")).all()
    assert len(events) == 2 and {e.new_reserved for e in events} == {40, 80}


def test_racing_accepts_never_overfill_a_depot(app, db, users, project, other_project):
    """Twelve depot routes of 0.405 m3 each (100 tiles) into a 1 m3 depot: two fit."""
    from web.models import ProposalStatus
    from web.services import depots

    depot = make_depot(users["coord"], capacity_m3=1.0)
    depot_id = depot.id
    pairs = [(make_supply(users["lead"], project, quantity=100,
                          available_from=day(5).isoformat(), available_until=day(10).isoformat()),
              make_demand(users["other_lead"], other_project, quantity=100,
                          needed_from=day(20).isoformat(), needed_until=day(30).isoformat()))
             for _ in range(N_THREADS)]
    run = _run(app, db)
    ps = [_proposal(run, supply_id=s.id, demand_id=d.id, depot_id=depot.id, quantity=100,
                    pickup_date=day(10), delivery_date=day(20)) for s, d in pairs]
    db.session.add_all(ps)
    db.session.commit()
    ids, coord_id = [p.id for p in ps], users["coord"].id
    db.session.remove()

    outcome = _race(app, coord_id, ids)
    assert sorted(outcome.values()) == ["accepted"] * 2 + ["refused"] * (N_THREADS - 2), outcome
    db.session.expire_all()
    peak = max(u.present_m3 for u in depots.capacity_use(depot_id, days=40))
    assert peak == pytest.approx(0.81) and peak <= 1.0
    from web.models import Proposal

    accepted = db.session.scalars(select(Proposal).where(
        Proposal.status == ProposalStatus.ACCEPTED)).all()
    assert len(accepted) == 2


def test_racing_accepts_on_depot_stock_never_over_promise(app, db, users, other_project):
    from web.models import LedgerKind, StockLedgerEntry
    from web.services import depots

    depot = make_depot(users["coord"], [users["depot"]])
    lot = depots.add_walk_in(users["depot"], depot.id,
                             {"material_code": "tile-30x30", "quantity": 100})
    demands = [make_demand(users["other_lead"], other_project, quantity=30)
               for _ in range(N_THREADS)]
    run = _run(app, db)
    ps = [_proposal(run, source_lot_id=lot.id, depot_id=depot.id, demand_id=d.id, quantity=30,
                    pickup_date=day(30), delivery_date=day(30)) for d in demands]
    db.session.add_all(ps)
    db.session.commit()
    ids, lot_id, coord_id = [p.id for p in ps], lot.id, users["coord"].id
    db.session.remove()

    outcome = _race(app, coord_id, ids)
    assert sorted(outcome.values()) == ["accepted"] * 3 + ["refused"] * (N_THREADS - 3), outcome
    lot = depots.get_lot(lot_id)
    assert (lot.quantity, lot.reserved_quantity) == (100, 90)
    lines = db.session.scalars(select(StockLedgerEntry).where(
        StockLedgerEntry.lot_id == lot_id).order_by(StockLedgerEntry.id)).all()
    assert [x.kind for x in lines] == [LedgerKind.CHECK_IN] + [LedgerKind.RESERVE] * 3
    assert [x.reserved_after for x in lines] == [0, 30, 60, 90]
