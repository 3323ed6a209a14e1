"""Supply and demand listings: post, edit, publish, withdraw, search; every change an event.

Views and API resources call these functions; they check who may do what, validate every field
(raising :class:`ValidationError` with one message per field), write a :class:`ListingEvent` for
each change of status or quantity, and commit.  Nothing is written when they raise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from matcher.geo import bounding_box, great_circle_km
from web.extensions import db
from web.models import (
    FINAL_STATUSES,
    LISTING_MODELS,
    PUBLIC_STATUSES,
    Condition,
    DemandListing,
    ListingEvent,
    ListingKind,
    ListingStatus,
    Material,
    Mounting,
    Project,
    SupplyListing,
    User,
)
from web.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from web.services.locations import ResolvedLocation, normalise_postcode, resolve_location

Listing = SupplyListing | DemandListing

CONDITION_RANK = {Condition.C: 1, Condition.B: 2, Condition.A: 3}
MAX_QUANTITY = 10_000_000
MAX_TITLE = 200
#: Statuses a user may set by editing (the others follow from matching or withdrawing).
USER_STATUSES = (ListingStatus.DRAFT, ListingStatus.OPEN)

COMMON_FIELDS = (
    "title",
    "description",
    "specification",
    "material_code",
    "quantity",
    "project_id",
    "status",
    "location",
    "lat",
    "lon",
)
SUPPLY_FIELDS = (
    *COMMON_FIELDS,
    "condition",
    "mounting",
    "available_from",
    "available_until",
    "attributes",
)
DEMAND_FIELDS = (
    *COMMON_FIELDS,
    "min_condition",
    "accepted_mountings",
    "needed_from",
    "needed_until",
    "max_distance_km",
    "requirements",
)
#: Fields that proposals depend on; they cannot change while part of a listing is reserved.
MATCH_FIELDS = (
    "material_code",
    "condition",
    "min_condition",
    "available_from",
    "available_until",
    "needed_from",
    "needed_until",
    "lat",
    "lon",
    "max_distance_km",
    "attributes",
    "requirements",
    "project_id",
)


def listing_kind(kind: ListingKind | str) -> ListingKind:
    try:
        return ListingKind(kind)
    except ValueError:
        raise NotFound(_l("Unknown kind of listing: %(kind)s.", kind=kind)) from None


def model_for(kind: ListingKind | str) -> type[SupplyListing] | type[DemandListing]:
    return LISTING_MODELS[listing_kind(kind)]


def window_fields(kind: ListingKind | str) -> tuple[str, str]:
    if listing_kind(kind) == ListingKind.SUPPLY:
        return "available_from", "available_until"
    return "needed_from", "needed_until"


# ----------------------------------------------------------------------------- permissions


def can_edit(user: User | None, listing: Listing) -> bool:
    """Owners (the project's lead or whoever posted it) and coordinators change a listing."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        user.is_coordinator
        or listing.created_by_id == user.id
        or listing.project.lead_id == user.id
    )


def can_view(user: User | None, listing: Listing) -> bool:
    """Drafts are seen by their owners and coordinators only; everything else by everyone."""
    return listing.status != ListingStatus.DRAFT or can_edit(user, listing)


def get_listing(kind: ListingKind | str, listing_id: int, viewer: User | None = None) -> Listing:
    """The listing, or :class:`NotFound` (also for a draft the viewer may not see)."""
    listing = db.session.get(model_for(kind), listing_id)
    if listing is None or not can_view(viewer, listing):
        raise NotFound(_l("Listing %(id)s does not exist.", id=listing_id))
    return listing


def get_for_edit(kind: ListingKind | str, listing_id: int, actor: User) -> Listing:
    listing = get_listing(kind, listing_id, actor)
    if not can_edit(actor, listing):
        raise PermissionDenied(_l("Only the owner or a coordinator can change this listing."))
    return listing


# ----------------------------------------------------------------------------- validation


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+").isdigit():
        return int(value.strip())
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _check_attributes(value: Any, errors: dict[str, Any]) -> dict[str, Any] | None:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors["attributes"] = _l("Give the measured properties as name: value pairs.")
        return None
    clean: dict[str, Any] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not name.strip():
            errors["attributes"] = _l("Every property needs a name.")
            return None
        if isinstance(item, bool) or not isinstance(item, int | float | str):
            errors["attributes"] = _l("Property %(name)s must be a number or a text.", name=name)
            return None
        if isinstance(item, float) and not math.isfinite(item):
            errors["attributes"] = _l("Property %(name)s must be a finite number.", name=name)
            return None
        clean[name.strip()] = item
    return clean


def _check_requirements(value: Any, errors: dict[str, Any]) -> dict[str, Any] | None:
    """The spec's requirements: per attribute ``{"min": x}``, ``{"max": x}``, ``{"in": [...]}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors["requirements"] = _l("Give the requirements as name: {min, max, in} pairs.")
        return None
    clean: dict[str, Any] = {}
    for name, req in value.items():
        if not isinstance(name, str) or not name.strip() or not isinstance(req, Mapping) or not req:
            errors["requirements"] = _l("Requirement %(name)s must have min, max or in.", name=name)
            return None
        unknown = set(req) - {"min", "max", "in"}
        if unknown:
            errors["requirements"] = _l(
                "Requirement %(name)s: unknown key %(key)s.", name=name, key=sorted(unknown)[0]
            )
            return None
        item: dict[str, Any] = {}
        for bound in ("min", "max"):
            if bound in req:
                number = _float(req[bound])
                if number is None:
                    errors["requirements"] = _l(
                        "Requirement %(name)s: %(key)s must be a number.", name=name, key=bound
                    )
                    return None
                item[bound] = number
        if "min" in item and "max" in item and item["min"] > item["max"]:
            errors["requirements"] = _l("Requirement %(name)s: min is above max.", name=name)
            return None
        if "in" in req:
            allowed = req["in"]
            if (
                not isinstance(allowed, list)
                or not allowed
                or not all(
                    isinstance(v, int | float | str) and not isinstance(v, bool) for v in allowed
                )
            ):
                errors["requirements"] = _l(
                    "Requirement %(name)s: in must be a list of values.", name=name
                )
                return None
            item["in"] = list(allowed)
        clean[name.strip()] = item
    return clean


def _check_fields(
    kind: ListingKind,
    data: Mapping[str, Any],
    current: Listing | None,
    actor: User,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate what was sent; returns (clean values, field errors). Absent fields keep theirs."""
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    creating = current is None

    def given(name: str) -> bool:
        return name in data and data[name] is not None and data[name] != ""

    # title and texts
    if given("title"):
        title = str(data["title"]).strip()
        if not title:
            errors["title"] = _l("Enter a title.")
        elif len(title) > MAX_TITLE:
            errors["title"] = _l("At most %(n)d characters.", n=MAX_TITLE)
        clean["title"] = title
    elif creating or "title" in data:
        errors["title"] = _l("Enter a title.")
    for text in ("description", "specification"):
        if text in data:
            clean[text] = str(data[text] or "").strip()

    # material
    if given("material_code"):
        material = db.session.get(Material, str(data["material_code"]))
        if material is None or not material.active:
            errors["material_code"] = _l("Choose a material from the catalogue.")
        else:
            clean["material_code"] = material.code
    elif creating or "material_code" in data:
        errors["material_code"] = _l("Choose a material from the catalogue.")

    # quantity: whole units
    if given("quantity"):
        quantity = _int(data["quantity"])
        if quantity is None:
            errors["quantity"] = _l("Enter a whole number.")
        elif quantity < 1:
            errors["quantity"] = _l("Enter a quantity of at least 1.")
        elif quantity > MAX_QUANTITY:
            errors["quantity"] = _l("Enter a quantity of at most %(n)d.", n=MAX_QUANTITY)
        elif current is not None and quantity < current.reserved_quantity:
            errors["quantity"] = _l(
                "%(n)d units are already reserved; the quantity cannot go below that.",
                n=current.reserved_quantity,
            )
        else:
            clean["quantity"] = quantity
    elif creating or "quantity" in data:
        errors["quantity"] = _l("Enter a quantity of at least 1.")

    # project: must exist and be the actor's (or the actor a coordinator)
    project: Project | None = current.project if current is not None else None
    if given("project_id"):
        pid = _int(data["project_id"])
        project = db.session.get(Project, pid) if pid is not None else None
        if project is None:
            errors["project_id"] = _l("Choose one of your projects.")
        elif not (actor.is_coordinator or project.lead_id == actor.id):
            errors["project_id"] = _l("You can only post listings for your own projects.")
            project = None
        else:
            clean["project_id"] = project.id
    elif creating:
        errors["project_id"] = _l("Choose one of your projects.")

    # status: only draft/open by editing
    if given("status"):
        try:
            status = ListingStatus(str(data["status"]))
        except ValueError:
            status = None
        if status not in USER_STATUSES:
            errors["status"] = _l("Choose draft or open.")
        else:
            clean["status"] = status

    # location: coordinates, or a postcode/place text, or the project's location
    location: ResolvedLocation | None = None
    postcode: str | None = None
    if given("lat") or given("lon"):
        lat, lon = _float(data.get("lat")), _float(data.get("lon"))
        if lat is None or not -90 <= lat <= 90:
            errors["lat"] = _l("Latitude must be between -90 and 90.")
        if lon is None or not -180 <= lon <= 180:
            errors["lon"] = _l("Longitude must be between -180 and 180.")
        if "lat" not in errors and "lon" not in errors:
            assert lat is not None and lon is not None
            location = ResolvedLocation(
                lat, lon, str(data.get("location") or "").strip() or f"{lat:.5f}, {lon:.5f}"
            )
    elif given("location"):
        try:
            location = resolve_location(str(data["location"]), field="location")
            postcode = normalise_postcode(str(data["location"]))
        except ValidationError as exc:
            errors.update(exc.field_errors)
    elif creating and project is not None:
        location = ResolvedLocation(project.lat, project.lon, project.place or project.name)
        postcode = project.postcode
    if location is not None:
        clean.update(
            lat=location.lat,
            lon=location.lon,
            location_label=location.label[:200],
            postcode=postcode,
        )

    # windows
    start_name, end_name = window_fields(kind)
    for name in (start_name, end_name):
        if given(name):
            value = _date(data[name])
            if value is None:
                errors[name] = _l("Enter a date as YYYY-MM-DD.")
            else:
                clean[name] = value
        elif creating or name in data:
            errors[name] = _l("Enter a date as YYYY-MM-DD.")
    start = clean.get(start_name, getattr(current, start_name, None))
    end = clean.get(end_name, getattr(current, end_name, None))
    if start and end and start > end and end_name not in errors and start_name not in errors:
        errors[end_name] = _l("The end date must not be before the start date.")
    if end_name in clean and clean[end_name] < date.today():
        errors[end_name] = _l("The end date is in the past.")

    # conditions and mountings
    cond_name = "condition" if kind == ListingKind.SUPPLY else "min_condition"
    if given(cond_name):
        try:
            clean[cond_name] = Condition(str(data[cond_name]).strip().upper())
        except ValueError:
            errors[cond_name] = _l("Choose A, B or C.")
    if kind == ListingKind.SUPPLY:
        if given("mounting"):
            try:
                clean["mounting"] = Mounting(str(data["mounting"]).strip().lower())
            except ValueError:
                errors["mounting"] = _l("Choose loose, bolted, mortared or glued.")
        if "attributes" in data:
            attrs = _check_attributes(data["attributes"], errors)
            if attrs is not None:
                clean["attributes"] = attrs
    else:
        if "accepted_mountings" in data:
            raw = data["accepted_mountings"] or []
            try:
                if isinstance(raw, str) or not isinstance(raw, Iterable):
                    raise ValueError
                clean["accepted_mountings"] = sorted({Mounting(str(m)).value for m in raw})
            except ValueError:
                errors["accepted_mountings"] = _l("Choose from loose, bolted, mortared, glued.")
        if "max_distance_km" in data:
            if data["max_distance_km"] in (None, ""):
                clean["max_distance_km"] = None
            else:
                km = _float(data["max_distance_km"])
                if km is None or km <= 0 or km > 1000:
                    errors["max_distance_km"] = _l("Enter a distance in km between 0 and 1000.")
                else:
                    clean["max_distance_km"] = km
        if "requirements" in data:
            reqs = _check_requirements(data["requirements"], errors)
            if reqs is not None:
                clean["requirements"] = reqs

    # a reserved part pins what proposals were made on
    if current is not None and current.reserved_quantity > 0:
        for name in MATCH_FIELDS:
            if name in clean and clean[name] != getattr(current, name) and name not in errors:
                errors[name] = _l("Part of this listing is reserved; this cannot change now.")
    return clean, errors


# ----------------------------------------------------------------------------- events


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def record_event(
    listing: Listing,
    action: str,
    actor: User | None,
    *,
    old_status: ListingStatus | None = None,
    old_quantity: int | None = None,
    old_reserved: int | None = None,
    changes: Mapping[str, Any] | None = None,
    note: str = "",
    ref_type: str | None = None,
    ref_id: int | None = None,
) -> ListingEvent:
    """Append one history row for ``listing`` (flushed, not committed: the caller commits)."""
    event = ListingEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        old_status=_plain(old_status),
        new_status=_plain(listing.status),
        old_quantity=old_quantity,
        new_quantity=listing.quantity,
        old_reserved=old_reserved,
        new_reserved=listing.reserved_quantity,
        changes=dict(changes or {}),
        note=note,
        ref_type=ref_type,
        ref_id=ref_id,
    )
    if isinstance(listing, SupplyListing):
        event.supply_id = listing.id
    else:
        event.demand_id = listing.id
    db.session.add(event)
    return event


def history(
    kind: ListingKind | str, listing_id: int, viewer: User | None = None
) -> list[ListingEvent]:
    """Every event of a listing, oldest first (the materials passport's history)."""
    listing = get_listing(kind, listing_id, viewer)
    column = (
        ListingEvent.supply_id if isinstance(listing, SupplyListing) else ListingEvent.demand_id
    )
    return list(
        db.session.scalars(
            select(ListingEvent).where(column == listing.id).order_by(ListingEvent.id)
        )
    )


# ----------------------------------------------------------------------------- use cases


def _defaults(kind: ListingKind) -> dict[str, Any]:
    if kind == ListingKind.SUPPLY:
        return {"condition": Condition.B, "mounting": Mounting.LOOSE, "attributes": {}}
    return {
        "min_condition": Condition.C,
        "accepted_mountings": [],
        "requirements": {},
        "max_distance_km": None,
    }


def create_listing(
    actor: User, kind: ListingKind | str, data: Mapping[str, Any], commit: bool = True
) -> Listing:
    """Post a supply or demand listing for one of the actor's projects (status open by default)."""
    kind = listing_kind(kind)
    clean, errors = _check_fields(kind, data, None, actor)
    if errors:
        raise ValidationError(_l("The listing could not be saved."), errors)
    values = {
        **_defaults(kind),
        "description": "",
        "specification": "",
        "status": ListingStatus.OPEN,
        **clean,
    }
    listing = model_for(kind)(created_by_id=actor.id, reserved_quantity=0, **values)
    db.session.add(listing)
    db.session.flush()
    record_event(listing, "created", actor)
    if commit:
        db.session.commit()
    return listing


def update_listing(
    actor: User, kind: ListingKind | str, listing_id: int, data: Mapping[str, Any]
) -> Listing:
    """Change some fields of a listing; only the fields present in ``data`` change."""
    kind = listing_kind(kind)
    listing = get_for_edit(kind, listing_id, actor)
    if listing.status in FINAL_STATUSES:
        raise Conflict(_l("A closed or withdrawn listing cannot change."))
    clean, errors = _check_fields(kind, data, listing, actor)
    new_status = clean.get("status")
    if (
        new_status == ListingStatus.DRAFT
        and listing.status != ListingStatus.DRAFT
        and listing.reserved_quantity > 0
    ):
        errors["status"] = _l("Part of this listing is reserved; it cannot go back to draft.")
    if (
        new_status is not None
        and listing.status not in (*USER_STATUSES,)
        and "status" not in errors
    ):
        # partly matched / reserved listings keep their status; editing may not reset it
        clean.pop("status")
    if errors:
        raise ValidationError(_l("The listing could not be saved."), errors)
    old_status, old_quantity = listing.status, listing.quantity
    changes = {}
    for name, value in clean.items():
        old = getattr(listing, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(listing, name, value)
    if not changes:
        return listing
    action = "updated"
    if "status" in changes:
        action = "published" if listing.status == ListingStatus.OPEN else "unpublished"
    record_event(
        listing,
        action,
        actor,
        old_status=old_status,
        old_quantity=old_quantity,
        old_reserved=listing.reserved_quantity,
        changes=changes,
    )
    db.session.commit()
    return listing


def publish_listing(actor: User, kind: ListingKind | str, listing_id: int) -> Listing:
    return update_listing(actor, kind, listing_id, {"status": ListingStatus.OPEN.value})


def withdraw_listing(
    actor: User, kind: ListingKind | str, listing_id: int, note: str = ""
) -> Listing:
    """Take a listing off the market; not while part of it is reserved, and only once."""
    listing = get_for_edit(kind, listing_id, actor)
    if listing.status in FINAL_STATUSES:
        raise Conflict(_l("This listing is already closed or withdrawn."))
    if listing.reserved_quantity > 0:
        raise Conflict(_l("Part of this listing is reserved; cancel the reservation first."))
    old_status = listing.status
    listing.status = ListingStatus.WITHDRAWN
    record_event(
        listing,
        "withdrawn",
        actor,
        old_status=old_status,
        old_quantity=listing.quantity,
        old_reserved=listing.reserved_quantity,
        note=(note or "")[:2000],
    )
    db.session.commit()
    return listing


def status_for_reservation(listing: Listing) -> ListingStatus:
    """The status that follows from how much is reserved: open, partly matched or reserved."""
    if listing.reserved_quantity <= 0:
        return ListingStatus.OPEN
    if listing.reserved_quantity < listing.quantity:
        return ListingStatus.PARTLY_MATCHED
    return ListingStatus.RESERVED


def change_reserved(
    listing: Listing,
    delta: int,
    actor: User | None = None,
    *,
    ref_type: str | None = None,
    ref_id: int | None = None,
    note: str = "",
) -> ListingEvent:
    """Reserve (delta > 0) or release (delta < 0) units; for the matching services (issue 4).

    Does not commit, so an accept can reserve on both sides in one transaction.  Callers should
    load the listing with ``SELECT ... FOR UPDATE`` (``db.session.get(..., with_for_update=True)``)
    so that two accepts never reserve the same units.
    """
    if listing.status in FINAL_STATUSES or listing.status == ListingStatus.DRAFT:
        raise Conflict(_l("Only an open listing can be reserved."))
    new_reserved = listing.reserved_quantity + delta
    if new_reserved < 0 or new_reserved > listing.quantity:
        raise Conflict(_l("Only %(n)d units are still free.", n=listing.quantity_free))
    old_status, old_reserved = listing.status, listing.reserved_quantity
    listing.reserved_quantity = new_reserved
    listing.status = status_for_reservation(listing)
    return record_event(
        listing,
        "reserved" if delta > 0 else "released",
        actor,
        old_status=old_status,
        old_quantity=listing.quantity,
        old_reserved=old_reserved,
        ref_type=ref_type,
        ref_id=ref_id,
        note=note,
    )


# ----------------------------------------------------------------------------- search


@dataclass(frozen=True)
class SearchHit:
    listing: Listing
    distance_km: float | None


@dataclass(frozen=True)
class SearchPage:
    items: list[SearchHit]
    total: int
    page: int
    per_page: int
    origin: ResolvedLocation | None = None
    radius_km: float | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def _conditions_at_least(kind: ListingKind, condition: Condition | str) -> list[Condition]:
    """Supply: items at least this good. Demand: demands that accept an item this good."""
    wanted = Condition(str(condition).upper())
    if kind == ListingKind.SUPPLY:
        return [c for c in Condition if CONDITION_RANK[c] >= CONDITION_RANK[wanted]]
    return [c for c in Condition if CONDITION_RANK[c] <= CONDITION_RANK[wanted]]


def search_listings(
    kind: ListingKind | str,
    material: str | None = None,
    family: str | None = None,
    condition: Condition | str | None = None,
    near: tuple[float, float] | str | None = None,
    radius_km: float | None = None,
    window: tuple[date | None, date | None] | None = None,
    page: int = 1,
    per_page: int | None = None,
    *,
    q: str | None = None,
    project_id: int | None = None,
    statuses: Sequence[ListingStatus | str] | None = None,
    viewer: User | None = None,
    mine: bool = False,
    use_bounding_box: bool = True,
) -> SearchPage:
    """Find listings; nearest first when ``near`` is given, newest first otherwise.

    ``near`` is (lat, lon) or a postcode/place text; ``radius_km`` defaults to
    ``DEFAULT_SEARCH_RADIUS_KM``.  ``window`` keeps listings whose date window overlaps it.
    Without ``statuses`` only open and partly matched listings are found; other statuses are
    found only among the viewer's own listings (or by a coordinator).  A radius search reads the
    ids and positions inside the great-circle bounding box (an index range scan on status, lat,
    lon) and measures exact great-circle km with :func:`matcher.geo.great_circle_km`;
    ``use_bounding_box=False`` skips the box, for the benchmark's comparison only.
    """
    kind = listing_kind(kind)
    model = model_for(kind)
    config = current_app.config
    per_page = int(per_page or config.get("PER_PAGE_DEFAULT", 20))
    per_page = max(1, min(per_page, int(config.get("PER_PAGE_MAX", 100))))
    page = max(1, int(page))

    stmt: Select[Any] = select(model.id, model.lat, model.lon)
    wanted = [ListingStatus(s) for s in statuses] if statuses else list(PUBLIC_STATUSES)
    private = [s for s in wanted if s not in PUBLIC_STATUSES]
    if private and not (viewer is not None and viewer.is_coordinator):
        if viewer is None:
            wanted = [s for s in wanted if s in PUBLIC_STATUSES] or list(PUBLIC_STATUSES)
        else:
            mine = True
    stmt = stmt.where(model.status.in_(wanted))
    if mine:
        if viewer is None:
            raise PermissionDenied(_l("Log in to see your own listings."))
        stmt = stmt.join(Project, Project.id == model.project_id).where(
            (model.created_by_id == viewer.id) | (Project.lead_id == viewer.id)
        )
    if material:
        stmt = stmt.where(model.material_code == material)
    if family:
        stmt = stmt.where(
            model.material_code.in_(
                select(Material.code).where(Material.family == family).scalar_subquery()
            )
        )
    if condition:
        column = model.condition if kind == ListingKind.SUPPLY else model.min_condition
        stmt = stmt.where(column.in_(_conditions_at_least(kind, condition)))
    if project_id is not None:
        stmt = stmt.where(model.project_id == project_id)
    if window is not None:
        start_name, end_name = window_fields(kind)
        w_from, w_to = window
        if w_from is not None:
            stmt = stmt.where(getattr(model, end_name) >= w_from)
        if w_to is not None:
            stmt = stmt.where(getattr(model, start_name) <= w_to)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            func.lower(model.title).like(like) | func.lower(model.description).like(like)
        )

    origin: ResolvedLocation | None = None
    if near is not None and near != "":
        if isinstance(near, str):
            origin = resolve_location(near, field="near")
        else:
            origin = ResolvedLocation(float(near[0]), float(near[1]), f"{near[0]}, {near[1]}")
        radius = float(
            radius_km if radius_km is not None else config.get("DEFAULT_SEARCH_RADIUS_KM", 25.0)
        )
        if not math.isfinite(radius) or radius <= 0:
            raise ValidationError(
                _l("The search is not valid."), {"radius_km": _l("Enter a distance in km above 0.")}
            )
        if use_bounding_box:
            min_lat, max_lat, min_lon, max_lon = bounding_box(origin.lat, origin.lon, radius)
            stmt = stmt.where(
                model.lat.between(min_lat, max_lat), model.lon.between(min_lon, max_lon)
            )
        rows = db.session.execute(stmt).all()
        if rows:
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            lats = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
            lons = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
            km = great_circle_km(origin.lat, origin.lon, lats, lons)
            inside = km <= radius
            ids, km = ids[inside], km[inside]
            order = np.lexsort((ids, km))  # nearest first, ties by id: a stable page order
            ids, km = ids[order], km[order]
        else:
            ids, km = np.empty(0, np.int64), np.empty(0, np.float64)
        total = int(ids.size)
        lo = (page - 1) * per_page
        page_ids = [int(i) for i in ids[lo : lo + per_page]]
        page_km = [float(k) for k in km[lo : lo + per_page]]
        by_id = (
            {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(page_ids)))}
            if page_ids
            else {}
        )
        items = [SearchHit(by_id[i], k) for i, k in zip(page_ids, page_km, strict=True)]
        return SearchPage(items, total, page, per_page, origin, radius)

    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page_stmt = (
        select(model)
        .where(model.id.in_(select(stmt.subquery().c.id)))
        .order_by(model.created_at.desc(), model.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [SearchHit(listing, None) for listing in db.session.scalars(page_stmt)]
    return SearchPage(items, int(total), page, per_page)


def listings_of_project(project_id: int, viewer: User | None = None) -> dict[str, list[Listing]]:
    """All listings of one project, both kinds; drafts only for those who may edit them."""
    out: dict[str, list[Listing]] = {}
    for kind, model in LISTING_MODELS.items():
        rows = db.session.scalars(
            select(model).where(model.project_id == project_id).order_by(model.id)
        )
        out[kind.value] = [r for r in rows if can_view(viewer, r)]
    return out
