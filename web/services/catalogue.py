"""The material catalogue: seeding it from the matcher's data file, reading and editing it.

The catalogue's content belongs to :mod:`matcher.catalogue` (the same realistic catalogue the
instance generator uses); this module only copies it into the database and lets a coordinator
adjust it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select

from matcher.catalogue import load_entries
from web.extensions import db
from web.models import Material, MaterialSubstitute, User
from web.services.errors import Conflict, NotFound, PermissionDenied, ValidationError

NUMERIC_FIELDS = (
    "kg_per_unit",
    "m3_per_unit",
    "new_price_eur_per_unit",
    "disposal_eur_per_unit",
    "embodied_kgco2e_per_kg",
)


@dataclass(frozen=True)
class CatalogueRow:
    code: str
    name: str
    name_nl: str
    family: str
    eural_code: str
    unit: str
    kg_per_unit: float
    m3_per_unit: float
    new_price_eur_per_unit: float
    disposal_eur_per_unit: float
    embodied_kgco2e_per_kg: float
    substitutes: tuple[tuple[str, float], ...] = ()


def catalogue_rows() -> list[CatalogueRow]:
    """Every catalogue entry with its substitutes, from :func:`matcher.catalogue.load_entries`."""
    return [
        CatalogueRow(
            code=e.code,
            name=e.name_en,
            name_nl=e.name_nl,
            family=e.family,
            eural_code=e.eural_code,
            unit=e.unit,
            kg_per_unit=e.kg_per_unit,
            m3_per_unit=e.m3_per_unit,
            new_price_eur_per_unit=e.new_price_eur_per_unit,
            disposal_eur_per_unit=e.disposal_eur_per_unit,
            embodied_kgco2e_per_kg=e.embodied_kgco2e_per_kg,
            substitutes=tuple((s.code, s.penalty_eur_per_unit) for s in e.substitutes),
        )
        for e in load_entries()
    ]


def seed_catalogue(rows: Iterable[CatalogueRow] | None = None, commit: bool = True) -> int:
    """Insert or update every catalogue entry and replace its substitutes; returns the count.

    Idempotent: running it again after the data file changed updates the figures and keeps the
    listings that point at the materials.
    """
    rows = list(rows if rows is not None else catalogue_rows())
    existing = {m.code: m for m in db.session.scalars(select(Material))}
    for row in rows:
        material = existing.get(row.code)
        if material is None:
            material = Material(code=row.code)
            db.session.add(material)
        for field in ("name", "name_nl", "family", "eural_code", "unit", *NUMERIC_FIELDS):
            setattr(material, field, getattr(row, field))
        material.active = True
    db.session.flush()
    codes = [row.code for row in rows]
    db.session.execute(delete(MaterialSubstitute).where(MaterialSubstitute.material_code.in_(codes)))
    db.session.add_all(
        MaterialSubstitute(material_code=row.code, substitute_code=code, penalty_eur_per_unit=p)
        for row in rows
        for code, p in row.substitutes
    )
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return len(rows)


def get_material(code: str) -> Material:
    material = db.session.get(Material, code)
    if material is None:
        raise NotFound(_l("Unknown material %(code)s.", code=code))
    return material


def list_materials(
    q: str | None = None, family: str | None = None, include_inactive: bool = False
) -> list[Material]:
    stmt = select(Material).order_by(Material.family, Material.code)
    if not include_inactive:
        stmt = stmt.where(Material.active.is_(True))
    if family:
        stmt = stmt.where(Material.family == family)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Material.code).like(like),
                func.lower(Material.name).like(like),
                func.lower(Material.name_nl).like(like),
            )
        )
    return list(db.session.scalars(stmt))


def families() -> list[str]:
    return list(db.session.scalars(select(Material.family).distinct().order_by(Material.family)))


def _require_coordinator(actor: User) -> None:
    if not actor.is_coordinator:
        raise PermissionDenied(_l("Only a coordinator may change the catalogue."))


def validate_material_fields(data: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    """Check catalogue figures by the matching spec's rules; returns the cleaned values."""
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    for field in ("name", "name_nl", "family", "eural_code", "unit"):
        if field in data:
            value = str(data[field] or "").strip()
            if not value:
                errors[field] = _l("This field is required.")
            clean[field] = value
        elif not partial:
            errors[field] = _l("This field is required.")
    for field in NUMERIC_FIELDS:
        if field not in data:
            if not partial:
                errors[field] = _l("This field is required.")
            continue
        try:
            value = float(data[field])
        except (TypeError, ValueError):
            errors[field] = _l("Enter a number.")
            continue
        if not math.isfinite(value):
            errors[field] = _l("Enter a finite number.")
        elif field in ("kg_per_unit", "m3_per_unit") and value <= 0:
            errors[field] = _l("Must be greater than 0.")
        elif field != "disposal_eur_per_unit" and value < 0:
            errors[field] = _l("Must be 0 or more.")
        clean[field] = value
    if "eural_code" in clean and clean["eural_code"]:
        import re

        if not re.fullmatch(r"\d{2} \d{2} \d{2}\*?", clean["eural_code"]):
            errors["eural_code"] = _l("Use the form '17 01 07' (with * when hazardous).")
    if "active" in data:
        clean["active"] = bool(data["active"])
    if errors:
        raise ValidationError(_l("The material could not be saved."), errors)
    return clean


def create_material(actor: User, code: str, data: Mapping[str, Any]) -> Material:
    """Add a material (coordinators); ``data["substitutes"]`` optional, saved in the same commit."""
    _require_coordinator(actor)
    data = dict(data)
    substitutes = data.pop("substitutes", None)
    import re

    code = (code or "").strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", code):
        raise ValidationError(
            _l("The material could not be saved."),
            {"code": _l("Use lower-case letters, digits and '-' (at most 64).")},
        )
    clean = validate_material_fields(data, partial=False)
    if db.session.get(Material, code) is not None:
        raise ValidationError(
            _l("The material could not be saved."), {"code": _l("This code is already in use.")}
        )
    material = Material(code=code, **clean)
    db.session.add(material)
    db.session.flush()
    if substitutes is not None:
        _replace_substitutes(material, substitutes)
    db.session.commit()
    return material


def update_material(actor: User, code: str, data: Mapping[str, Any]) -> Material:
    """Change figures and/or ``substitutes`` (coordinators); all of it or nothing."""
    _require_coordinator(actor)
    material = get_material(code)
    data = dict(data)
    substitutes = data.pop("substitutes", None)
    clean = validate_material_fields(data, partial=True)
    if substitutes is not None:
        _check_substitutes(material, clean.get("unit", material.unit), substitutes)
    if "unit" in clean and clean["unit"] != material.unit and _in_use(code):
        raise Conflict(_l("The unit of a material with listings cannot change."))
    for key, value in clean.items():
        setattr(material, key, value)
    if substitutes is not None:
        _replace_substitutes(material, substitutes)
    db.session.commit()
    return material


def _in_use(code: str) -> bool:
    from web.models import DemandListing, SupplyListing

    for model in (SupplyListing, DemandListing):
        if db.session.scalar(select(model.id).where(model.material_code == code).limit(1)):
            return True
    return False


def _check_substitutes(material: Material, unit: str, substitutes: Mapping[str, Any]) -> None:
    """Same unit, not itself, known codes, penalty >= 0; raises naming ``substitutes``."""
    errors: dict[str, Any] = {}
    for sub_code, penalty in substitutes.items():
        other = db.session.get(Material, sub_code)
        if sub_code == material.code:
            errors[sub_code] = _l("A material cannot substitute itself.")
        elif other is None:
            errors[sub_code] = _l("Unknown material %(code)s.", code=sub_code)
        elif other.unit != unit:
            errors[sub_code] = _l("A substitute must have the same unit.")
        elif (isinstance(penalty, bool) or not isinstance(penalty, int | float)
              or not math.isfinite(penalty) or penalty < 0):
            errors[sub_code] = _l("The penalty must be a number of 0 or more.")
    if errors:
        raise ValidationError(_l("The substitutes could not be saved."), {"substitutes": errors})


def _replace_substitutes(material: Material, substitutes: Mapping[str, Any]) -> None:
    _check_substitutes(material, material.unit, substitutes)
    material.substitutes.clear()
    db.session.flush()
    for sub_code, penalty in substitutes.items():
        material.substitutes.append(
            MaterialSubstitute(substitute_code=sub_code, penalty_eur_per_unit=float(penalty))
        )


def set_substitutes(actor: User, code: str, substitutes: Mapping[str, float]) -> Material:
    """Replace the substitutes of ``code`` (coordinators)."""
    _require_coordinator(actor)
    material = get_material(code)
    _replace_substitutes(material, substitutes)
    db.session.commit()
    return material
