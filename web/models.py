"""The marketplace's tables: SQLAlchemy 2.x typed models.

Quantities are whole units of the material's unit.  A listing's ``quantity`` is what was posted;
``reserved_quantity`` is the part promised through accepted proposals (issue 4 reserves it), so
``quantity_free`` is always ``quantity - reserved_quantity``.  Every change of a listing's quantity
or status is written as a :class:`ListingEvent` row by the service layer, which makes the history
of an item (its materials passport) a plain query.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import UTC, date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from web.extensions import db

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    # Store the values ("project_lead"), not the member names; a CHECK keeps SQLite honest too.
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    """What a user may do: post listings, run a depot, or administer catalogue and matching."""

    PROJECT_LEAD = "project_lead"
    DEPOT_MANAGER = "depot_manager"
    COORDINATOR = "coordinator"


class Condition(enum.StrEnum):
    """Condition of a reclaimed item, as in the matching spec: A (as new) > B > C (usable)."""

    A = "A"
    B = "B"
    C = "C"


class Mounting(enum.StrEnum):
    """How the item was fixed in the building; it decides how well it comes loose for reuse."""

    LOOSE = "loose"
    BOLTED = "bolted"
    MORTARED = "mortared"
    GLUED = "glued"


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTLY_MATCHED = "partly_matched"
    RESERVED = "reserved"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


#: Statuses other users can find in a search and the nightly matching reads.
PUBLIC_STATUSES = (ListingStatus.OPEN, ListingStatus.PARTLY_MATCHED)
#: Statuses in which nothing can change any more.
FINAL_STATUSES = (ListingStatus.CLOSED, ListingStatus.WITHDRAWN)


class ListingKind(enum.StrEnum):
    SUPPLY = "supply"
    DEMAND = "demand"


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="other")  # municipality, contractor…
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")
    projects: Mapped[list[Project]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.PROJECT_LEAD)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str] = mapped_column(String(5), default="nl")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")
    projects: Mapped[list[Project]] = relationship(back_populates="lead")
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    def set_password(self, password: str) -> None:
        from flask import current_app

        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="api")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Project(db.Model):
    """A building or demolition project, led by one user; its listings sit at its location."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str | None] = mapped_column(String(10))
    place: Mapped[str] = mapped_column(String(120), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lead_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    lead: Mapped[User] = relationship(back_populates="projects")
    organisation: Mapped[Organisation | None] = relationship(back_populates="projects")
    supply_listings: Mapped[list[SupplyListing]] = relationship(back_populates="project")
    demand_listings: Mapped[list[DemandListing]] = relationship(back_populates="project")

    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
    )

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.name!r}>"


class Material(db.Model):
    """A catalogue entry, seeded from ``matcher.catalogue``; the spec's ``materials[]``."""

    __tablename__ = "material"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # English
    name_nl: Mapped[str] = mapped_column(String(200))
    family: Mapped[str] = mapped_column(String(64), index=True)
    eural_code: Mapped[str] = mapped_column(String(12))  # "17 01 07"
    unit: Mapped[str] = mapped_column(String(16))
    kg_per_unit: Mapped[float] = mapped_column(Float)
    m3_per_unit: Mapped[float] = mapped_column(Float)
    new_price_eur_per_unit: Mapped[float] = mapped_column(Float)
    disposal_eur_per_unit: Mapped[float] = mapped_column(Float)
    embodied_kgco2e_per_kg: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True)

    substitutes: Mapped[list[MaterialSubstitute]] = relationship(
        foreign_keys="MaterialSubstitute.material_code",
        back_populates="material",
        cascade="all, delete-orphan",
        order_by="MaterialSubstitute.substitute_code",
    )

    __table_args__ = (
        CheckConstraint("kg_per_unit > 0", name="kg_positive"),
        CheckConstraint("m3_per_unit > 0", name="m3_positive"),
        CheckConstraint("new_price_eur_per_unit >= 0", name="price_nonnegative"),
        CheckConstraint("embodied_kgco2e_per_kg >= 0", name="carbon_nonnegative"),
    )

    def __repr__(self) -> str:
        return f"<Material {self.code}>"


class MaterialSubstitute(db.Model):
    """``substitute_code`` may be delivered when ``material_code`` is demanded, at a penalty."""

    __tablename__ = "material_substitute"

    material_code: Mapped[str] = mapped_column(
        ForeignKey("material.code", ondelete="CASCADE"), primary_key=True
    )
    substitute_code: Mapped[str] = mapped_column(
        ForeignKey("material.code", ondelete="CASCADE"), primary_key=True
    )
    penalty_eur_per_unit: Mapped[float] = mapped_column(Float, default=0.0)

    material: Mapped[Material] = relationship(
        foreign_keys=[material_code], back_populates="substitutes"
    )
    substitute: Mapped[Material] = relationship(foreign_keys=[substitute_code])

    __table_args__ = (
        CheckConstraint("material_code <> substitute_code", name="not_self"),
        CheckConstraint("penalty_eur_per_unit >= 0", name="penalty_nonnegative"),
    )


class ListingMixin:
    """Columns shared by supply and demand listings."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    specification: Mapped[str] = mapped_column(Text, default="")  # dimensions, grade, colour…
    material_code: Mapped[str] = mapped_column(ForeignKey("material.code"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    reserved_quantity: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[ListingStatus] = mapped_column(
        _enum(ListingStatus, "listing_status"), default=ListingStatus.DRAFT
    )
    # Where the material is (supply) or must go (demand); the project's location by default.
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    location_label: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    @declared_attr
    def material(cls) -> Mapped[Material]:
        return relationship(Material, lazy="joined")

    @declared_attr
    def created_by(cls) -> Mapped[User]:
        return relationship(User)

    @hybrid_property
    def quantity_free(self) -> int:
        return self.quantity - self.reserved_quantity

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @classmethod
    def _shared_constraints(cls, table: str) -> tuple[Any, ...]:
        return (
            CheckConstraint("quantity > 0", name="quantity_positive"),
            CheckConstraint("reserved_quantity >= 0", name="reserved_nonnegative"),
            CheckConstraint("reserved_quantity <= quantity", name="reserved_within_quantity"),
            CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
            CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
            # The radius search: equality on status, a range on lat, lon filtered in the index,
            # and id carried along so PostgreSQL can answer the prefilter from the index alone.
            Index(f"ix_{table}_search", "status", "lat", "lon", "id"),
            Index(f"ix_{table}_material_status", "material_code", "status"),
        )


class SupplyListing(ListingMixin, db.Model):
    """Material that comes free at a site: the spec's ``supply[]``."""

    __tablename__ = "supply_listing"
    kind = ListingKind.SUPPLY

    condition: Mapped[Condition] = mapped_column(_enum(Condition, "condition"), default=Condition.B)
    mounting: Mapped[Mounting] = mapped_column(_enum(Mounting, "mounting"), default=Mounting.LOOSE)
    available_from: Mapped[date] = mapped_column(Date)
    available_until: Mapped[date] = mapped_column(Date)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    project: Mapped[Project] = relationship(back_populates="supply_listings")
    events: Mapped[list[ListingEvent]] = relationship(
        back_populates="supply", order_by="ListingEvent.id"
    )

    __table_args__ = (
        *ListingMixin._shared_constraints("supply_listing"),
        CheckConstraint("available_from <= available_until", name="window_ordered"),
    )

    def __repr__(self) -> str:
        return f"<SupplyListing {self.id} {self.material_code} x{self.quantity} {self.status}>"


class DemandListing(ListingMixin, db.Model):
    """Material a project needs: the spec's ``demand[]``."""

    __tablename__ = "demand_listing"
    kind = ListingKind.DEMAND

    min_condition: Mapped[Condition] = mapped_column(
        _enum(Condition, "condition"), default=Condition.C
    )
    # Mounting methods the project accepts (empty: any); e.g. no mortared bricks.
    accepted_mountings: Mapped[list[str]] = mapped_column(JSONType, default=list)
    needed_from: Mapped[date] = mapped_column(Date)
    needed_until: Mapped[date] = mapped_column(Date)
    max_distance_km: Mapped[float | None] = mapped_column(Float)
    requirements: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    project: Mapped[Project] = relationship(back_populates="demand_listings")
    events: Mapped[list[ListingEvent]] = relationship(
        back_populates="demand", order_by="ListingEvent.id"
    )

    __table_args__ = (
        *ListingMixin._shared_constraints("demand_listing"),
        CheckConstraint("needed_from <= needed_until", name="window_ordered"),
        CheckConstraint(
            "max_distance_km IS NULL OR max_distance_km > 0", name="max_distance_positive"
        ),
    )

    def __repr__(self) -> str:
        return f"<DemandListing {self.id} {self.material_code} x{self.quantity} {self.status}>"


Listing = SupplyListing | DemandListing
LISTING_MODELS: dict[ListingKind, type[SupplyListing] | type[DemandListing]] = {
    ListingKind.SUPPLY: SupplyListing,
    ListingKind.DEMAND: DemandListing,
}


class ListingEvent(db.Model):
    """One change of a listing, append-only: who, when, what, and quantity/status before and after.

    Exactly one of ``supply_id`` and ``demand_id`` is set.  Issue 4 adds actions such as
    ``reserved`` and ``delivered`` with ``ref_type``/``ref_id`` pointing at the proposal.
    """

    __tablename__ = "listing_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    supply_id: Mapped[int | None] = mapped_column(
        ForeignKey("supply_listing.id"), index=True
    )
    demand_id: Mapped[int | None] = mapped_column(
        ForeignKey("demand_listing.id"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(32))  # created, updated, published, withdrawn…
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str | None] = mapped_column(String(20))
    old_quantity: Mapped[int | None] = mapped_column(Integer)
    new_quantity: Mapped[int | None] = mapped_column(Integer)
    old_reserved: Mapped[int | None] = mapped_column(Integer)
    new_reserved: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # field: [old, new]
    note: Mapped[str] = mapped_column(Text, default="")
    ref_type: Mapped[str | None] = mapped_column(String(32))
    ref_id: Mapped[int | None] = mapped_column(Integer)

    supply: Mapped[SupplyListing | None] = relationship(back_populates="events")
    demand: Mapped[DemandListing | None] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "(supply_id IS NULL) <> (demand_id IS NULL)", name="exactly_one_listing"
        ),
    )


class CsvImport(db.Model):
    """A record of one accepted inventory import (a rejected one writes nothing)."""

    __tablename__ = "csv_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    rows: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("project_id", "sha256", name="same_file_once"),)


__all__ = [
    "ApiToken",
    "Condition",
    "CsvImport",
    "DemandListing",
    "FINAL_STATUSES",
    "LISTING_MODELS",
    "Listing",
    "ListingEvent",
    "ListingKind",
    "ListingStatus",
    "Material",
    "MaterialSubstitute",
    "Mounting",
    "Organisation",
    "PUBLIC_STATUSES",
    "Project",
    "Role",
    "SupplyListing",
    "User",
]

# Issue 4: depots, stock ledger, match runs, proposals and the outbox (their own module).
from web.models_matching import *  # noqa: E402, F401, F403
