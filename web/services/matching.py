"""The nightly matching run and the life of a proposal: accept, reject, schedule, deliver, close.

The nightly run (:func:`run_matching`)
--------------------------------------
1. Takes the run lock, so two runs never overlap: a PostgreSQL advisory lock held on its own
   connection, or on SQLite an exclusive ``flock`` on a file beside the database.  Both vanish
   with the process, so a killed run never blocks the next one.
2. Builds the spec's instance from the database (:func:`build_instance`), sorted by id so the
   same data always gives the same instance: open listings with the quantity still free, the
   free (unpromised) part of every depot's stock, and each depot's capacity less what is
   already promised.
3. Runs the matcher with no transaction open (a long solve holds no lock on the database).
4. Writes everything in ONE transaction: expired proposals, the :class:`MatchRun`, its
   proposals, the superseding of the previous run's open proposals, and the notifications.  A
   run that fails or is killed before that commit changes nothing.  A failure is then recorded
   as a failed run in a separate transaction; a killed process cannot do that, so the run leaves
   a marker file while it works and the next run records the killed one as failed.

Capacity already promised
-------------------------
Promises are per day (an accepted depot route occupies its depot from pick-up to delivery),
while the spec's instance has one ``capacity_m3`` per depot.  The instance therefore keeps each
depot's real capacity, and the run passes what is promised day by day to the matcher as
``reserved_m3`` (steps of m3 from a day on): everything in or coming to the depot except the
free stock, which the instance carries as stock items itself.  The matcher then never proposes
a route that would overfill a day because of an earlier promise, and days outside a promise
keep all their room.  Whatever the nightly run proposes, the accept (:func:`accept_proposal`)
checks the real day-by-day room under the depot's row lock.

A rejection is an answer about the pair: the run passes every rejected (supply or stock,
demand) pair to the matcher as ``excluded_pairs``, so it is not proposed again; the units can
still go elsewhere.

Proposals
---------
Each allocation becomes a :class:`Proposal` between its supplier (the supply listing's owner,
or the depot's managers for stock) and its receiver (the demand listing's owner).  Each side
accepts or rejects; when both accepted, one transaction locks the rows in a fixed order
(proposal, source listing or stock lot, demand listing, depot), checks the free quantities and
the depot's room, and reserves.  The database's CHECK constraints (``reserved <= quantity``)
back the code.  An identical allocation in a later run takes over the open proposal's answers
and expiry date, so a party's accept is not lost and nothing waits for ever.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sys
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from web.extensions import db
from web.models import (
    HOLDING_STATUSES,
    PUBLIC_STATUSES,
    Decision,
    DemandListing,
    Depot,
    DepotManager,
    LedgerKind,
    MatchRun,
    Material,
    Project,
    Proposal,
    ProposalStatus,
    RunStatus,
    StockLot,
    SupplyListing,
    User,
)
from web.services import depots as depot_svc
from web.services import notifications
from web.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from web.services.listings import can_edit, change_reserved, record_event
from web.services.locking import begin_write, lock_row

log = logging.getLogger(__name__)

SUPPLIER, RECEIVER = "supplier", "receiver"
SIDES = (SUPPLIER, RECEIVER)
DEFAULT_EXPIRY_DAYS = 7
DEFAULT_WARN_DAYS = 2
_ADVISORY_KEY = zlib.crc32(b"materialmatch nightly matching")  # a stable 32-bit lock key


class RunInProgress(Conflict):
    """Another matching run holds the lock."""


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _setting(name: str, default: Any) -> Any:
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name)
    return default if value is None or value == "" else value


def expiry_days() -> int:
    """Days a proposal waits for both answers (``MATCH_PROPOSAL_EXPIRY_DAYS``, default 7)."""
    return int(_setting("MATCH_PROPOSAL_EXPIRY_DAYS", DEFAULT_EXPIRY_DAYS))


# ----------------------------------------------------------------------------- the instance


@dataclass(frozen=True)
class BuiltInstance:
    """The spec's instance as JSON-able data, and how its ids map back to rows."""

    data: dict[str, Any]
    supply_ids: dict[str, int]
    demand_ids: dict[str, int]
    stock_ids: dict[str, int]
    depot_ids: dict[str, int]
    promised_m3: dict[int, float]  # per depot: the peak promised volume (for reports)
    # per instance depot id: promised m3 from a day on, for matcher.solve.match(reserved_m3=)
    reserved_m3: dict[str, list[tuple[date, float]]] = field(default_factory=dict)
    # (supply or stock id, demand id) pairs a party rejected: never proposed again
    excluded_pairs: frozenset[tuple[str, str]] = frozenset()

    @property
    def sha256(self) -> str:
        text = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cost_model() -> dict[str, Any]:
    cost = current_app.config.get("MATCHING_COST") or {}
    return {k: float(v) for k, v in dict(cost).items()}


def build_instance(today: date | None = None) -> BuiltInstance:
    """Read the database into the spec's instance (see the module docstring for the rules).

    Ids: ``s<id>`` supply listings, ``d<id>`` demand listings, ``st<id>`` stock lots, ``k<id>``
    depots.  A demand's accepted mounting methods become a ``mounting`` requirement, met by the
    supply's (or lot's) ``mounting`` attribute.
    """
    today = today or date.today()
    materials = list(db.session.scalars(select(Material).order_by(Material.code)))
    material_rows = []
    for m in materials:
        row: dict[str, Any] = {
            "code": m.code, "name": m.name, "unit": m.unit, "kg_per_unit": m.kg_per_unit,
            "m3_per_unit": m.m3_per_unit, "new_price_eur_per_unit": m.new_price_eur_per_unit,
            "disposal_eur_per_unit": m.disposal_eur_per_unit,
            "embodied_kgco2e_per_kg": m.embodied_kgco2e_per_kg,
        }
        if m.substitutes:
            row["substitutes"] = [
                {"code": s.substitute_code, "penalty_eur_per_unit": s.penalty_eur_per_unit}
                for s in m.substitutes
            ]
        material_rows.append(row)

    supply_rows, supply_ids = [], {}
    stmt = select(SupplyListing).where(
        SupplyListing.status.in_(PUBLIC_STATUSES),
        SupplyListing.quantity > SupplyListing.reserved_quantity,
        SupplyListing.available_until >= today,
    ).order_by(SupplyListing.id)
    for s in db.session.scalars(stmt):
        key = f"s{s.id}"
        supply_ids[key] = s.id
        supply_rows.append({
            "id": key, "material": s.material_code, "quantity": s.quantity_free,
            "condition": s.condition.value, "lat": s.lat, "lon": s.lon,
            "available_from": s.available_from.isoformat(),
            "available_until": s.available_until.isoformat(),
            "attributes": {**(s.attributes or {}), "mounting": s.mounting.value},
        })

    demand_rows, demand_ids = [], {}
    stmt_d = select(DemandListing).where(
        DemandListing.status.in_(PUBLIC_STATUSES),
        DemandListing.quantity > DemandListing.reserved_quantity,
        DemandListing.needed_until >= today,
    ).order_by(DemandListing.id)
    for d in db.session.scalars(stmt_d):
        key = f"d{d.id}"
        demand_ids[key] = d.id
        requirements = dict(d.requirements or {})
        if d.accepted_mountings:
            requirements["mounting"] = {"in": sorted(d.accepted_mountings)}
        row = {
            "id": key, "material": d.material_code, "quantity": d.quantity_free,
            "min_condition": d.min_condition.value, "lat": d.lat, "lon": d.lon,
            "needed_from": d.needed_from.isoformat(), "needed_until": d.needed_until.isoformat(),
        }
        if d.max_distance_km is not None:
            row["max_distance_km"] = d.max_distance_km
        if requirements:
            row["requirements"] = requirements
        demand_rows.append(row)

    depot_rows, depot_ids, stock_ids, promised = [], {}, {}, {}
    reserved: dict[str, list[tuple[date, float]]] = {}
    for k in depot_svc.list_depots(active_only=True):
        key = f"k{k.id}"
        depot_ids[key] = k.id
        line = depot_svc.timeline(k, today)
        reserved[key] = _promised_steps(line, today)
        promised[k.id] = max((m3 for _, m3 in reserved[key]), default=0.0)
        stock = []
        for lot in depot_svc.lots(k.id):
            if lot.quantity_free <= 0:
                continue
            stock_ids[f"st{lot.id}"] = lot.id
            item: dict[str, Any] = {
                "id": f"st{lot.id}", "material": lot.material_code,
                "quantity": lot.quantity_free, "condition": lot.condition.value,
            }
            if lot.attributes:
                item["attributes"] = dict(lot.attributes)
            stock.append(item)
        # The spec refuses stock that does not fit on today; an overfull depot (after a
        # correction) then takes nothing new in, and the accept's own check stays the guard.
        capacity = max(k.capacity_m3, line.free_stock_m3, 0.0)
        depot_rows.append({
            "id": key, "lat": k.lat, "lon": k.lon, "capacity_m3": capacity,
            "holding_eur_per_m3_day": k.holding_eur_per_m3_day,
            "handling_eur_per_tonne": k.handling_eur_per_tonne, "stock": stock,
        })

    data = {
        "today": today.isoformat(), "cost": _cost_model(), "materials": material_rows,
        "supply": supply_rows, "demand": demand_rows, "depots": depot_rows,
    }
    return BuiltInstance(
        data, supply_ids, demand_ids, stock_ids, depot_ids, promised, reserved,
        _rejected_pairs(supply_ids, demand_ids, stock_ids),
    )


def _rejected_pairs(
    supply_ids: dict[str, int], demand_ids: dict[str, int], stock_ids: dict[str, int]
) -> frozenset[tuple[str, str]]:
    """Pairs of the instance that a party rejected in an earlier run: a rejection is an answer
    about the pair, so the nightly run does not propose it again."""
    supply_key = {v: k for k, v in supply_ids.items()}
    demand_key = {v: k for k, v in demand_ids.items()}
    stock_key = {v: k for k, v in stock_ids.items()}
    rows = db.session.execute(
        select(Proposal.supply_id, Proposal.source_lot_id, Proposal.demand_id).where(
            Proposal.status == ProposalStatus.REJECTED
        )
    )
    pairs = set()
    for supply_id, lot_id, demand_id in rows:
        source = supply_key.get(supply_id) if supply_id is not None else stock_key.get(lot_id)
        if source is not None and demand_id in demand_key:
            pairs.add((source, demand_key[demand_id]))
    return frozenset(pairs)


def _promised_steps(line: depot_svc.Timeline, today: date) -> list[tuple[date, float]]:
    """The depot's promised volume as steps (day, m3): present minus the free stock, which the
    instance carries itself; after the last planned movement the level stays."""
    end = max(line.last_day, today) + timedelta(days=1)
    steps: list[tuple[date, float]] = []
    for offset, level in enumerate(line.present_m3(today, end)):
        promised_m3 = max(level - line.free_stock_m3, 0.0)
        if not steps or promised_m3 != steps[-1][1]:
            steps.append((today + timedelta(days=offset), promised_m3))
    return steps


# ----------------------------------------------------------------------------- the run lock


def _state_path(suffix: str) -> str:
    """A file beside the SQLite database, or in the instance folder for PostgreSQL."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return os.path.abspath(url.database) + suffix
    directory = current_app.config.get("MATCHING_STATE_DIR") or current_app.instance_path
    os.makedirs(directory, exist_ok=True)
    tag = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:12]
    return os.path.join(directory, f"materialmatch-{tag}{suffix}")


@contextlib.contextmanager
def _run_lock() -> Iterator[None]:
    """Hold the nightly run's lock for the block, or raise :class:`RunInProgress`."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        conn = db.engine.connect()
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_KEY})
            conn.commit()
            if not got.scalar():
                raise RunInProgress(_l("Another matching run is in progress."))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
                conn.commit()
        finally:
            conn.close()
        return
    path = _state_path(".matching.lock")
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(_l("Another matching run is in progress.")) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _marker_path() -> str:
    return _state_path(".matching-run.json")


def _record_interrupted_run() -> MatchRun | None:
    """A marker left by a run that never finished: record that run as failed (own commit)."""
    path = _marker_path()
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            info = json.load(handle)
        started = datetime.fromisoformat(info["started_at"])
        pid = info.get("pid")
    except (OSError, ValueError, KeyError):
        started, pid = _now(), None
    run = MatchRun(
        started_at=started, finished_at=None, status=RunStatus.FAILED,
        error=f"interrupted: the run (process {pid}) stopped before it finished; "
              "nothing of it was written",
    )
    db.session.add(run)
    db.session.commit()
    os.remove(path)
    return run


def _write_marker(started: datetime) -> None:
    path = _marker_path()
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"started_at": started.isoformat(), "pid": os.getpid()}, handle)
    os.replace(tmp, path)


def _remove_marker() -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(_marker_path())


def _pause_for_tests() -> None:
    """``MM_TEST_PAUSE_BEFORE_COMMIT=seconds``: wait with everything written but not committed.

    Lets a test kill the process at the worst moment and check that nothing was kept.
    """
    seconds = os.environ.get("MM_TEST_PAUSE_BEFORE_COMMIT")
    if seconds:
        print("MM_PAUSED_BEFORE_COMMIT", file=sys.stderr, flush=True)
        time.sleep(float(seconds))


# ----------------------------------------------------------------------------- the run


def run_matching(
    *,
    today: date | None = None,
    actor: User | None = None,
    progress: Callable[[str], None] | None = None,
    method: str | None = None,
) -> MatchRun:
    """Run the nightly matching once; returns the stored run (succeeded), else raises.

    Raises :class:`RunInProgress` when another run holds the lock.  On any other error the run
    is recorded as failed (status ``failed``, with the error) and the error is raised again.
    """
    from matcher.io import parse_instance
    from matcher.solve import match

    today = today or date.today()
    actor_id = actor.id if actor is not None else None
    db.session.rollback()  # start clean: nothing of the caller's is committed by the run
    with _run_lock():
        _record_interrupted_run()
        started = _now()
        _write_marker(started)
        try:
            built = build_instance(today)
            instance = parse_instance(built.data)
            db.session.rollback()  # no transaction stays open while the solver works
            t0 = time.perf_counter()
            result = match(
                instance,
                method=method,
                progress=progress,
                reserved_m3=built.reserved_m3,
                excluded_pairs=built.excluded_pairs,
            )
            seconds = time.perf_counter() - t0
            run = _store_run(built, result, started, today, seconds, actor_id)
            _pause_for_tests()
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            _record_failure(started, today, exc, actor_id)
            _remove_marker()
            raise
        _remove_marker()
    return run


def _record_failure(started: datetime, today: date, exc: BaseException,
                    actor_id: int | None) -> None:
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    try:
        db.session.add(MatchRun(
            started_at=started, finished_at=_now(), status=RunStatus.FAILED, today=today,
            error=detail[:4000], triggered_by_id=actor_id,
        ))
        db.session.commit()
    except Exception:  # the database itself may be what failed
        db.session.rollback()
        log.exception("could not record the failed matching run")


def _allocation_key(p: Proposal) -> tuple[Any, ...]:
    return (p.supply_id, p.source_lot_id, p.demand_id, p.depot_id, p.quantity,
            p.pickup_date, p.delivery_date)


def _store_run(built: BuiltInstance, result: Any, started: datetime, today: date,
               seconds: float, actor_id: int | None) -> MatchRun:
    """Write the run, its proposals, the superseding and the notices (flushed, not committed)."""
    now = _now()
    begin_write()
    n_expired = expire_proposals(now=now, commit=False)
    open_old = list(db.session.scalars(
        select(Proposal).where(Proposal.status == ProposalStatus.PROPOSED)
        .order_by(Proposal.id).with_for_update(of=Proposal)
        .execution_options(populate_existing=True)
    ))
    previous = {_allocation_key(p): p for p in open_old}
    n_stock = sum(len(k["stock"]) for k in built.data["depots"])
    run = MatchRun(
        started_at=started, status=RunStatus.SUCCEEDED, today=today,
        solver_status=result.status, objective_eur=result.objective_eur,
        lower_bound_eur=result.lower_bound_eur, gap=result.gap,
        n_supply=len(built.supply_ids), n_demand=len(built.demand_ids), n_stock=n_stock,
        n_depots=len(built.depot_ids), solve_seconds=seconds, instance_sha256=built.sha256,
        cost_breakdown=_plain_dataclass(result.cost_breakdown),
        kpis=_plain_dataclass(result.kpis), error="", triggered_by_id=actor_id,
        n_expired=n_expired,
    )
    db.session.add(run)
    db.session.flush()
    keep = _preload(built)  # held: the session only keeps weak references
    expires_at = now + timedelta(days=expiry_days())
    fresh: list[Proposal] = []
    allocations = sorted(result.allocations, key=lambda a: (
        a.supply_id, a.demand_id, a.depot_id or "", a.pickup_date, a.delivery_date))
    for a in allocations:
        p = Proposal(
            run_id=run.id,
            supply_id=built.supply_ids.get(a.supply_id),
            source_lot_id=built.stock_ids.get(a.supply_id),
            demand_id=built.demand_ids[a.demand_id],
            depot_id=built.depot_ids[a.depot_id] if a.depot_id else None,
            quantity=a.quantity, pickup_date=a.pickup_date, delivery_date=a.delivery_date,
            road_km=a.road_km, cost_eur=a.cost_eur, co2_kg=a.co2_kg,
            status=ProposalStatus.PROPOSED, supplier_decision=Decision.PENDING,
            receiver_decision=Decision.PENDING, reject_reason="", first_proposed_at=now,
            expires_at=expires_at, created_at=now, updated_at=now,
        )
        before = previous.pop(_allocation_key(p), None)
        if before is not None:
            for side in SIDES:  # an answer given stays given
                setattr(p, f"{side}_decision", getattr(before, f"{side}_decision"))
                setattr(p, f"{side}_decided_at", getattr(before, f"{side}_decided_at"))
                setattr(p, f"{side}_decided_by_id", getattr(before, f"{side}_decided_by_id"))
            p.first_proposed_at = before.first_proposed_at
            p.expires_at = before.expires_at
            p.expiry_warned_at = before.expiry_warned_at
        db.session.add(p)
        if before is None:
            fresh.append(p)
    db.session.flush()
    for old in open_old:
        old.status = ProposalStatus.SUPERSEDED
        old.superseded_by_run_id = run.id
    with db.session.no_autoflush:  # thousands of messages: flush once, not per lookup
        for p in fresh:
            ids = party_user_ids(p)
            tell(ids[SUPPLIER] | ids[RECEIVER], "new_proposal", p)
    del keep
    run.n_proposals = len(allocations)
    run.units_proposed = sum(a.quantity for a in allocations)
    run.n_superseded = len(open_old)
    run.finished_at = _now()
    db.session.flush()
    return run


def _preload(built: BuiltInstance) -> list[Any]:
    """Load the run's listings, lots, depots and their projects in a few queries, so that
    writing thousands of proposals and messages does not ask for them one by one."""
    from sqlalchemy.orm import selectinload

    def chunks(ids: list[int]) -> Iterator[list[int]]:
        for i in range(0, len(ids), 5000):
            yield ids[i:i + 5000]

    loaded: list[Any] = []
    for model, ids in ((SupplyListing, list(built.supply_ids.values())),
                       (DemandListing, list(built.demand_ids.values()))):
        for part in chunks(ids):
            loaded += db.session.scalars(select(model).where(model.id.in_(part))
                                         .options(selectinload(model.project))).all()
    for part in chunks(list(built.stock_ids.values())):
        loaded += db.session.scalars(select(StockLot).where(StockLot.id.in_(part))).all()
    loaded += db.session.scalars(select(Depot)).all()
    return loaded


def _plain_dataclass(obj: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return {k: float(v) for k, v in asdict(obj).items()}


def expire_proposals(now: datetime | None = None, commit: bool = True) -> int:
    """Expire open proposals past their date; warn parties of those expiring soon.

    ``MATCH_PROPOSAL_WARN_DAYS`` (default 2) before the end, each party gets one "expiring"
    message.  Returns how many proposals expired.
    """
    now = now or _now()
    begin_write()
    warn_days = int(_setting("MATCH_PROPOSAL_WARN_DAYS", DEFAULT_WARN_DAYS))
    stmt = (
        select(Proposal)
        .where(Proposal.status == ProposalStatus.PROPOSED,
               Proposal.expires_at <= now + timedelta(days=warn_days))
        .order_by(Proposal.id).with_for_update(of=Proposal)
        .execution_options(populate_existing=True)
    )
    expired = 0
    for p in db.session.scalars(stmt):
        ids = party_user_ids(p)
        if _aware(p.expires_at) <= now:
            p.status = ProposalStatus.EXPIRED
            expired += 1
            tell(ids[SUPPLIER] | ids[RECEIVER], "expired", p)
        elif p.expiry_warned_at is None:
            p.expiry_warned_at = now
            waiting = set()
            for side in SIDES:
                if getattr(p, f"{side}_decision") == Decision.PENDING:
                    waiting |= ids[side]
            tell(waiting, "expiring", p)
    if commit:
        db.session.commit()
    return expired


# ----------------------------------------------------------------------------- who is who


def party_user_ids(p: Proposal) -> dict[str, set[int]]:
    """The users of each side: listing owner and project lead; a depot's managers for stock."""
    supplier: set[int] = set()
    if p.supply_id is not None:
        supply = p.supply or db.session.get(SupplyListing, p.supply_id)
        assert supply is not None
        supplier = {supply.created_by_id, supply.project.lead_id}
    elif p.depot_id is not None:
        depot = db.session.get(Depot, p.depot_id)
        supplier = {m.id for m in depot.managers} if depot is not None else set()
    demand = p.demand or db.session.get(DemandListing, p.demand_id)
    assert demand is not None
    return {SUPPLIER: supplier, RECEIVER: {demand.created_by_id, demand.project.lead_id}}


def sides_of(user: User | None, p: Proposal) -> set[str]:
    """The sides ``user`` may answer for: coordinators both, owners their own."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.is_coordinator:
        return set(SIDES)
    sides = set()
    if p.supply is not None and can_edit(user, p.supply):
        sides.add(SUPPLIER)
    if p.source_lot_id is not None and p.depot_id is not None and depot_svc.is_manager(
        user, p.depot_id
    ):
        sides.add(SUPPLIER)
    if can_edit(user, p.demand):
        sides.add(RECEIVER)
    return sides


def can_view(user: User | None, p: Proposal) -> bool:
    """Its parties, the managers of its depot and coordinators see a proposal."""
    if sides_of(user, p):
        return True
    return p.depot_id is not None and depot_svc.is_manager(user, p.depot_id)


def tell(user_ids: set[int], kind: str, p: Proposal, **extra: Any) -> None:
    """Queue a message about ``p`` to ``user_ids`` in the current transaction."""
    notifications.notify(user_ids, kind, proposal_id=p.id,
                         params={**notification_params(p), **extra})


def notification_params(p: Proposal) -> dict[str, Any]:
    """What the messages about ``p`` show (plain JSON values)."""
    if p.supply_id is not None:
        source = p.supply or db.session.get(SupplyListing, p.supply_id)
        assert source is not None
        material, supply_title = source.material, source.title
    else:
        lot = p.source_lot or db.session.get(StockLot, p.source_lot_id)
        assert lot is not None
        material, supply_title = lot.material, f"depot stock {lot.id}"
    demand = p.demand or db.session.get(DemandListing, p.demand_id)
    assert demand is not None
    depot = db.session.get(Depot, p.depot_id) if p.depot_id else None
    if depot is None:
        route_nl, route_en = "rechtstreeks", "direct"
    elif p.source_lot_id is not None:
        route_nl = f"uit voorraad van depot {depot.name}"
        route_en = f"from depot {depot.name}'s stock"
    else:
        route_nl, route_en = f"via depot {depot.name}", f"through depot {depot.name}"
    return {
        "proposal_id": p.id, "quantity": p.quantity, "unit": material.unit,
        "material_nl": material.name_nl, "material_en": material.name,
        "supply_title": supply_title, "demand_title": demand.title,
        "route_nl": route_nl, "route_en": route_en, "depot": depot.name if depot else "",
        "pickup_date": p.pickup_date.isoformat(), "delivery_date": p.delivery_date.isoformat(),
        "road_km": f"{p.road_km:.1f}", "cost_eur": f"{p.cost_eur:.2f}",
        "co2_kg": f"{p.co2_kg:.1f}",
        "expires_on": _aware(p.expires_at).date().isoformat() if p.expires_at else "",
    }


# ----------------------------------------------------------------------------- reading


def get_proposal(user: User | None, proposal_id: int) -> Proposal:
    """The proposal, or :class:`NotFound` (also when ``user`` may not see it)."""
    p = db.session.get(Proposal, proposal_id)
    if p is None or not can_view(user, p):
        raise NotFound(_l("Proposal %(id)s does not exist.", id=proposal_id))
    return p


def proposals_for(
    user: User,
    *,
    statuses: list[ProposalStatus | str] | None = None,
    run_id: int | None = None,
    listing: tuple[str, int] | None = None,
    depot_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Proposal]:
    """Proposals ``user`` is a party to (coordinators: all), newest first.

    ``statuses`` defaults to every status but ``superseded``; ``listing`` is ``("supply", id)``
    or ``("demand", id)``.  Each proposal has ``route``, ``road_km``, ``pickup_date``,
    ``delivery_date``, ``cost_eur``, ``co2_kg`` and its ``depot`` (or None).
    """
    stmt = select(Proposal)
    if not user.is_coordinator:
        supply_owner = select(SupplyListing.id).join(Project).where(
            or_(SupplyListing.created_by_id == user.id, Project.lead_id == user.id))
        demand_owner = select(DemandListing.id).join(Project).where(
            or_(DemandListing.created_by_id == user.id, Project.lead_id == user.id))
        managed = select(DepotManager.depot_id).where(DepotManager.user_id == user.id)
        stmt = stmt.where(or_(
            Proposal.supply_id.in_(supply_owner),
            Proposal.demand_id.in_(demand_owner),
            Proposal.depot_id.in_(managed),
        ))
    if statuses:
        stmt = stmt.where(Proposal.status.in_([ProposalStatus(s) for s in statuses]))
    else:
        stmt = stmt.where(Proposal.status != ProposalStatus.SUPERSEDED)
    if run_id is not None:
        stmt = stmt.where(Proposal.run_id == run_id)
    if depot_id is not None:
        stmt = stmt.where(Proposal.depot_id == depot_id)
    if listing is not None:
        kind, listing_id = listing
        column = Proposal.supply_id if kind == "supply" else Proposal.demand_id
        stmt = stmt.where(column == listing_id)
    stmt = stmt.order_by(Proposal.id.desc()).limit(max(1, min(limit, 1000))).offset(max(offset, 0))
    return list(db.session.scalars(stmt))


def list_runs(limit: int = 50) -> list[MatchRun]:
    return list(db.session.scalars(
        select(MatchRun).order_by(MatchRun.id.desc()).limit(max(1, min(limit, 500)))))


def get_run(run_id: int) -> MatchRun:
    run = db.session.get(MatchRun, run_id)
    if run is None:
        raise NotFound(_l("Match run %(id)s does not exist.", id=run_id))
    return run


# ----------------------------------------------------------------------------- answers


def _locked_for(actor: User, proposal_id: int) -> Proposal:
    p = lock_row(Proposal, proposal_id)
    if p is None or not can_view(actor, p):
        raise NotFound(_l("Proposal %(id)s does not exist.", id=proposal_id))
    return p


def _side(actor: User, p: Proposal, side: str | None) -> str:
    allowed = sides_of(actor, p)
    if side is not None:
        if side not in SIDES:
            raise ValidationError(_l("Choose supplier or receiver."),
                                  {"side": _l("Choose supplier or receiver.")})
        if side not in allowed:
            raise PermissionDenied(_l("You cannot answer for this side of the proposal."))
        return side
    if not allowed:
        raise PermissionDenied(_l("Only the parties of a proposal can answer it."))
    if len(allowed) > 1:
        raise ValidationError(_l("Say for which side you answer."),
                              {"side": _l("Choose supplier or receiver.")})
    return next(iter(allowed))


def accept_proposal(actor: User, proposal_id: int, side: str | None = None,
                    today: date | None = None) -> Proposal:
    """Accept for one side; when both sides accepted, reserve everything in one transaction.

    Reserving locks, in this order, the source (supply listing or stock lot), the demand listing
    and the depot, then checks that the quantity is still free on both and that the depot has
    room on every day the units will be there.  Accepting a side twice changes nothing.
    Raises :class:`Conflict` (and keeps nothing) when there is not enough left.
    """
    p = _locked_for(actor, proposal_id)
    side = _side(actor, p, side)
    if p.status != ProposalStatus.PROPOSED:
        if p.status in HOLDING_STATUSES and getattr(p, f"{side}_decision") == Decision.ACCEPTED:
            return p  # accepted already: accepting again never reserves again
        raise Conflict(_l("This proposal is %(status)s and can no longer be answered.",
                          status=p.status.value))
    if getattr(p, f"{side}_decision") == Decision.ACCEPTED:
        return p
    now = _now()
    setattr(p, f"{side}_decision", Decision.ACCEPTED)
    setattr(p, f"{side}_decided_at", now)
    setattr(p, f"{side}_decided_by_id", actor.id)
    ids = party_user_ids(p)
    if p.supplier_decision == Decision.ACCEPTED and p.receiver_decision == Decision.ACCEPTED:
        _reserve(actor, p, today or date.today())
        p.status = ProposalStatus.ACCEPTED
        p.accepted_at = now
        managers: set[int] = set()
        if p.depot_id is not None:
            managers = set(db.session.scalars(
                select(DepotManager.user_id).where(DepotManager.depot_id == p.depot_id)))
        tell(ids[SUPPLIER] | ids[RECEIVER] | managers, "accepted", p)
    else:
        other = RECEIVER if side == SUPPLIER else SUPPLIER
        tell(ids[other] - {actor.id}, "accepted_by_other", p)
    db.session.commit()
    return p


def _reserve(actor: User, p: Proposal, today: date) -> None:
    note = f"proposal {p.id}"
    if p.supply_id is not None:
        supply = lock_row(SupplyListing, p.supply_id)
        assert supply is not None
        if supply.quantity_free < p.quantity:
            raise Conflict(_l("Only %(n)d units of the supply are still free.",
                              n=supply.quantity_free))
        change_reserved(supply, p.quantity, actor, ref_type="proposal", ref_id=p.id, note=note)
    else:
        lot = lock_row(StockLot, p.source_lot_id)
        assert lot is not None
        if lot.quantity_free < p.quantity:
            raise Conflict(_l("Only %(n)d units of the depot stock are still free.",
                              n=lot.quantity_free))
        depot_svc.append_ledger(lot, LedgerKind.RESERVE, 0, actor, reserved_delta=p.quantity,
                                reason=note, proposal_id=p.id)
    demand = lock_row(DemandListing, p.demand_id)
    assert demand is not None
    if demand.quantity_free < p.quantity:
        raise Conflict(_l("Only %(n)d units of the demand are still open.",
                          n=demand.quantity_free))
    change_reserved(demand, p.quantity, actor, ref_type="proposal", ref_id=p.id, note=note)
    if p.route == "depot":
        depot = lock_row(Depot, p.depot_id)
        assert depot is not None and p.supply is not None
        m3 = p.quantity * p.supply.material.m3_per_unit
        # this proposal is not holding yet, so the timeline does not count it
        depot_svc.check_room(depot, p.pickup_date, p.delivery_date, m3, today=today)


def reject_proposal(actor: User, proposal_id: int, side: str | None = None,
                    reason: str = "") -> Proposal:
    """Reject for one side: the proposal ends (nothing was reserved) and both sides hear of it."""
    p = _locked_for(actor, proposal_id)
    side = _side(actor, p, side)
    if p.status != ProposalStatus.PROPOSED:
        raise Conflict(_l("This proposal is %(status)s and can no longer be answered.",
                          status=p.status.value))
    now = _now()
    setattr(p, f"{side}_decision", Decision.REJECTED)
    setattr(p, f"{side}_decided_at", now)
    setattr(p, f"{side}_decided_by_id", actor.id)
    p.status = ProposalStatus.REJECTED
    p.reject_reason = (reason or "").strip()[:2000]
    ids = party_user_ids(p)
    tell(ids[SUPPLIER] | ids[RECEIVER], "rejected", p, reason=p.reject_reason)
    db.session.commit()
    return p


def schedule_proposal(actor: User, proposal_id: int) -> Proposal:
    """The supplier side (or a coordinator) confirms the transport as planned."""
    p = _locked_for(actor, proposal_id)
    if SUPPLIER not in sides_of(actor, p):
        raise PermissionDenied(_l("Only the supplier or a coordinator plans the transport."))
    if p.status != ProposalStatus.ACCEPTED:
        raise Conflict(_l("Only an accepted proposal can be scheduled."))
    p.status = ProposalStatus.SCHEDULED
    p.scheduled_at = _now()
    db.session.commit()
    return p


def confirm_delivery(actor: User, proposal_id: int) -> Proposal:
    """The receiver confirms a direct delivery (depot routes are delivered by the check-out)."""
    p = _locked_for(actor, proposal_id)
    if RECEIVER not in sides_of(actor, p):
        raise PermissionDenied(_l("Only the receiver or a coordinator confirms a delivery."))
    if p.route != "direct":
        raise Conflict(_l("A delivery from a depot is confirmed by checking it out there."))
    if p.status not in (ProposalStatus.ACCEPTED, ProposalStatus.SCHEDULED):
        raise Conflict(_l("Only an accepted proposal can be delivered."))
    p.status = ProposalStatus.DELIVERED
    p.delivered_at = _now()
    for listing, action in ((p.supply, "picked_up"), (p.demand, "delivered")):
        assert listing is not None
        record_event(listing, action, actor, old_status=listing.status,
                     old_quantity=listing.quantity, old_reserved=listing.reserved_quantity,
                     ref_type="proposal", ref_id=p.id, note=f"{p.quantity} delivered directly")
    ids = party_user_ids(p)
    tell(ids[SUPPLIER] | ids[RECEIVER], "delivered", p)
    db.session.commit()
    return p


def close_proposal(actor: User, proposal_id: int) -> Proposal:
    """Close a delivered proposal (receiver or coordinator); a listing whose every unit is
    delivered through closed proposals is closed too."""
    p = _locked_for(actor, proposal_id)
    if RECEIVER not in sides_of(actor, p):
        raise PermissionDenied(_l("Only the receiver or a coordinator closes a proposal."))
    if p.status != ProposalStatus.DELIVERED:
        raise Conflict(_l("Only a delivered proposal can be closed."))
    p.status = ProposalStatus.CLOSED
    p.closed_at = _now()
    db.session.flush()
    for listing, column in ((p.supply, Proposal.supply_id), (p.demand, Proposal.demand_id)):
        if listing is None:
            continue
        listing = lock_row(type(listing), listing.id)
        assert listing is not None
        closed_units = db.session.scalar(
            select(db.func.coalesce(db.func.sum(Proposal.quantity), 0)).where(
                column == listing.id, Proposal.status == ProposalStatus.CLOSED))
        if closed_units >= listing.quantity and listing.status.value != "closed":
            from web.models import ListingStatus

            old = listing.status
            listing.status = ListingStatus.CLOSED
            record_event(listing, "closed", actor, old_status=old,
                         old_quantity=listing.quantity, old_reserved=listing.reserved_quantity,
                         ref_type="proposal", ref_id=p.id, note="every unit delivered")
    db.session.commit()
    return p


__all__ = [
    "BuiltInstance", "RunInProgress", "accept_proposal", "build_instance", "can_view",
    "close_proposal", "confirm_delivery", "expire_proposals", "get_proposal", "get_run",
    "list_runs", "notification_params", "party_user_ids", "proposals_for", "reject_proposal",
    "run_matching", "schedule_proposal", "sides_of",
]
