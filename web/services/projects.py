"""Projects: a building or demolition site with a lead; its listings sit at its location."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from web.extensions import db
from web.models import Project, Role, User
from web.services.errors import NotFound, PermissionDenied, ValidationError
from web.services.locations import check_coordinates, normalise_postcode, resolve_location

PROJECT_ROLES = (Role.PROJECT_LEAD, Role.COORDINATOR)


def can_edit_project(user: User | None, project: Project) -> bool:
    return user is not None and (user.is_coordinator or project.lead_id == user.id)


def get_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound(_l("Project %(id)s does not exist.", id=project_id))
    return project


def list_projects(lead: User | None = None) -> list[Project]:
    stmt = select(Project).order_by(Project.name, Project.id)
    if lead is not None:
        stmt = stmt.where(Project.lead_id == lead.id)
    return list(db.session.scalars(stmt))


def _location_fields(data: Mapping[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
    """lat/lon given directly, else the postcode, else the place: the first that is filled in."""
    out: dict[str, Any] = {}
    postcode = (data.get("postcode") or "").strip() if isinstance(data.get("postcode"), str) else ""
    place = (data.get("place") or "").strip() if isinstance(data.get("place"), str) else ""
    if postcode:
        pc = normalise_postcode(postcode)
        if pc is None:
            errors["postcode"] = _l("Enter a Dutch postcode such as 7511 AB.")
        else:
            out["postcode"] = pc
    lat, lon = data.get("lat"), data.get("lon")
    if lat is not None or lon is not None:
        if lat is None or lon is None:
            errors["lat" if lat is None else "lon"] = _l("Give both latitude and longitude.")
            return out
        try:
            check_coordinates(float(lat), float(lon))
        except (TypeError, ValueError):
            errors["lat"] = _l("Enter a number.")
            return out
        except ValidationError as exc:
            errors.update(exc.field_errors)
            return out
        out.update(lat=float(lat), lon=float(lon))
        if place:
            out["place"] = place
        return out
    text = out.get("postcode") or place
    if text and "postcode" not in errors:
        try:
            hit = resolve_location(text, field="postcode" if out.get("postcode") else "place")
        except ValidationError as exc:
            errors.update(exc.field_errors)
            return out
        out.update(lat=hit.lat, lon=hit.lon, place=place or hit.label.split(" ", 2)[-1])
    return out


def create_project(actor: User, data: Mapping[str, Any], commit: bool = True) -> Project:
    """A new project led by ``actor`` (or, for a coordinator, by ``lead_id``)."""
    if actor.role not in PROJECT_ROLES:
        raise PermissionDenied(_l("Only project leads and coordinators can create projects."))
    errors: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = _l("Enter a name.")
    elif len(name) > 200:
        errors["name"] = _l("At most %(n)d characters.", n=200)
    loc = _location_fields(data, errors)
    if "lat" not in loc and not errors.keys() & {"postcode", "place", "lat", "lon"}:
        errors["postcode"] = _l("Enter a postcode, a place or coordinates.")
    lead = actor
    if data.get("lead_id") not in (None, actor.id):
        lead_user = db.session.get(User, data["lead_id"]) if actor.is_coordinator else None
        if not actor.is_coordinator:
            errors["lead_id"] = _l("Only a coordinator can make someone else the lead.")
        elif lead_user is None or lead_user.role not in PROJECT_ROLES:
            errors["lead_id"] = _l("Choose a project lead.")
        else:
            lead = lead_user
    if errors:
        raise ValidationError(_l("The project could not be saved."), errors)
    project = Project(
        name=name,
        description=str(data.get("description") or ""),
        address=str(data.get("address") or ""),
        postcode=loc.get("postcode"),
        place=loc.get("place", ""),
        lat=loc["lat"],
        lon=loc["lon"],
        lead=lead,
        organisation_id=lead.organisation_id,
    )
    db.session.add(project)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return project


def update_project(actor: User, project_id: int, data: Mapping[str, Any]) -> Project:
    project = get_project(project_id)
    if not can_edit_project(actor, project):
        raise PermissionDenied(_l("Only the project's lead or a coordinator can change it."))
    errors: dict[str, Any] = {}
    if "name" in data:
        name = str(data.get("name") or "").strip()
        if not name:
            errors["name"] = _l("Enter a name.")
        elif len(name) > 200:
            errors["name"] = _l("At most %(n)d characters.", n=200)
    loc = (
        _location_fields(data, errors) if data.keys() & {"postcode", "place", "lat", "lon"} else {}
    )
    if errors:
        raise ValidationError(_l("The project could not be saved."), errors)
    for key in ("name", "description", "address"):
        if key in data:
            setattr(
                project,
                key,
                str(data[key] or "").strip() if key == "name" else str(data[key] or ""),
            )
    for key, value in loc.items():
        setattr(project, key, value)
    db.session.commit()
    return project
