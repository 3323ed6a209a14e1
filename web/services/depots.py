"""Depots: their managers, the stock ledger, check-in and check-out, and capacity over time.

Stock is held in lots (:class:`StockLot`: one material, one condition, one depot).  Every change
of a lot is one append-only :class:`StockLedgerEntry` (check-in, check-out, correction with a
reason, reserve, release) carrying the lot's balance after it; the lot's quantity is updated in
the same transaction, under the lot's row lock, and the database refuses a negative balance or a
reservation above the balance.  So the ledger always adds up to the stock.

Capacity over time (:func:`capacity_use`) counts what lies in the depot, the planned arrivals of
accepted depot routes (from their pick-up day to their delivery day) and the planned departures
(accepted proposals that take units out of the depot on their delivery day).  Accepting a depot
route checks that series (:func:`check_room`), under the depot's row lock, so two accepts never
promise the same cubic metres.

Who may do what: coordinators everything; a depot manager the depots they manage; anyone may
look up a depot's location and rates (proposals show them).
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from web.extensions import db
from web.models import (
    HOLDING_STATUSES,
    Condition,
    Depot,
    DepotManager,
    LedgerKind,
    Material,
    Proposal,
    ProposalStatus,
    Role,
    StockLedgerEntry,
    StockLot,
    User,
)
from web.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from web.services.locking import begin_write, lock_row

_M3_TOL = 1e-9
DEPOT_FIELDS = (
    "name", "address", "place", "postcode", "lat", "lon", "capacity_m3",
    "holding_eur_per_m3_day", "handling_eur_per_tonne", "active",
)


def _today() -> date:
    return date.today()


# ----------------------------------------------------------------------------- permissions


def is_manager(user: User | None, depot_id: int) -> bool:
    """Whether ``user`` manages depot ``depot_id`` (coordinators are not managers)."""
    if user is None or getattr(user, "id", None) is None:
        return False
    return db.session.get(DepotManager, (depot_id, user.id)) is not None


def can_manage(user: User | None, depot_id: int) -> bool:
    """Coordinators and the depot's own managers run a depot."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_coordinator) or is_manager(user, depot_id)


def _require_manage(user: User, depot_id: int) -> None:
    if not can_manage(user, depot_id):
        raise PermissionDenied(_l("Only this depot's managers or a coordinator can do this."))


def _require_coordinator(user: User) -> None:
    if not getattr(user, "is_coordinator", False):
        raise PermissionDenied(_l("Only a coordinator can do this."))


# ----------------------------------------------------------------------------- depots


def get_depot(depot_id: int) -> Depot:
    depot = db.session.get(Depot, depot_id)
    if depot is None:
        raise NotFound(_l("Depot %(id)s does not exist.", id=depot_id))
    return depot


def list_depots(active_only: bool = False) -> list[Depot]:
    stmt = select(Depot).order_by(Depot.name, Depot.id)
    if active_only:
        stmt = stmt.where(Depot.active.is_(True))
    return list(db.session.scalars(stmt))


def depots_of(user: User) -> list[Depot]:
    """The depots ``user`` runs: all for a coordinator, their own for a depot manager."""
    if user.is_coordinator:
        return list_depots()
    stmt = (
        select(Depot)
        .join(DepotManager, DepotManager.depot_id == Depot.id)
        .where(DepotManager.user_id == user.id)
        .order_by(Depot.name, Depot.id)
    )
    return list(db.session.scalars(stmt))


def _number(data: Mapping[str, Any], name: str, errors: dict[str, Any], minimum: float = 0.0,
            low: float | None = None, high: float | None = None) -> float | None:
    raw = data.get(name)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        errors[name] = _l("Enter a number.")
        return None
    if isinstance(raw, bool) or not math.isfinite(value):
        errors[name] = _l("Enter a number.")
        return None
    if low is not None and high is not None:
        if not low <= value <= high:
            errors[name] = _l("Must lie between %(low)s and %(high)s.", low=low, high=high)
            return None
    elif value < minimum:
        errors[name] = _l("Must be at least %(n)s.", n=minimum)
        return None
    return value


def _depot_fields(data: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    unknown = sorted(set(data) - set(DEPOT_FIELDS) - {"location"})
    for name in unknown:
        errors[name] = _l("Unknown field.")
    if "location" in data and data.get("location") and ("lat" not in data or "lon" not in data):
        from web.services.locations import resolve_location

        try:
            where = resolve_location(str(data["location"]))
            clean.update(lat=where.lat, lon=where.lon)
            clean.setdefault("postcode", getattr(where, "postcode", None))
        except ValidationError as exc:
            errors.update(exc.field_errors or {"location": exc.message})
    for name in ("name", "address", "place", "postcode"):
        if name in data:
            value = data[name]
            if value is not None and not isinstance(value, str):
                errors[name] = _l("Enter a text.")
                continue
            value = (value or "").strip()
            if name == "name" and not value:
                errors[name] = _l("Enter a name.")
                continue
            clean[name] = value if (value or name != "postcode") else None
        elif name == "name" and not partial:
            errors[name] = _l("Enter a name.")
    if "lat" in data:
        value = _number(data, "lat", errors, low=-90, high=90)
        if value is not None:
            clean["lat"] = value
    if "lon" in data:
        value = _number(data, "lon", errors, low=-180, high=180)
        if value is not None:
            clean["lon"] = value
    if not partial and ("lat" not in clean or "lon" not in clean) and "lat" not in errors:
        errors.setdefault("location", _l("Give lat and lon, or a postcode or place."))
    for name in ("capacity_m3", "holding_eur_per_m3_day", "handling_eur_per_tonne"):
        if name in data:
            value = _number(data, name, errors)
            if value is not None:
                clean[name] = value
        elif name == "capacity_m3" and not partial:
            errors[name] = _l("Enter the depot's capacity in m3.")
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = _l("Must be true or false.")
        else:
            clean["active"] = data["active"]
    if errors:
        raise ValidationError(_l("The depot could not be saved."), errors)
    return clean


def create_depot(actor: User, data: Mapping[str, Any]) -> Depot:
    """A coordinator registers a depot: name, location, capacity_m3 and its rates."""
    _require_coordinator(actor)
    clean = _depot_fields(data, partial=False)
    if db.session.scalar(select(Depot.id).where(Depot.name == clean["name"])) is not None:
        raise ValidationError(_l("The depot could not be saved."),
                              {"name": _l("A depot with this name exists already.")})
    depot = Depot(**{"address": "", "place": "", "active": True, "holding_eur_per_m3_day": 0.05,
                     "handling_eur_per_tonne": 4.0, **clean})
    db.session.add(depot)
    db.session.commit()
    return depot


def update_depot(actor: User, depot_id: int, data: Mapping[str, Any]) -> Depot:
    """A coordinator changes a depot's fields (only those in ``data``)."""
    _require_coordinator(actor)
    depot = get_depot(depot_id)
    clean = _depot_fields(data, partial=True)
    if "name" in clean and clean["name"] != depot.name and db.session.scalar(
        select(Depot.id).where(Depot.name == clean["name"])
    ) is not None:
        raise ValidationError(_l("The depot could not be saved."),
                              {"name": _l("A depot with this name exists already.")})
    for name, value in clean.items():
        setattr(depot, name, value)
    db.session.commit()
    return depot


def set_managers(actor: User, depot_id: int, user_ids: Iterable[int]) -> Depot:
    """A coordinator names the depot's managers (users with the depot manager role)."""
    _require_coordinator(actor)
    depot = get_depot(depot_id)
    users = []
    for user_id in sorted(set(user_ids)):
        user = db.session.get(User, user_id)
        if user is None or user.role != Role.DEPOT_MANAGER:
            raise ValidationError(
                _l("The managers could not be saved."),
                {"user_ids": _l("User %(id)s is not a depot manager.", id=user_id)},
            )
        users.append(user)
    depot.managers = users
    db.session.commit()
    return depot


# ----------------------------------------------------------------------------- the ledger


def append_ledger(
    lot: StockLot,
    kind: LedgerKind,
    delta: int,
    actor: User | None,
    *,
    reserved_delta: int = 0,
    reason: str = "",
    proposal_id: int | None = None,
) -> StockLedgerEntry:
    """Change a (locked) lot and write its ledger line in the caller's transaction.

    Refuses (:class:`Conflict`) what would make the balance negative or reserve more than the
    lot holds; the database's CHECK constraints refuse the same, should code ever slip.
    """
    new_quantity = lot.quantity + delta
    new_reserved = lot.reserved_quantity + reserved_delta
    if new_quantity < 0:
        raise Conflict(_l("Only %(n)d units are in stock.", n=lot.quantity))
    if new_reserved < 0 or new_reserved > new_quantity:
        raise Conflict(_l("Only %(n)d units of this lot are free.", n=lot.quantity_free))
    lot.quantity = new_quantity
    lot.reserved_quantity = new_reserved
    entry = StockLedgerEntry(
        depot_id=lot.depot_id, lot_id=lot.id, kind=kind, quantity_delta=delta,
        balance_after=new_quantity, reserved_after=new_reserved, reason=reason[:2000],
        proposal_id=proposal_id, actor_id=actor.id if actor is not None else None,
        at=datetime.now(UTC),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _clean_int(value: Any, name: str, errors: dict[str, Any], *, nonzero: bool = False,
               positive: bool = False) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors[name] = _l("Enter a whole number.")
        return None
    try:
        number = int(value)
    except ValueError:
        errors[name] = _l("Enter a whole number.")
        return None
    if positive and number < 1:
        errors[name] = _l("Must be at least 1.")
        return None
    if nonzero and number == 0:
        errors[name] = _l("Must not be 0.")
        return None
    return number


def add_walk_in(actor: User, depot_id: int, data: Mapping[str, Any],
                today: date | None = None) -> StockLot:
    """Stock brought to the depot by hand (no proposal): a new lot and its check-in line.

    ``data``: material_code, quantity, condition (A/B/C, default B), attributes (a flat object),
    description, received_on (default today).  Refused when it does not fit the depot's room
    on some coming day, counting what is already promised.
    """
    _require_manage(actor, depot_id)
    today = today or _today()
    errors: dict[str, Any] = {}
    material = None
    code = data.get("material_code")
    if not isinstance(code, str) or db.session.get(Material, code) is None:
        errors["material_code"] = _l("Choose a material from the catalogue.")
    else:
        material = db.session.get(Material, code)
    quantity = _clean_int(data.get("quantity"), "quantity", errors, positive=True)
    try:
        condition = Condition(data.get("condition") or "B")
    except ValueError:
        errors["condition"] = _l("Choose A, B or C.")
        condition = Condition.B
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, Mapping) or not all(
        isinstance(k, str) and isinstance(v, int | float | str) and not isinstance(v, bool)
        for k, v in attributes.items()
    ):
        errors["attributes"] = _l("Give the measured properties as name: value pairs.")
    received_on = data.get("received_on") or today
    if isinstance(received_on, str):
        try:
            received_on = date.fromisoformat(received_on)
        except ValueError:
            errors["received_on"] = _l("Enter a date as YYYY-MM-DD.")
    description = data.get("description") or ""
    if not isinstance(description, str):
        errors["description"] = _l("Enter a text.")
    if errors:
        raise ValidationError(_l("The stock could not be added."), errors)
    assert material is not None and quantity is not None
    depot = lock_row(Depot, depot_id)
    if depot is None:
        raise NotFound(_l("Depot %(id)s does not exist.", id=depot_id))
    check_room(depot, today, None, quantity * material.m3_per_unit, today=today)
    lot = StockLot(
        depot_id=depot_id, material_code=material.code, condition=condition,
        attributes=dict(attributes), description=description.strip()[:2000], quantity=0,
        reserved_quantity=0, received_on=received_on, created_by_id=actor.id,
    )
    db.session.add(lot)
    db.session.flush()
    append_ledger(lot, LedgerKind.CHECK_IN, quantity, actor, reason="walk-in")
    db.session.commit()
    return lot


def correct_stock(actor: User, lot_id: int, delta: int, reason: str) -> StockLedgerEntry:
    """Record a counted difference (+ found, - lost or damaged); a reason is required.

    A correction cannot take away units that are promised (reserved) to a proposal.
    """
    errors: dict[str, Any] = {}
    number = _clean_int(delta, "quantity_delta", errors, nonzero=True)
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = _l("Say why the stock is corrected.")
    if errors:
        raise ValidationError(_l("The correction could not be saved."), errors)
    assert number is not None
    lot = lock_row(StockLot, lot_id)
    if lot is None:
        raise NotFound(_l("Stock lot %(id)s does not exist.", id=lot_id))
    _require_manage(actor, lot.depot_id)
    entry = append_ledger(lot, LedgerKind.CORRECTION, number, actor, reason=reason.strip())
    db.session.commit()
    return entry


def get_lot(lot_id: int) -> StockLot:
    lot = db.session.get(StockLot, lot_id)
    if lot is None:
        raise NotFound(_l("Stock lot %(id)s does not exist.", id=lot_id))
    return lot


def lots(depot_id: int, include_empty: bool = False) -> list[StockLot]:
    stmt = select(StockLot).where(StockLot.depot_id == depot_id)
    if not include_empty:
        stmt = stmt.where(StockLot.quantity > 0)
    return list(db.session.scalars(stmt.order_by(StockLot.id)))


def ledger(depot_id: int, lot_id: int | None = None) -> list[StockLedgerEntry]:
    """The depot's ledger lines (of one lot, if given), oldest first."""
    stmt = select(StockLedgerEntry).where(StockLedgerEntry.depot_id == depot_id)
    if lot_id is not None:
        stmt = stmt.where(StockLedgerEntry.lot_id == lot_id)
    return list(db.session.scalars(stmt.order_by(StockLedgerEntry.id)))


# ----------------------------------------------------------------------------- check-in/out


def _proposal_for_depot(proposal_id: int) -> Proposal:
    proposal = lock_row(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_l("Proposal %(id)s does not exist.", id=proposal_id))
    if proposal.depot_id is None:
        raise Conflict(_l("This proposal does not pass through a depot."))
    return proposal


def _party_ids(proposal: Proposal) -> set[int]:
    from web.services.matching import party_user_ids

    ids = party_user_ids(proposal)
    return ids["supplier"] | ids["receiver"]


def tell(user_ids: set[int], kind: str, proposal: Proposal) -> None:
    from web.services.matching import tell as tell_parties

    tell_parties(user_ids, kind, proposal)


def check_in(actor: User, proposal_id: int, today: date | None = None) -> StockLot:
    """The units of an accepted depot route arrive: a new lot, reserved for the proposal.

    The supply listing records the pick-up; the proposal moves to ``in_depot``.
    """
    from web.services.listings import record_event

    proposal = _proposal_for_depot(proposal_id)
    assert proposal.depot_id is not None
    _require_manage(actor, proposal.depot_id)
    if proposal.route != "depot":
        raise Conflict(_l("Stock from the depot itself is not checked in."))
    if proposal.status not in (ProposalStatus.ACCEPTED, ProposalStatus.SCHEDULED):
        raise Conflict(_l("Only an accepted proposal can be checked in."))
    supply = proposal.supply
    assert supply is not None
    lot = StockLot(
        depot_id=proposal.depot_id, material_code=supply.material_code,
        condition=supply.condition,
        attributes={**(supply.attributes or {}), "mounting": supply.mounting.value},
        description=supply.title, quantity=0, reserved_quantity=0,
        received_on=today or _today(), source_supply_id=supply.id, created_by_id=actor.id,
    )
    db.session.add(lot)
    db.session.flush()
    append_ledger(lot, LedgerKind.CHECK_IN, proposal.quantity, actor,
                  reserved_delta=proposal.quantity, reason=f"proposal {proposal.id}",
                  proposal_id=proposal.id)
    proposal.status = ProposalStatus.IN_DEPOT
    proposal.checked_in_at = datetime.now(UTC)
    proposal.transit_lot_id = lot.id
    record_event(supply, "picked_up", actor, old_status=supply.status,
                 old_quantity=supply.quantity, old_reserved=supply.reserved_quantity,
                 ref_type="proposal", ref_id=proposal.id,
                 note=f"{proposal.quantity} checked in at depot {proposal.depot_id}")
    tell(_party_ids(proposal), "checked_in", proposal)
    db.session.commit()
    return lot


def check_out(actor: User, proposal_id: int) -> StockLedgerEntry:
    """Units leave the depot to the proposal's receiver: the proposal is delivered.

    For a depot route the lot made at check-in leaves; for depot stock, the reserved units of
    the source lot.
    """
    from web.services.listings import record_event

    proposal = _proposal_for_depot(proposal_id)
    assert proposal.depot_id is not None
    _require_manage(actor, proposal.depot_id)
    if proposal.route == "depot":
        if proposal.status != ProposalStatus.IN_DEPOT:
            raise Conflict(_l("Check the units in before checking them out."))
        lot_id = proposal.transit_lot_id
    else:
        if proposal.status not in (ProposalStatus.ACCEPTED, ProposalStatus.SCHEDULED):
            raise Conflict(_l("Only an accepted proposal can be checked out."))
        lot_id = proposal.source_lot_id
    lot = lock_row(StockLot, lot_id)
    assert lot is not None
    entry = append_ledger(lot, LedgerKind.CHECK_OUT, -proposal.quantity, actor,
                          reserved_delta=-proposal.quantity, reason=f"proposal {proposal.id}",
                          proposal_id=proposal.id)
    proposal.status = ProposalStatus.DELIVERED
    proposal.delivered_at = datetime.now(UTC)
    demand = proposal.demand
    record_event(demand, "delivered", actor, old_status=demand.status,
                 old_quantity=demand.quantity, old_reserved=demand.reserved_quantity,
                 ref_type="proposal", ref_id=proposal.id,
                 note=f"{proposal.quantity} from depot {proposal.depot_id}")
    tell(_party_ids(proposal), "delivered", proposal)
    db.session.commit()
    return entry


# ----------------------------------------------------------------------------- capacity


@dataclass
class Timeline:
    """A depot's volume over days: what lies there now, and the planned movements.

    ``arrivals``/``departures`` map a day to m3 arriving or leaving that day (already clipped so
    that nothing arrives or leaves before ``today``).  ``free_stock_m3`` is the unpromised part
    of the stock; the nightly instance passes it as stock items.
    """

    depot_id: int
    capacity_m3: float
    today: date
    stock_m3: float
    free_stock_m3: float
    arrivals: dict[date, float] = field(default_factory=lambda: defaultdict(float))
    departures: dict[date, float] = field(default_factory=lambda: defaultdict(float))

    @property
    def last_day(self) -> date:
        days = [*self.arrivals, *self.departures]
        return max(days, default=self.today)

    def present_m3(self, start: date, end: date) -> list[float]:
        """Volume present on each day of [start, end)."""
        level = self.stock_m3
        day = self.today
        out = []
        # walk from today so that movements before ``start`` are counted
        while day < end:
            level += self.arrivals.get(day, 0.0) - self.departures.get(day, 0.0)
            if day >= start:
                out.append(level)
            day += timedelta(days=1)
        return out

    def max_present_m3(self, start: date) -> float:
        end = max(self.last_day, start) + timedelta(days=1)
        return max(self.present_m3(start, end), default=self.stock_m3)


def timeline(depot: Depot, today: date | None = None) -> Timeline:
    """Build the depot's :class:`Timeline` from its lots and the proposals that hold room."""
    today = today or _today()
    stock_m3 = free_m3 = 0.0
    for lot in lots(depot.id):
        m3 = lot.material.m3_per_unit
        stock_m3 += lot.quantity * m3
        free_m3 += lot.quantity_free * m3
    line = Timeline(depot.id, depot.capacity_m3, today, stock_m3, free_m3)
    stmt = select(Proposal).where(
        Proposal.depot_id == depot.id, Proposal.status.in_(HOLDING_STATUSES)
    ).order_by(Proposal.id)
    for p in db.session.scalars(stmt):
        m3 = p.quantity * _m3_per_unit(p)
        leave = max(p.delivery_date, today)
        if p.route == "depot" and p.status in (ProposalStatus.ACCEPTED, ProposalStatus.SCHEDULED):
            arrive = max(p.pickup_date, today)
            if arrive < leave:
                line.arrivals[arrive] += m3
                line.departures[leave] += m3
        elif p.status != ProposalStatus.DELIVERED:
            # in the depot (checked in, or reserved stock): it leaves on its delivery day
            line.departures[leave] += m3
    return line


def _m3_per_unit(proposal: Proposal) -> float:
    if proposal.supply is not None:
        return proposal.supply.material.m3_per_unit
    assert proposal.source_lot is not None
    return proposal.source_lot.material.m3_per_unit


def check_room(depot: Depot, start: date, end: date | None, m3: float,
               today: date | None = None) -> None:
    """Refuse (:class:`Conflict`) when ``m3`` more on the days [start, end) would overfill.

    ``end=None`` means the units stay: every day from ``start`` on is checked.  The caller holds
    the depot's row lock, so no other promise can slip in between the check and the commit.
    """
    line = timeline(depot, today)
    start = max(start, line.today)
    if end is None:
        end = max(line.last_day, start) + timedelta(days=1)
    if end <= start:
        return
    for offset, level in enumerate(line.present_m3(start, end)):
        if level + m3 > depot.capacity_m3 + _M3_TOL:
            day = start + timedelta(days=offset)
            raise Conflict(_l(
                "Depot %(name)s has no room on %(day)s: %(free).1f of %(cap).1f m3 free.",
                name=depot.name, day=day.isoformat(), free=max(depot.capacity_m3 - level, 0.0),
                cap=depot.capacity_m3,
            ))


@dataclass(frozen=True)
class DayUse:
    day: date
    present_m3: float  # everything in the depot that day
    free_stock_m3: float  # of which unpromised stock (assumed to stay)
    promised_m3: float  # of which promised: reserved stock and planned arrivals
    arrivals_m3: float
    departures_m3: float
    capacity_m3: float

    @property
    def room_m3(self) -> float:
        return self.capacity_m3 - self.present_m3


def capacity_use(depot_id: int, start: date | None = None, days: int = 42,
                 today: date | None = None) -> list[DayUse]:
    """Day -> m3 series for the depot's chart: present, promised, arrivals, departures, capacity."""
    depot = get_depot(depot_id)
    line = timeline(depot, today)
    start = max(start or line.today, line.today)
    days = max(1, min(int(days), 366))
    end = start + timedelta(days=days)
    levels = line.present_m3(start, end)
    return [
        DayUse(
            day=start + timedelta(days=i), present_m3=level, free_stock_m3=line.free_stock_m3,
            promised_m3=level - line.free_stock_m3,
            arrivals_m3=line.arrivals.get(start + timedelta(days=i), 0.0),
            departures_m3=line.departures.get(start + timedelta(days=i), 0.0),
            capacity_m3=depot.capacity_m3,
        )
        for i, level in enumerate(levels)
    ]


# ----------------------------------------------------------------------------- summary, CSV


@dataclass
class MaterialStock:
    material_code: str
    name: str
    name_nl: str
    unit: str
    quantity: int = 0
    reserved: int = 0
    m3: float = 0.0
    value_eur: float = 0.0  # at the catalogue's new price: what buying it new would cost
    by_condition: dict[str, int] = field(default_factory=dict)
    oldest_days: int = 0
    mean_age_days: float = 0.0

    @property
    def free(self) -> int:
        return self.quantity - self.reserved


@dataclass
class StockSummary:
    depot_id: int
    capacity_m3: float
    materials: list[MaterialStock]
    quantity: int
    reserved: int
    m3: float
    value_eur: float

    @property
    def free(self) -> int:
        return self.quantity - self.reserved


def stock_summary(depot_id: int, today: date | None = None) -> StockSummary:
    """Totals per material: quantity, reserved vs free, m3, value, conditions and age in days."""
    depot = get_depot(depot_id)
    today = today or _today()
    per: dict[str, MaterialStock] = {}
    weighted_age: dict[str, float] = defaultdict(float)
    for lot in lots(depot_id):
        m = lot.material
        row = per.setdefault(lot.material_code, MaterialStock(m.code, m.name, m.name_nl, m.unit))
        age = max((today - lot.received_on).days, 0)
        row.quantity += lot.quantity
        row.reserved += lot.reserved_quantity
        row.m3 += lot.quantity * m.m3_per_unit
        row.value_eur += lot.quantity * m.new_price_eur_per_unit
        row.by_condition[lot.condition.value] = (
            row.by_condition.get(lot.condition.value, 0) + lot.quantity
        )
        row.oldest_days = max(row.oldest_days, age)
        weighted_age[lot.material_code] += age * lot.quantity
    for code, row in per.items():
        row.mean_age_days = weighted_age[code] / row.quantity if row.quantity else 0.0
        row.by_condition = dict(sorted(row.by_condition.items()))
    materials = sorted(per.values(), key=lambda r: r.material_code)
    return StockSummary(
        depot_id=depot_id, capacity_m3=depot.capacity_m3, materials=materials,
        quantity=sum(r.quantity for r in materials), reserved=sum(r.reserved for r in materials),
        m3=sum(r.m3 for r in materials), value_eur=sum(r.value_eur for r in materials),
    )


STOCK_CSV_COLUMNS = (
    "lot_id", "material_code", "material", "unit", "condition", "quantity", "reserved", "free",
    "m3", "value_eur", "received_on", "age_days", "source_supply_id", "description",
)


def stock_csv(depot_id: int, today: date | None = None) -> str:
    """The depot's lots as CSV (UTF-8, comma separated, one header line)."""
    get_depot(depot_id)
    today = today or _today()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STOCK_CSV_COLUMNS)
    for lot in lots(depot_id):
        m = lot.material
        writer.writerow([
            lot.id, lot.material_code, m.name_nl, m.unit, lot.condition.value, lot.quantity,
            lot.reserved_quantity, lot.quantity_free, f"{lot.quantity * m.m3_per_unit:.4f}",
            f"{lot.quantity * m.new_price_eur_per_unit:.2f}", lot.received_on.isoformat(),
            max((today - lot.received_on).days, 0), lot.source_supply_id or "", lot.description,
        ])
    return out.getvalue()


LEDGER_CSV_COLUMNS = (
    "entry_id", "at", "lot_id", "material_code", "kind", "quantity_delta", "balance_after",
    "reserved_after", "proposal_id", "actor", "reason",
)


def ledger_csv(depot_id: int) -> str:
    """The depot's ledger as CSV, oldest line first."""
    get_depot(depot_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LEDGER_CSV_COLUMNS)
    for e in ledger(depot_id):
        writer.writerow([
            e.id, e.at.isoformat(), e.lot_id, e.lot.material_code, e.kind.value,
            e.quantity_delta, e.balance_after, e.reserved_after, e.proposal_id or "",
            e.actor.email if e.actor else "", e.reason,
        ])
    return out.getvalue()


def stock_matches_ledger(depot_id: int | None = None) -> list[int]:
    """Ids of lots whose quantity differs from the sum of their ledger lines (should be none)."""
    from sqlalchemy import func

    sums = (
        select(StockLedgerEntry.lot_id, func.sum(StockLedgerEntry.quantity_delta).label("total"))
        .group_by(StockLedgerEntry.lot_id)
        .subquery()
    )
    stmt = select(StockLot.id).outerjoin(sums, sums.c.lot_id == StockLot.id).where(
        or_(sums.c.total.is_(None) & (StockLot.quantity != 0), sums.c.total != StockLot.quantity)
    )
    if depot_id is not None:
        stmt = stmt.where(StockLot.depot_id == depot_id)
    return list(db.session.scalars(stmt))


__all__ = [
    "DayUse", "MaterialStock", "StockSummary", "Timeline", "add_walk_in", "append_ledger",
    "can_manage", "capacity_use", "check_in", "check_out", "check_room", "correct_stock",
    "create_depot", "depots_of", "get_depot", "get_lot", "is_manager", "ledger", "ledger_csv",
    "list_depots", "lots", "set_managers", "stock_csv", "stock_matches_ledger", "stock_summary",
    "timeline", "update_depot", "begin_write",
]
