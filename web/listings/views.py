"""The listings pages: search, one listing, and the post / edit / withdraw forms.

Each view parses a form, calls :mod:`web.services.listings`, and renders; the service decides
who may do what and what is valid, and its field errors are shown on the fields they name.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from web.listings.forms import DemandForm, SearchForm, SupplyForm, WithdrawForm
from web.listings.properties import attribute_lines, requirement_lines
from web.main.display import material_name
from web.main.forms import apply_service_errors
from web.models import FINAL_STATUSES, ListingKind
from web.services import catalogue
from web.services import listings as service
from web.services import projects as project_service
from web.services.errors import Conflict, ValidationError

bp = Blueprint("listings", __name__, url_prefix="/listings")

FORMS = {ListingKind.SUPPLY: SupplyForm, ListingKind.DEMAND: DemandForm}
#: Fields sent to the service exactly as the form parsed them.
SERVICE_FIELDS = {
    ListingKind.SUPPLY: (
        "title", "description", "specification", "material_code", "quantity", "project_id",
        "status", "condition", "mounting", "available_from", "available_until", "attributes",
    ),
    ListingKind.DEMAND: (
        "title", "description", "specification", "material_code", "quantity", "project_id",
        "status", "min_condition", "accepted_mountings", "needed_from", "needed_until",
        "max_distance_km", "requirements",
    ),
}  # fmt: skip
#: Fields left out when the form did not send them (None): the service keeps what is stored.
KEEP_WHEN_ABSENT = ("attributes", "requirements")


def _viewer() -> Any:
    return current_user if current_user.is_authenticated else None


def _kind(kind: str) -> ListingKind:
    try:
        return ListingKind(kind)
    except ValueError:
        abort(404)


def _material_choices() -> dict[str, list[tuple[str, str]]]:
    """Active materials grouped by family (rendered as <optgroup>s)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for m in catalogue.list_materials():
        groups.setdefault(m.family, []).append((m.code, material_name(m)))
    return groups


# ----------------------------------------------------------------------------- search


@bp.route("/")
def browse():  # type: ignore[no-untyped-def]
    """Search open listings by words, material or family, condition, distance and dates."""
    kind = _kind(request.args.get("kind", "supply"))
    form = SearchForm(request.args)
    form.material.choices = [("", _("Any material"))] + [
        (code, f"{name}") for group in _material_choices().values() for code, name in group
    ]
    form.family.choices = [("", _("Any family"))] + [(f, f) for f in catalogue.families()]
    if kind == ListingKind.DEMAND:  # demands that would take an item in this condition
        form.condition.label.text = _("Accepts an item in condition")
    try:
        page_number = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page_number = 1
    results = None
    status = 200
    if form.validate():
        try:
            results = service.search_listings(
                kind,
                material=form.material.data or None,
                family=form.family.data or None,
                condition=form.condition.data or None,
                near=(form.postcode.data or "").strip() or None,
                radius_km=form.radius_km.data,
                window=(form.date_from.data, form.date_until.data)
                if (form.date_from.data or form.date_until.data)
                else None,
                page=page_number,
                q=(form.q.data or "").strip() or None,
                viewer=_viewer(),
            )
        except ValidationError as error:
            apply_service_errors(form, error, {"near": "postcode"})
            status = 400
    else:
        status = 400
    if (
        form.date_from.data
        and form.date_until.data
        and form.date_from.data > form.date_until.data
        and not form.date_until.errors
    ):
        form.date_until.errors = [_("The end date must not be before the start date.")]
        results, status = None, 400

    def page_url(number: int) -> str:
        args = request.args.to_dict(flat=True)
        args.update(page=str(number), kind=kind.value)
        return url_for("listings.browse", **args)

    return (
        render_template(
            "listings/browse.html", form=form, kind=kind, results=results, page_url=page_url
        ),
        status,
    )


# ----------------------------------------------------------------------------- one listing


@bp.route("/<kind>/<int:listing_id>")
def detail(kind: str, listing_id: int):  # type: ignore[no-untyped-def]
    """One listing; drafts only for their owners and coordinators (404 for everyone else)."""
    listing = service.get_listing(_kind(kind), listing_id, _viewer())
    may_edit = service.can_edit(_viewer(), listing)
    events = service.history(kind, listing_id, _viewer()) if may_edit else []
    return render_template(
        "listings/detail.html",
        listing=listing,
        may_edit=may_edit,
        is_final=listing.status in FINAL_STATUSES,
        events=events,
    )


# ----------------------------------------------------------------------------- post and edit


def _form_for(kind: ListingKind, **kwargs: Any):  # type: ignore[no-untyped-def]
    form = FORMS[kind](**kwargs)
    lead = None if current_user.is_coordinator else current_user
    form.project_id.choices = [("", _("Choose a project"))] + [
        (str(p.id), p.name) for p in project_service.list_projects(lead=lead)
    ]
    groups = _material_choices()
    form.material_code.choices = {"": [("", _("Choose a material"))], **groups}
    return form


def _service_data(form: Any, kind: ListingKind, initial_location: str = "") -> dict[str, Any]:
    data = {name: form[name].data for name in SERVICE_FIELDS[kind]}
    for name in KEEP_WHEN_ABSENT:
        if name in data and data[name] is None:
            del data[name]
    if data.get("max_distance_km") is not None:
        data["max_distance_km"] = float(data["max_distance_km"])
    location = (form.location.data or "").strip()
    if location and location != initial_location:
        data["location"] = location
    return data


@bp.route("/<kind>/new", methods=["GET", "POST"])
@login_required
def new(kind: str):  # type: ignore[no-untyped-def]
    """Post supply or demand for one of my projects; errors keep everything that was typed."""
    kind_ = _kind(kind)
    if current_user.role not in project_service.PROJECT_ROLES:
        abort(403)
    form = _form_for(kind_)
    if request.method == "GET":
        form.project_id.data = request.args.get("project_id", "")
        if len(form.project_id.choices) == 2 and not form.project_id.data:
            form.project_id.data = form.project_id.choices[1][0]  # the only project
        if len(form.project_id.choices) == 1:
            flash(_("Create a project first: listings belong to a project."), "info")
            return redirect(url_for("projects.new"))
    if form.validate_on_submit():
        try:
            listing = service.create_listing(current_user, kind_, _service_data(form, kind_))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            flash(_("Your listing was saved."), "success")
            return redirect(url_for("listings.detail", kind=kind, listing_id=listing.id))
    status = 422 if request.method == "POST" else 200
    return render_template("listings/form.html", form=form, kind=kind_, listing=None), status


@bp.route("/<kind>/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(kind: str, listing_id: int):  # type: ignore[no-untyped-def]
    kind_ = _kind(kind)
    listing = service.get_for_edit(kind_, listing_id, current_user)
    if listing.status in FINAL_STATUSES:
        flash(_("A closed or withdrawn listing cannot change."), "warning")
        return redirect(url_for("listings.detail", kind=kind, listing_id=listing_id))
    initial_location = listing.postcode or ""
    form = _form_for(kind_, obj=listing)
    if request.method == "GET":
        form.project_id.data = str(listing.project_id)
        form.location.data = initial_location
        form.status.data = (
            listing.status.value if listing.status.value in ("draft", "open") else "open"
        )
    if form.validate_on_submit():
        try:
            service.update_listing(
                current_user, kind_, listing_id, _service_data(form, kind_, initial_location)
            )
        except (ValidationError, Conflict) as error:
            apply_service_errors(form, error)
        else:
            flash(_("Your changes were saved."), "success")
            return redirect(url_for("listings.detail", kind=kind, listing_id=listing_id))
    status = 422 if request.method == "POST" else 200
    return render_template("listings/form.html", form=form, kind=kind_, listing=listing), status


@bp.route("/<kind>/<int:listing_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(kind: str, listing_id: int):  # type: ignore[no-untyped-def]
    """GET asks to confirm; POST takes the listing off the market."""
    kind_ = _kind(kind)
    listing = service.get_for_edit(kind_, listing_id, current_user)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            service.withdraw_listing(current_user, kind_, listing_id)
        except Conflict as error:
            flash(str(error.message), "error")
        else:
            flash(_("The listing was withdrawn."), "success")
        return redirect(url_for("listings.detail", kind=kind, listing_id=listing_id))
    status = 400 if request.method == "POST" else 200
    return render_template("listings/withdraw.html", form=form, listing=listing), status


@bp.app_template_filter("iso")
def iso(value: date | None) -> str:
    return value.isoformat() if value else ""


bp.app_template_filter("attribute_lines")(attribute_lines)
bp.app_template_filter("requirement_lines")(requirement_lines)
