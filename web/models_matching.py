"""Tables of issue 4: depots and their stock ledger, match runs, proposals and the outbox.

Imported from :mod:`web.models` with one line, so the two halves of the schema stay in their own
files.  The rules live in the services (``web/services/matching.py``, ``depots.py``,
``notifications.py``); the database backs the ones that must never break with CHECK constraints:

- a stock lot's ``quantity >= 0`` and ``0 <= reserved_quantity <= quantity``;
- every ledger row carries the lot's running balance after it, ``balance_after >= 0``, and the
  ledger is append-only (a trigger refuses UPDATE, and on PostgreSQL also DELETE);
- a proposal comes from exactly one source: a supply listing or a depot's stock lot.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.extensions import db
from web.models import (
    Condition,
    DemandListing,
    JSONType,
    Material,
    SupplyListing,
    User,
    _enum,
    utcnow,
)


class Depot(db.Model):
    """Where material waits between pick-up and a later delivery: the spec's ``depots[]``."""

    __tablename__ = "depot"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    place: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str | None] = mapped_column(String(10))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    capacity_m3: Mapped[float] = mapped_column(Float)
    holding_eur_per_m3_day: Mapped[float] = mapped_column(Float, default=0.05)
    handling_eur_per_tonne: Mapped[float] = mapped_column(Float, default=4.0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    managers: Mapped[list[User]] = relationship(
        secondary="depot_manager", order_by="User.id", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
        CheckConstraint("capacity_m3 >= 0", name="capacity_nonnegative"),
        CheckConstraint("holding_eur_per_m3_day >= 0", name="holding_nonnegative"),
        CheckConstraint("handling_eur_per_tonne >= 0", name="handling_nonnegative"),
    )

    def __repr__(self) -> str:
        return f"<Depot {self.id} {self.name!r}>"


class DepotManager(db.Model):
    """Which users (role depot manager) run which depots."""

    __tablename__ = "depot_manager"

    depot_id: Mapped[int] = mapped_column(
        ForeignKey("depot.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class StockLot(db.Model):
    """Units of one material, of one condition, lying in one depot since ``received_on``.

    ``quantity`` is derived from the ledger (it is the last ledger row's ``balance_after``) and
    kept here so that a row lock on the lot serialises every change to it.  ``reserved_quantity``
    is the part promised to accepted proposals.
    """

    __tablename__ = "stock_lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depot.id"), index=True)
    material_code: Mapped[str] = mapped_column(ForeignKey("material.code"), index=True)
    condition: Mapped[Condition] = mapped_column(_enum(Condition, "condition"), default=Condition.B)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    reserved_quantity: Mapped[int] = mapped_column(Integer, default=0)
    received_on: Mapped[date] = mapped_column(Date)
    source_supply_id: Mapped[int | None] = mapped_column(
        ForeignKey("supply_listing.id"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    depot: Mapped[Depot] = relationship()
    material: Mapped[Material] = relationship(lazy="joined")
    source_supply: Mapped[SupplyListing | None] = relationship()

    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_nonnegative"),
        CheckConstraint("reserved_quantity >= 0", name="reserved_nonnegative"),
        CheckConstraint("reserved_quantity <= quantity", name="reserved_within_quantity"),
    )

    @property
    def quantity_free(self) -> int:
        return self.quantity - self.reserved_quantity

    def __repr__(self) -> str:
        return f"<StockLot {self.id} depot={self.depot_id} {self.material_code} x{self.quantity}>"


class LedgerKind(enum.StrEnum):
    CHECK_IN = "check_in"  # units arrive (from a depot route, or walk-in stock added by hand)
    CHECK_OUT = "check_out"  # units leave to a receiver
    CORRECTION = "correction"  # a count differs from the books; a reason is required
    RESERVE = "reserve"  # units promised to an accepted proposal (no movement)
    RELEASE = "release"  # a promise withdrawn (no movement)


class StockLedgerEntry(db.Model):
    """One append-only line of a depot's stock ledger: what happened to a lot, who, when, why.

    ``balance_after`` and ``reserved_after`` are the lot's figures after this line, computed in
    the same transaction, under the lot's row lock; the lot's quantity is always its last line's
    balance and the sum of ``quantity_delta``.
    """

    __tablename__ = "stock_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depot.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("stock_lot.id"), index=True)
    kind: Mapped[LedgerKind] = mapped_column(_enum(LedgerKind, "ledger_kind"))
    quantity_delta: Mapped[int] = mapped_column(Integer)
    balance_after: Mapped[int] = mapped_column(Integer)
    reserved_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("match_proposal.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    lot: Mapped[StockLot] = relationship()
    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("balance_after >= 0", name="balance_nonnegative"),
        CheckConstraint(
            "reserved_after >= 0 AND reserved_after <= balance_after", name="reserved_within"
        ),
        CheckConstraint(
            "(kind = 'check_in' AND quantity_delta > 0)"
            " OR (kind = 'check_out' AND quantity_delta < 0)"
            " OR (kind = 'correction' AND quantity_delta <> 0 AND reason <> '')"
            " OR (kind IN ('reserve', 'release') AND quantity_delta = 0)",
            name="delta_fits_kind",
        ),
    )


class RunStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class MatchRun(db.Model):
    """One nightly run: when, how it ended, what the matcher found, how many proposals it made."""

    __tablename__ = "match_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus, "run_status"))
    today: Mapped[date | None] = mapped_column(Date)
    solver_status: Mapped[str | None] = mapped_column(String(20))  # optimal / feasible
    objective_eur: Mapped[float | None] = mapped_column(Float)
    lower_bound_eur: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    n_supply: Mapped[int] = mapped_column(Integer, default=0)
    n_demand: Mapped[int] = mapped_column(Integer, default=0)
    n_stock: Mapped[int] = mapped_column(Integer, default=0)
    n_depots: Mapped[int] = mapped_column(Integer, default=0)
    n_proposals: Mapped[int] = mapped_column(Integer, default=0)
    units_proposed: Mapped[int] = mapped_column(Integer, default=0)
    n_superseded: Mapped[int] = mapped_column(Integer, default=0)
    n_expired: Mapped[int] = mapped_column(Integer, default=0)
    solve_seconds: Mapped[float | None] = mapped_column(Float)
    instance_sha256: Mapped[str | None] = mapped_column(String(64))
    cost_breakdown: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    kpis: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    triggered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="run", order_by="Proposal.id", foreign_keys="Proposal.run_id"
    )


class ProposalStatus(enum.StrEnum):
    PROPOSED = "proposed"  # waiting for both parties
    ACCEPTED = "accepted"  # both accepted: the units are reserved
    SCHEDULED = "scheduled"  # the transport is planned
    IN_DEPOT = "in_depot"  # a depot route, checked in at the depot
    DELIVERED = "delivered"  # the receiver has it (confirmed, or checked out of the depot)
    CLOSED = "closed"  # done
    REJECTED = "rejected"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"  # a later run replaced it


#: Proposals that hold a reservation.
HOLDING_STATUSES = (
    ProposalStatus.ACCEPTED,
    ProposalStatus.SCHEDULED,
    ProposalStatus.IN_DEPOT,
    ProposalStatus.DELIVERED,
)


class Decision(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Proposal(db.Model):
    """One allocation of a run offered to its two parties: supplier (or depot) and receiver."""

    __tablename__ = "match_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_run.id"), index=True)
    supply_id: Mapped[int | None] = mapped_column(ForeignKey("supply_listing.id"), index=True)
    source_lot_id: Mapped[int | None] = mapped_column(ForeignKey("stock_lot.id"), index=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demand_listing.id"), index=True)
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("depot.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    pickup_date: Mapped[date] = mapped_column(Date)
    delivery_date: Mapped[date] = mapped_column(Date)
    road_km: Mapped[float] = mapped_column(Float)
    cost_eur: Mapped[float] = mapped_column(Float)
    co2_kg: Mapped[float] = mapped_column(Float)
    status: Mapped[ProposalStatus] = mapped_column(
        _enum(ProposalStatus, "proposal_status"), default=ProposalStatus.PROPOSED
    )
    supplier_decision: Mapped[Decision] = mapped_column(
        _enum(Decision, "supplier_decision"), default=Decision.PENDING
    )
    supplier_decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    supplier_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    receiver_decision: Mapped[Decision] = mapped_column(
        _enum(Decision, "receiver_decision"), default=Decision.PENDING
    )
    receiver_decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    receiver_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    first_proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expiry_warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    transit_lot_id: Mapped[int | None] = mapped_column(ForeignKey("stock_lot.id"))
    superseded_by_run_id: Mapped[int | None] = mapped_column(ForeignKey("match_run.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    run: Mapped[MatchRun] = relationship(back_populates="proposals", foreign_keys=[run_id])
    supply: Mapped[SupplyListing | None] = relationship()
    source_lot: Mapped[StockLot | None] = relationship(foreign_keys=[source_lot_id])
    transit_lot: Mapped[StockLot | None] = relationship(foreign_keys=[transit_lot_id])
    demand: Mapped[DemandListing] = relationship()
    depot: Mapped[Depot | None] = relationship()

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("pickup_date <= delivery_date", name="dates_ordered"),
        CheckConstraint("(supply_id IS NULL) <> (source_lot_id IS NULL)", name="one_source"),
        CheckConstraint("source_lot_id IS NULL OR depot_id IS NOT NULL", name="stock_has_depot"),
        Index("ix_match_proposal_status_expires", "status", "expires_at"),
    )

    @property
    def route(self) -> str:
        """``direct``, ``depot`` (picked up, stored, delivered) or ``stock`` (from depot stock)."""
        if self.source_lot_id is not None:
            return "stock"
        return "depot" if self.depot_id is not None else "direct"

    @property
    def material_code(self) -> str:
        if self.supply is not None:
            return self.supply.material_code
        assert self.source_lot is not None
        return self.source_lot.material_code

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.route} x{self.quantity} {self.status}>"


class Notification(db.Model):
    """A message to one user, written in the same transaction as its event (an outbox).

    ``params`` holds what the message needs; the text is rendered in the reader's language when
    shown or sent (see :mod:`web.services.notifications`).  ``sent_at`` stays empty until an
    e-mail went out; without SMTP they are only shown on the site.
    """

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("match_proposal.id"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_notification_unsent", "sent_at", "id"),)


# The ledger's append-only triggers (UPDATE refused) are created by migration 0101.

__all__ = [
    "HOLDING_STATUSES",
    "Decision",
    "Depot",
    "DepotManager",
    "LedgerKind",
    "MatchRun",
    "Notification",
    "Proposal",
    "ProposalStatus",
    "RunStatus",
    "StockLedgerEntry",
    "StockLot",
]
