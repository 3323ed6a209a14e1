"""The stock ledger: append-only, never negative (in code and in the database), and always
adding up to the stock."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DatabaseError, IntegrityError

from tests.web.matching_builders import day, make_depot


@pytest.fixture
def lot(app, users):  # type: ignore[no-untyped-def]
    from web.services import depots

    depot = make_depot(users["coord"], [users["depot"]])
    return depots.add_walk_in(users["depot"], depot.id, {
        "material_code": "tile-30x30", "quantity": 50,
        "condition": "C", "received_on": day(-30).isoformat(), "description": "Van de markt"})


def test_corrections_never_take_stock_below_zero_or_below_what_is_promised(lot, users, db):
    from web.models import LedgerKind
    from web.services import depots
    from web.services.errors import Conflict, ValidationError

    with pytest.raises(Conflict):
        depots.correct_stock(users["depot"], lot.id, -51, "kwijt")
    db.session.rollback()
    depots.append_ledger(lot, LedgerKind.RESERVE, 0, users["depot"], reserved_delta=20,
                         reason="test")
    db.session.commit()
    with pytest.raises(Conflict):
        depots.correct_stock(users["depot"], lot.id, -31, "kwijt")  # 20 are promised
    db.session.rollback()
    with pytest.raises(ValidationError):
        depots.correct_stock(users["depot"], lot.id, -1, "  ")
    db.session.rollback()
    depots.correct_stock(users["depot"], lot.id, -30, "gebroken")
    assert (lot.quantity, lot.reserved_quantity) == (20, 20)
    assert depots.stock_matches_ledger() == []
    with pytest.raises(Exception):  # noqa: B017 - the lot's managers only
        depots.correct_stock(users["lead"], lot.id, 1, "gevonden")


@pytest.mark.parametrize("values", [
    {"quantity": -1},
    {"reserved_quantity": 51},
    {"reserved_quantity": -1},
])
def test_the_database_refuses_an_impossible_lot(lot, db, values):
    from web.models import StockLot

    with pytest.raises(IntegrityError):
        db.session.execute(update(StockLot).where(StockLot.id == lot.id).values(**values))
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("values", [
    {"kind": "check_out", "quantity_delta": -60, "balance_after": -10, "reserved_after": 0},
    {"kind": "check_in", "quantity_delta": -1, "balance_after": 49, "reserved_after": 0},
    {"kind": "correction", "quantity_delta": 2, "balance_after": 52, "reserved_after": 0,
     "reason": ""},
    {"kind": "reserve", "quantity_delta": 0, "balance_after": 50, "reserved_after": 60},
])
def test_the_database_refuses_an_impossible_ledger_line(lot, db, values):
    from web.models import StockLedgerEntry

    row = StockLedgerEntry(depot_id=lot.depot_id, lot_id=lot.id, **{"reason": "x", **values})
    db.session.add(row)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_ledger_lines_cannot_be_changed_afterwards(lot, db):
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE stock_ledger SET quantity_delta = 5000"))
    db.session.rollback()


def test_the_summary_reports_value_condition_age_and_reserved(lot, users, db):
    from web.models import Material
    from web.services import depots

    tile = db.session.get(Material, "tile-30x30")
    second = depots.add_walk_in(users["depot"], lot.depot_id,
                                {"material_code": "tile-30x30", "quantity": 10, "condition": "A"})
    assert second.received_on == day(0)
    summary = depots.stock_summary(lot.depot_id)
    (row,) = summary.materials
    assert (row.quantity, row.reserved, row.free) == (60, 0, 60)
    assert row.by_condition == {"A": 10, "C": 50}
    assert row.oldest_days == 30 and row.mean_age_days == pytest.approx(30 * 50 / 60)
    assert row.value_eur == pytest.approx(60 * tile.new_price_eur_per_unit)
    assert row.m3 == pytest.approx(60 * tile.m3_per_unit)
    # walk-in stock stays: it fills the depot on every coming day
    use = depots.capacity_use(lot.depot_id, days=3)
    assert [u.present_m3 for u in use] == [pytest.approx(60 * tile.m3_per_unit)] * 3
    assert all(u.promised_m3 == pytest.approx(0) for u in use)
